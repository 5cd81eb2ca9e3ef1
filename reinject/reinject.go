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
	"time"
)

// Sender sends one message to Postfix.
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg io.Reader) error
}

// Client is the SMTP client for the re-injection listener.
type Client struct {
	// Addr is HOST:PORT of the listener.
	Addr string
	// Hostname is sent in EHLO.
	Hostname string
	// Timeout bounds one whole transaction when ctx has no deadline.
	Timeout time.Duration
}

var _ Sender = (*Client)(nil)

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
	if len(to) == 0 {
		return errors.New("reinject: no recipients")
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
	err := c.send(ctx, from, to, msg)
	if err != nil {
		return fmt.Errorf("reinject via %s: %w", c.Addr, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, from string, to []string, msg io.Reader) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	sc, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpErr(err)
	}
	defer sc.Close()
	hostname := c.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := sc.Hello(hostname); err != nil {
		return smtpErr(err)
	}
	if err := sc.Mail(from); err != nil {
		return smtpErr(err)
	}
	for _, rcpt := range to {
		if err := sc.Rcpt(rcpt); err != nil {
			return smtpErr(fmt.Errorf("recipient %s: %w", rcpt, err))
		}
	}
	w, err := sc.Data()
	if err != nil {
		return smtpErr(err)
	}
	if _, err := io.Copy(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil { // waits for the 250 after the final dot
		return smtpErr(err)
	}
	// The 250 above is what counts: Postfix owns the message now. A failing
	// QUIT must not make a delivered message look undelivered, or a
	// quarantine release would put it back and deliver it a second time.
	_ = sc.Quit()
	return nil
}

func smtpErr(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Errorf("%w", &Error{Code: te.Code, Msg: te.Msg})
	}
	return err
}
