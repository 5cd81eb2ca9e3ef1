//go:build integration && load

package integration

import (
	"fmt"
	"testing"
)

// loadPhaseSpec is one phase of TestLoad: where smtp-source sends, the
// gateway that receives (its sink, Postfix and mailtower are measured)
// and the probe of that gateway's log follower; sum and log add up the
// rounds.
type loadPhaseSpec struct {
	name  string
	addr  string
	env   *Env
	probe *logProbe
	sum   phaseResult
	log   logRates
}

// postgresLoadPhase starts a second gateway like the first (opts) but on
// a private PostgreSQL server, and returns its phase: mailtower's milter
// with every store in PostgreSQL, measured in the same run as on SQLite.
func postgresLoadPhase(t *testing.T, opts EnvOptions) loadPhaseSpec {
	t.Helper()
	_, url := startPostgres(t)
	opts.Database = url
	opts.ExtraMaster = "" // the no-op milter's listener belongs to the first gateway
	e := NewEnv(t, opts)
	e.Sink.SetDiscard(true)
	e.addDomain(t, "load.test")
	return loadPhaseSpec{name: "mailtower on PG", addr: e.Postfix.Addr(), env: e, probe: newLogProbe(t, e)}
}

// printPostgresRatios compares mailtower on PostgreSQL with mailtower
// on SQLite (the same run, alternating phases): rates and CPU per
// message of the whole gateway (Postfix + mailtower; PostgreSQL's own
// processes are not counted, see the machine figure for them).
func printPostgresRatios(sqlite, pg phaseResult) {
	fmt.Printf("ratio mailtower on PostgreSQL / on SQLite: accepted %.2f, delivered %.2f\n",
		pg.acceptRate()/sqlite.acceptRate(), pg.deliverRate()/sqlite.deliverRate())
	fmt.Printf("CPU ratio per message, gateway on SQLite / on PostgreSQL: postfix+mailtower %.2f, machine %.2f\n",
		(sqlite.perMsg(sqlite.postfix)+sqlite.perMsg(sqlite.mt))/(pg.perMsg(pg.postfix)+pg.perMsg(pg.mt)),
		sqlite.cpuPerMsg()/pg.cpuPerMsg())
}
