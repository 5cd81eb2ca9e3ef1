// Package reinject hands messages back to Postfix through its listener
// without milter (the [reinject] smtp address): released quarantine
// messages, per-recipient copies that need a different treatment, and
// virus notices. Success means Postfix answered 250 to the message, i.e.
// it is in Postfix's queue and Postfix owns its delivery.
package reinject

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Sender sends one message to Postfix.
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg io.Reader) error
}

// EnvelopeSender also sends the DSN parameters of the envelope. *Client
// implements it; use Deliver to send through any Sender.
type EnvelopeSender interface {
	SendEnvelope(ctx context.Context, env Envelope, msg io.Reader) error
}

// QueuedSender also returns the queue id Postfix gave the message (its
// "250 2.0.0 Ok: queued as ID" after DATA), so that the mail history can
// follow the copy. *Client implements it.
type QueuedSender interface {
	SendQueued(ctx context.Context, env Envelope, msg io.Reader) (queueID string, err error)
}

// Deliver sends msg through s with env's DSN parameters when s supports
// them (EnvelopeSender), else with the addresses only.
func Deliver(ctx context.Context, s Sender, env Envelope, msg io.Reader) error {
	_, err := DeliverQueued(ctx, s, env, msg)
	return err
}

// DeliverQueued is Deliver that also returns Postfix's queue id for the
// message when s can tell it (QueuedSender), else "".
func DeliverQueued(ctx context.Context, s Sender, env Envelope, msg io.Reader) (string, error) {
	if qs, ok := s.(QueuedSender); ok {
		return qs.SendQueued(ctx, env, msg)
	}
	if es, ok := s.(EnvelopeSender); ok {
		return "", es.SendEnvelope(ctx, env, msg)
	}
	return "", s.Send(ctx, env.From, env.Addresses(), msg)
}

// Client is the SMTP client for the re-injection listener.
type Client struct {
	// Addr is "unix:PATH" or HOST:PORT of the listener ([reinject] smtp).
	Addr string
	// Hostname is sent in EHLO.
	Hostname string
	// Timeout bounds one whole transaction when ctx has no deadline.
	Timeout time.Duration
}

var (
	_ Sender         = (*Client)(nil)
	_ EnvelopeSender = (*Client)(nil)
	_ QueuedSender   = (*Client)(nil)
)

// Error is a refusal by Postfix, with its SMTP code.
type Error struct {
	Code int
	Msg  string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("postfix answered %d %s", e.Code, e.Msg) }

// Temporary reports whether Postfix asked to try again later.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Send delivers msg to Postfix with the given envelope. The message must
// not end its lines in a way Postfix rejects: bare LF lines are sent as
// CRLF by net/smtp's dot-writer.
func (c *Client) Send(ctx context.Context, from string, to []string, msg io.Reader) error {
	env := Envelope{From: from}
	for _, r := range to {
		env.To = append(env.To, Rcpt{Addr: r})
	}
	return c.SendEnvelope(ctx, env, msg)
}

// SendEnvelope is Send with the DSN parameters of env (RET, ENVID,
// NOTIFY, ORCPT), sent when Postfix announces DSN; invalid ones are
// dropped.
func (c *Client) SendEnvelope(ctx context.Context, env Envelope, msg io.Reader) error {
	_, err := c.SendQueued(ctx, env, msg)
	return err
}

// SendQueued is SendEnvelope that returns the queue id Postfix named in
// its reply to the message ("" when it named none).
func (c *Client) SendQueued(ctx context.Context, env Envelope, msg io.Reader) (string, error) {
	if len(env.To) == 0 {
		return "", errors.New("reinject: no recipients")
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := c.Timeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	qid, err := c.send(ctx, env.sanitized(), msg)
	if err != nil {
		return "", fmt.Errorf("reinject via %s: %w", c.Addr, err)
	}
	return qid, nil
}

// dial connects to "unix:PATH" or HOST:PORT.
func (c *Client) dial(ctx context.Context) (net.Conn, string, error) {
	var d net.Dialer
	if path, ok := strings.CutPrefix(c.Addr, "unix:"); ok {
		conn, err := d.DialContext(ctx, "unix", path)
		return conn, "localhost", err
	}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	host, _, _ := net.SplitHostPort(c.Addr)
	return conn, host, err
}

func (c *Client) send(ctx context.Context, env Envelope, msg io.Reader) (string, error) {
	conn, host, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	sc, err := smtp.NewClient(conn, host)
	if err != nil {
		return "", smtpErr(err)
	}
	defer sc.Close()
	hostname := c.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := sc.Hello(hostname); err != nil {
		return "", smtpErr(err)
	}
	if err := mail(sc, env); err != nil {
		return "", smtpErr(err)
	}
	dsn, _ := sc.Extension("DSN")
	for _, r := range env.To {
		if err := rcpt(sc, r, dsn); err != nil {
			return "", smtpErr(fmt.Errorf("recipient %s: %w", r.Addr, err))
		}
	}
	reply, err := data(sc, msg)
	if err != nil {
		return "", smtpErr(err)
	}
	// The 250 above is what counts: Postfix owns the message now. A failing
	// QUIT must not make a delivered message look undelivered, or a
	// quarantine release would put it back and deliver it a second time.
	_ = sc.Quit()
	return QueuedAs(reply), nil
}

// data sends DATA and the message and returns the text of the 250 reply
// (net/smtp's Data drops it, and with it the queue id).
func data(sc *smtp.Client, msg io.Reader) (string, error) {
	if err := command(sc, 354, "DATA"); err != nil {
		return "", err
	}
	w := sc.Text.DotWriter()
	if _, err := io.Copy(w, msg); err != nil {
		w.Close()
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	_, reply, err := sc.Text.ReadResponse(250) // waits for the 250 after the final dot
	return reply, err
}

// QueuedAs returns the queue id in Postfix's reply to a message ("2.0.0
// Ok: queued as 4dgJ9B0Xhhz9sXZ"), or "".
func QueuedAs(reply string) string {
	_, id, ok := strings.Cut(reply, "queued as ")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(id, " \r\n"); i >= 0 {
		id = id[:i]
	}
	return id
}

// mail sends MAIL FROM with BODY=8BITMIME and SMTPUTF8 where Postfix
// announces them (as net/smtp's Mail does) and the DSN parameters;
// net/smtp's Mail and Rcpt cannot send other parameters.
func mail(sc *smtp.Client, env Envelope) error {
	if strings.ContainsAny(env.From, "\r\n<>") {
		return fmt.Errorf("sender %q: bad characters", env.From)
	}
	cmd := "MAIL FROM:<" + env.From + ">"
	if ok, _ := sc.Extension("8BITMIME"); ok {
		cmd += " BODY=8BITMIME"
	}
	if ok, _ := sc.Extension("SMTPUTF8"); ok {
		cmd += " SMTPUTF8"
	}
	if ok, _ := sc.Extension("DSN"); ok {
		cmd += env.mailParams()
	}
	return command(sc, 250, cmd)
}

func rcpt(sc *smtp.Client, r Rcpt, dsn bool) error {
	if strings.ContainsAny(r.Addr, "\r\n<>") {
		return fmt.Errorf("bad characters")
	}
	cmd := "RCPT TO:<" + r.Addr + ">"
	if dsn {
		cmd += r.params()
	}
	return command(sc, 25, cmd)
}

// command sends one command and reads its reply (expect: a code or its
// first digits, as textproto.Conn.ReadResponse takes it).
func command(sc *smtp.Client, expect int, cmd string) error {
	id, err := sc.Text.Cmd("%s", cmd)
	if err != nil {
		return err
	}
	sc.Text.StartResponse(id)
	defer sc.Text.EndResponse(id)
	_, _, err = sc.Text.ReadResponse(expect)
	return err
}

func smtpErr(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Errorf("%w", &Error{Code: te.Code, Msg: te.Msg})
	}
	return err
}
