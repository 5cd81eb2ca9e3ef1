package scan

import "context"

// Pinger is the optional capability of a Scanner whose engine can be
// asked whether it answers without scanning anything: clamd (PING),
// spamd (PING), rspamd (GET /ping), ICAP (OPTIONS), and avparts for the
// engine it wraps. The integration harness waits on it for an engine to
// come up; the daemons do not call it (a scan that fails answers 451).
type Pinger interface {
	// Ping returns nil when the engine answers as it should.
	Ping(ctx context.Context) error
}
