package policyd

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// refuseHandler refuses recipients starting with "no" and lets the rest pass.
type refuseHandler struct{}

func (refuseHandler) Decide(_ context.Context, r Request) (Decision, error) {
	if strings.HasPrefix(r.Recipient(), "no") {
		return Decision{Action: "550 5.1.1 unknown user", Reason: "unknown-user"}, nil
	}
	if strings.HasPrefix(r.Recipient(), "ok") {
		return Decision{Action: ActionOK, Reason: "outbound"}, nil
	}
	return Decision{Action: ActionDunno, Reason: "pass"}, nil
}

// TestServerTellsRefusals: the mail history hears of every refusal,
// and of nothing else.
func TestServerTellsRefusals(t *testing.T) {
	var mu sync.Mutex
	var got []string
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(refuseHandler{}, ServerConfig{Logger: quiet, Refused: func(req Request, dec Decision) {
		mu.Lock()
		got = append(got, req.Recipient()+" "+dec.Reason)
		mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	c := dial(t, "tcp", ln.Addr().String())
	for _, r := range []string{"nobody@x.example", "bob@x.example", "ok@y.example", "nope@x.example"} {
		c.send(req(r))
		c.reply()
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "nobody@x.example unknown-user,nope@x.example unknown-user" {
		t.Fatalf("refusals told: %v", got)
	}
}
