//go:build integration

package integration

import (
	"context"
	"fmt"

	"github.com/d--j/go-milter/mailfilter"
)

// noopMilter is a milter that accepts every message, set up like
// mailtower's (decision at end of message, body collected), with its own
// Postfix smtpd listener: the load run's measure of what the milter
// protocol costs Postfix by itself.
type noopMilter struct {
	mf                   *mailfilter.MailFilter
	smtpPort, milterPort int
}

func startNoopMilter() (*noopMilter, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	n := &noopMilter{smtpPort: ports[0], milterPort: ports[1]}
	n.mf, err = mailfilter.New("tcp", fmt.Sprintf("127.0.0.1:%d", n.milterPort),
		func(context.Context, mailfilter.Trx) (mailfilter.Decision, error) { return mailfilter.Accept, nil },
		mailfilter.WithDecisionAt(mailfilter.DecisionAtEndOfMessage),
		mailfilter.WithBody(1<<20, 64<<20, mailfilter.RejectMessageWhenTooBig))
	if err != nil {
		return nil, fmt.Errorf("no-op milter: %w", err)
	}
	return n, nil
}

// masterEntry is the master.cf line of the smtpd that uses the no-op milter.
func (n *noopMilter) masterEntry() string {
	return fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd\n  -o smtpd_milters=inet:127.0.0.1:%d\n", n.smtpPort, n.milterPort)
}

func (n *noopMilter) smtpAddr() string { return fmt.Sprintf("127.0.0.1:%d", n.smtpPort) }

func (n *noopMilter) close() { n.mf.Close() }
