package policyd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/settings"
)

// The socketmap table names mailtower answers (socketmap_table(5)).
const (
	// MapDomains answers relay_domains: a customer domain is found.
	MapDomains = "domains"
	// MapTransport answers transport_maps: the next hop of the
	// recipient's domain (Postfix asks with the full address).
	MapTransport = "transport"
	// MapRecipients answers relay_recipient_maps: known users and aliases
	// of non-catch-all domains, any address of a callout domain, and
	// "@domain" for catch-all domains.
	MapRecipients = "recipients"
)

// maxSocketmapRequest bounds one request; Postfix keys are addresses and
// domains, far below this.
const maxSocketmapRequest = 10000

// SocketmapConfig configures a Socketmap server.
type SocketmapConfig struct {
	IdleTimeout    time.Duration
	MaxConnections int
	Logger         *slog.Logger
	// Panicked is told "socketmap" for every panic recovered while
	// answering (metrics); may be nil.
	Panicked func(component string)
	// TLS and AliasTargets feed the tls and senders tables (submission);
	// nil answers NOTFOUND.
	TLS          TLSSource
	AliasTargets AliasTargets
	// Generation empties the tls table's cache when settings change.
	Generation *Generation
}

// Socketmap serves Postfix socketmap look-ups from the settings, so that
// a domain added with the CLI is live without editing maps or a reload.
type Socketmap struct {
	domains  *domainCache
	resolver Resolver
	aliases  *aliasCache
	tls      *genLRU[map[string]settings.TLSPolicy]
	cfg      SocketmapConfig
	acc      acceptor
}

// newSocketmap returns a socketmap server. resolver finds users (with
// +ext); aliases finds aliases.
func newSocketmap(domains *domainCache, resolver Resolver, aliases *aliasCache, cfg SocketmapConfig) *Socketmap {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 330 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Socketmap{domains: domains, resolver: resolver, aliases: aliases, cfg: cfg,
		acc: acceptor{name: "socketmap", max: cfg.MaxConnections, log: cfg.Logger, panicked: cfg.Panicked}}
	if cfg.Generation != nil {
		m.tls, _ = newGenLRU[map[string]settings.TLSPolicy](cfg.Generation, 1) // size 1 cannot fail
	}
	return m
}

// Serve answers connections from ln until ctx ends (see Server.Serve).
func (m *Socketmap) Serve(ctx context.Context, ln net.Listener) error {
	return m.acc.serve(ctx, ln, m.serveConn)
}

func (m *Socketmap) serveConn(ctx context.Context, c net.Conn) {
	br := bufio.NewReaderSize(c, 1024)
	bw := bufio.NewWriterSize(c, 512)
	for {
		c.SetReadDeadline(time.Now().Add(m.cfg.IdleTimeout))
		if ctx.Err() != nil {
			return
		}
		req, err := ReadNetstring(br, maxSocketmapRequest)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
				m.cfg.Logger.Warn("socketmap: bad request; closing", "peer", c.RemoteAddr().String(), "err", err)
				// The framing is lost: tell Postfix why, then hang up.
				WriteNetstring(bw, "PERM malformed netstring")
			}
			return
		}
		c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		var reply string
		ok := safely(m.cfg.Logger, "socketmap", m.cfg.Panicked, func() { reply = m.Lookup(lctx, req) },
			"peer", c.RemoteAddr().String(), "request", string(req))
		cancel()
		if !ok {
			reply = "TEMP internal error"
		}
		m.cfg.Logger.Debug("socketmap look-up", "request", string(req), "reply", reply)
		if err := WriteNetstring(bw, reply); err != nil || !ok {
			return
		}
	}
}

// ParseSocketmapRequest splits "name key" (socketmap_table(5)).
func ParseSocketmapRequest(req []byte) (name, key string, err error) {
	sp := bytes.IndexByte(req, ' ')
	if sp <= 0 || sp == len(req)-1 {
		return "", "", errors.New("want \"name key\"")
	}
	return string(req[:sp]), string(req[sp+1:]), nil
}

// Lookup answers one request with "OK value", "NOTFOUND ", "TEMP reason"
// or "PERM reason".
func (m *Socketmap) Lookup(ctx context.Context, req []byte) string {
	name, key, err := ParseSocketmapRequest(req)
	if err != nil {
		return "PERM " + err.Error()
	}
	var value string
	var found bool
	switch name {
	case MapDomains:
		var d *settings.Domain
		d, err = m.routingDomain(ctx, key)
		if found = d != nil; found {
			value = d.Name
		}
	case MapTransport:
		// Postfix treats socketmap as a pattern table (like regexp): it
		// asks with the whole recipient address, never with its domain.
		var d *settings.Domain
		if _, domain, ok := address.Split(key); ok {
			key = domain
		}
		d, err = m.routingDomain(ctx, key)
		if found = d != nil; found {
			value = d.PostfixNextHop()
		}
	case MapRecipients:
		found, err = m.recipient(ctx, key)
		value = "OK"
	case MapTLS:
		value, found, err = m.tlsPolicy(ctx, key)
	case MapSenders:
		value, found, err = m.senderLogins(ctx, key)
	default:
		return fmt.Sprintf("PERM unknown map %q", name)
	}
	switch {
	case err != nil:
		m.cfg.Logger.Error("socketmap look-up failed", "map", name, "key", key, "err", err)
		return "TEMP settings look-up failed"
	case found:
		return "OK " + value
	}
	return "NOTFOUND "
}

// domain finds a customer domain by a bare domain key; address keys and
// ".parent" keys (Postfix tries those in transport_maps) are not found.
func (m *Socketmap) domain(ctx context.Context, key string) (*settings.Domain, error) {
	if strings.ContainsAny(key, "@ ") || strings.HasPrefix(key, ".") {
		return nil, nil
	}
	name, err := settings.NormalizeDomain(key)
	if err != nil {
		return nil, nil
	}
	return m.domains.get(ctx, name)
}

// routingDomain is domain for the routing tables (domains, transport).
// While the settings cannot be read (the database is down) it answers
// with the record cached before: Postfix keeps delivering the mail it has
// queued, and its address resolver does not keep a failure after the
// database is back (its client caches a failed answer for 30 s). New mail
// is still refused for the time being: the recipients table and the
// policy daemon answer temporary failures.
func (m *Socketmap) routingDomain(ctx context.Context, key string) (*settings.Domain, error) {
	d, err := m.domain(ctx, key)
	if err == nil {
		return d, nil
	}
	if name, nerr := settings.NormalizeDomain(key); nerr == nil {
		if last, ok := m.domains.lastKnown(name); ok {
			m.cfg.Logger.Warn("socketmap: settings unreadable, answering with the last known domain", "key", key, "err", err)
			return last, nil
		}
	}
	return nil, err
}

// recipient answers relay_recipient_maps. Postfix asks a socketmap with
// the full address only (pattern table); "@domain" is answered too, for
// callers that ask the way they ask hash tables.
func (m *Socketmap) recipient(ctx context.Context, key string) (bool, error) {
	if strings.HasPrefix(key, "@") {
		d, err := m.domain(ctx, key[1:])
		return d != nil && d.CatchAll, err
	}
	addr, domain, err := settings.NormalizeAddress(key)
	if err != nil {
		return false, nil
	}
	d, err := m.domains.get(ctx, domain)
	if d == nil || err != nil {
		return false, err
	}
	if d.CatchAll || d.VerifyRecipients == settings.VerifyCallout {
		// A callout domain's recipients are checked by the policy daemon's
		// reject_unverified_recipient; this table must not refuse them first.
		return true, nil
	}
	res, err := m.resolver.Resolve(ctx, addr)
	if err != nil || res.User != nil {
		return res.User != nil, err
	}
	return policy.IsAlias(ctx, m.aliases, addr)
}
