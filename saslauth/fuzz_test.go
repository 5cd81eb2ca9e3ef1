package saslauth

import (
	"bufio"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// FuzzLine feeds arbitrary lines to the parser and to a session: no
// panic, and every reply is one well-formed line.
func FuzzLine(f *testing.F) {
	for _, s := range []string{
		"VERSION\t1\t0", "CPID\t1234",
		"AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.1\tsecured\tresp=AGJvYgBwdw==",
		"AUTH\t2\tLOGIN\tservice=smtp\tsecured", "CONT\t2\tYm9i", "CONT\t2\t",
		"AUTH\t3\tPLAIN\tsecured\tresp=\x01t\x01l\x010", "AUTH\t0\tPLAIN", "AUTH\t4294967296\tPLAIN",
		"CONT\t\t", "\t\t\t", "AUTH\t5\t\tsecured",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if l, err := ParseLine(raw); err == nil {
			if l.Cmd == "AUTH" {
				if a, err := ParseAuth(l.Args); err == nil {
					a.Resp()
				}
			}
		}
		s, err := New(Options{Verifier: &fakeVerifier{}, Limits: DefaultLimits(time.Second),
			Logger: slog.New(slog.DiscardHandler), Sleep: func(context.Context, time.Duration) {}})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		w := bufio.NewWriter(&out)
		c := &session{s: s, w: w, pending: map[uint32]*pending{}, version: true}
		for _, line := range strings.Split(raw, "\n") {
			if !c.handle(context.Background(), line) {
				break
			}
		}
		w.Flush()
		for _, reply := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if reply == "" {
				continue
			}
			cmd, _, _ := strings.Cut(reply, "\t")
			if cmd != "OK" && cmd != "FAIL" && cmd != "CONT" {
				t.Fatalf("reply %q", reply)
			}
			if strings.ContainsAny(reply, "\r\x00") {
				t.Fatalf("reply %q has a control character", reply)
			}
		}
	})
}
