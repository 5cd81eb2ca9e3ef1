package policy

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// virusPlan is a withheld virus copy for addr under policy pol.
func virusPlan(addr string, pol settings.Resolved) Treatment {
	v := scan.Verdict{Category: scan.Virus, Findings: []scan.Finding{{Scanner: "clamd", Category: scan.Virus, Rule: "Eicar-Test"}}}
	return Treatment{Address: addr, Verdict: v, Action: settings.ActionQuarantine, Policy: pol}
}

func TestVirusNoticesOnePerAddressee(t *testing.T) {
	catchAll := &settings.Domain{Name: "catch.test", CatchAll: true}
	strict := &settings.Domain{Name: "strict.test"}
	pol := func(d *settings.Domain, u *settings.User, n settings.Notify, admin string) settings.Resolved {
		return settings.Resolved{Policy: settings.Policy{NotifyVirus: n, Admin: admin}, Domain: d, User: u}
	}
	many := func(n int, d *settings.Domain, u *settings.User, mode settings.Notify, admin string) []Treatment {
		var out []Treatment
		for i := range n {
			out = append(out, virusPlan(fmt.Sprintf("x%d@%s", i, d.Name), pol(d, u, mode, admin)))
		}
		return out
	}
	known := &settings.User{Address: "bob@catch.test"}
	for _, c := range []struct {
		name  string
		plans []Treatment
		want  map[string]int // notified address -> recipients listed
	}{
		{"catch-all invented addresses: admin only, once", many(40, catchAll, nil, settings.NotifyRecipient, "admin@catch.test"),
			map[string]int{"admin@catch.test": 40}},
		{"catch-all invented addresses, both: admin once", many(40, catchAll, nil, settings.NotifyBoth, "admin@catch.test"),
			map[string]int{"admin@catch.test": 40}},
		{"catch-all without admin: nobody", many(5, catchAll, nil, settings.NotifyRecipient, ""), map[string]int{}},
		{"catch-all known user is told", []Treatment{virusPlan("bob@catch.test", pol(catchAll, known, settings.NotifyRecipient, ""))},
			map[string]int{"bob@catch.test": 1}},
		{"validated domain: each recipient, admin once", many(3, strict, nil, settings.NotifyBoth, "admin@strict.test"),
			map[string]int{"x0@strict.test": 1, "x1@strict.test": 1, "x2@strict.test": 1, "admin@strict.test": 3}},
		{"admin only", many(3, strict, nil, settings.NotifyAdmin, "admin@strict.test"), map[string]int{"admin@strict.test": 3}},
		{"never the sender", many(2, strict, nil, settings.NotifyAdmin, "forged@sender.test"), map[string]int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := Envelope{QueueID: "Q1", Sender: "forged@sender.test"}
			got := map[string]int{}
			for _, n := range Notices(env, "subj", "qid1", time.Now(), c.plans) {
				if len(n.To) != 1 {
					t.Fatalf("notice to %v: want one addressee per notice", n.To)
				}
				if _, dup := got[n.To[0]]; dup {
					t.Errorf("two notices to %s", n.To[0])
				}
				got[n.To[0]] = len(n.Recipients)
				if n.QuarantineID != "qid1" || n.Virus != "Eicar-Test" {
					t.Errorf("notice %+v", n)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("notices %v, want %v", got, c.want)
			}
		})
	}
}
