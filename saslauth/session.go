package saslauth

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Reasons shown to SMTP clients (Postfix prints FAIL's reason after
// "535 5.7.8 Error: authentication failed:"): the same for an unknown
// login and a wrong password.
const (
	reasonFailed    = "Authentication failed"
	reasonMalformed = "Invalid authentication data"
	reasonMech      = "Unsupported authentication mechanism"
	reasonInsecure  = "TLS required"
	reasonLimited   = "Too many failed logins, try again later"
)

// maxPending bounds the unfinished exchanges of one connection (Postfix
// has one at a time).
const maxPending = 16

// session is one client connection's state.
type session struct {
	s       *Server
	w       *bufio.Writer
	pending map[uint32]*pending
	version bool
}

// pending is an exchange waiting for the client's CONT.
type pending struct {
	auth Auth
	mech mechanism
}

// handle answers one line; false closes the connection (protocol error,
// or a temporary failure that Postfix must see as 454).
func (c *session) handle(ctx context.Context, raw string) bool {
	line, err := ParseLine(raw)
	if err != nil {
		c.s.o.Logger.Warn("sasl: protocol error; closing", "err", err)
		return false
	}
	switch line.Cmd {
	case "VERSION":
		if len(line.Args) < 1 || line.Args[0] != fmt.Sprint(versionMajor) {
			c.s.o.Logger.Warn("sasl: client speaks another protocol version; closing", "version", clean(fmt.Sprint(line.Args)))
			return false
		}
		c.version = true
		return true
	case "CPID":
		return true
	case "AUTH":
		if !c.version {
			c.s.o.Logger.Warn("sasl: AUTH before VERSION; closing")
			return false
		}
		a, err := ParseAuth(line.Args)
		if err != nil {
			c.s.o.Logger.Warn("sasl: bad AUTH; closing", "err", err)
			return false
		}
		return c.start(ctx, a)
	case "CONT":
		if len(line.Args) < 1 {
			return false
		}
		id, err := ParseID(line.Args[0])
		if err != nil {
			return false
		}
		p := c.pending[id]
		if p == nil {
			c.fail(id, reasonMalformed)
			return true
		}
		delete(c.pending, id)
		data := ""
		if len(line.Args) > 1 {
			data = line.Args[1]
		}
		resp, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			c.fail(id, reasonMalformed)
			c.s.count(p.auth.Mech, "failed")
			return true
		}
		return c.step(ctx, p, resp, true)
	}
	return true // unknown commands are ignored (the protocol says so)
}

// start begins an exchange.
func (c *session) start(ctx context.Context, a Auth) bool {
	if c.pending[a.ID] != nil || len(c.pending) >= maxPending {
		c.fail(a.ID, reasonMalformed)
		return true
	}
	m := newMechanism(a.Mech)
	if m == nil {
		c.fail(a.ID, reasonMech)
		return true
	}
	if !a.Flags["secured"] {
		// Postfix says "secured" on a TLS connection; the passwords of
		// PLAIN and LOGIN must not cross in clear text.
		c.fail(a.ID, reasonInsecure)
		c.s.count(a.Mech, "failed")
		return true
	}
	resp, has, err := a.Resp()
	if err != nil {
		c.fail(a.ID, reasonMalformed)
		c.s.count(a.Mech, "failed")
		return true
	}
	return c.step(ctx, &pending{auth: a, mech: m}, resp, has)
}

// step feeds a response to the mechanism: a challenge goes out as CONT,
// credentials are checked.
func (c *session) step(ctx context.Context, p *pending, resp []byte, has bool) bool {
	challenge, more, login, password, err := p.mech.next(resp, has)
	switch {
	case err != nil:
		c.fail(p.auth.ID, reasonMalformed)
		c.s.count(p.auth.Mech, "failed")
		return true
	case more:
		c.pending[p.auth.ID] = p
		// The data field is required even when empty (Postfix checks it).
		fmt.Fprintf(c.w, "CONT\t%d\t%s\n", p.auth.ID, encode(challenge))
		return true
	}
	return c.verify(ctx, p.auth, login, password)
}

// verify applies the rate limits, checks the credentials in a hashing
// slot and answers.
func (c *session) verify(ctx context.Context, a Auth, login, password string) bool {
	s := c.s
	client := a.Params["rip"]
	log := s.o.Logger.With("user", clean(login), "mech", a.Mech, "client", clean(client))
	v := s.lim.check(client, login)
	if v.Delay > 0 || v.Refuse {
		s.limited(v.Scope)
	}
	s.o.Sleep(ctx, v.Delay)
	if v.Refuse {
		log.Warn("sasl login refused: too many failures", "scope", v.Scope)
		s.count(a.Mech, "refused")
		c.fail(a.ID, reasonLimited)
		return true
	}
	vctx, cancel := context.WithTimeout(ctx, 8*time.Second-v.Delay)
	defer cancel()
	user, err := s.check(vctx, login, password)
	switch {
	case errors.Is(err, ErrBadLogin):
		s.lim.failed(client, login)
		log.Warn("sasl login failed")
		s.count(a.Mech, "failed")
		c.fail(a.ID, reasonFailed)
		return true
	case err != nil:
		// Closing makes Postfix answer 454 4.7.0 (temporary): the
		// client retries instead of taking the password for wrong.
		// Dovecot's "FAIL id temp" would not do: Postfix 3.7 ignores the
		// flag and answers 535 (integration/saslconf_test.go).
		log.Error("sasl login could not be checked; temporary failure", "err", err)
		s.count(a.Mech, "tempfail")
		return false
	}
	s.lim.succeeded(login)
	log.Info("sasl login", "login", user)
	s.count(a.Mech, "ok")
	fmt.Fprintf(c.w, "OK\t%d\tuser=%s\n", a.ID, clean(user))
	return true
}

// check runs the Verifier in a hashing slot.
func (s *Server) check(ctx context.Context, login, password string) (string, error) {
	wait, cancel := context.WithTimeout(ctx, s.o.Wait)
	defer cancel()
	select {
	case s.hashing <- struct{}{}:
	case <-wait.Done():
		return "", fmt.Errorf("no free password-check slot within %s (max_hashing %d)", s.o.Wait, cap(s.hashing))
	}
	defer func() { <-s.hashing }()
	return s.o.Verifier.Verify(ctx, login, password)
}

func (c *session) fail(id uint32, reason string) {
	fmt.Fprintf(c.w, "FAIL\t%d\treason=%s\n", id, reason)
}

func (s *Server) count(mech, result string) {
	if s.o.Events != nil {
		s.o.Events.Login(mech, result)
	}
}

func (s *Server) limited(scope string) {
	if s.o.Events != nil && scope != "" {
		s.o.Events.Limited(scope)
	}
}
