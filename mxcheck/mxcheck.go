// Package mxcheck answers "do this domain's MX records point at this
// gateway?" for `mailtower domain check`, with advice for the customer
// when they do not.
//
// Mail for a domain goes to its most preferred reachable MX (RFC 5321
// section 5.1); a domain without MX records gets mail at its address
// records; a null MX (RFC 7505) accepts no mail. An MX that is not the
// gateway is a way around the filter: spammers deliberately use backup MXs.
package mxcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
)

// Resolver is the part of *net.Resolver the check needs; tests pass a fake.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Status is the outcome, ordered OK < Warn < Fail.
type Status int

// The outcomes.
const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string { return [...]string{"OK", "WARN", "FAIL"}[s] }

// MarshalText writes the status as OK, WARN or FAIL.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MX is one MX record and whether it is this gateway.
type MX struct {
	Host string `json:"host"`
	Pref uint16 `json:"preference"`
	// Gateway is true when Host is one of the gateway's names, or resolves
	// to one of the gateway's addresses (By says which).
	Gateway bool   `json:"gateway"`
	By      string `json:"matched_by,omitempty"`
}

// Result is the outcome of one check.
type Result struct {
	Domain string   `json:"domain"`
	Status Status   `json:"status"`
	MX     []MX     `json:"mx"`
	Lines  []Line   `json:"findings"`
	Advice []string `json:"advice,omitempty"`
	// Publish are the MX records to set when the current ones are wrong.
	Publish []string `json:"publish,omitempty"`
}

// Line is one status line.
type Line struct {
	Status Status `json:"status"`
	Text   string `json:"text"`
}

// DNSError is returned when DNS could not answer (as opposed to answering
// that there are no records): the check says nothing about the domain.
type DNSError struct{ Err error }

func (e *DNSError) Error() string {
	return fmt.Sprintf("DNS look-up failed (is a resolver reachable? try --dns HOST): %v", e.Err)
}
func (e *DNSError) Unwrap() error { return e.Err }

// Check resolves domain's MX records and compares them with the gateway's
// host names.
func Check(ctx context.Context, r Resolver, domain string, gateway []string) (*Result, error) {
	domain = canon(domain)
	gw := canonAll(gateway)
	if len(gw) == 0 {
		return nil, errors.New("no gateway host names: set mx_names (or hostname) in the configuration")
	}
	res := &Result{Domain: domain}
	mxs, err := r.LookupMX(ctx, domain)
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		mxs = nil
	case err != nil:
		return nil, &DNSError{Err: err}
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
	for _, m := range mxs {
		res.MX = append(res.MX, MX{Host: canon(m.Host), Pref: m.Pref})
	}
	switch {
	case len(res.MX) == 1 && res.MX[0].Host == "":
		res.add(Fail, "%s publishes a null MX (RFC 7505): it accepts no mail at all", domain)
		res.setMX(gw)
		return res, nil
	case len(res.MX) == 0:
		res.add(Fail, "%s has no MX records: senders deliver to its address records, around the gateway", domain)
		res.setMX(gw)
		return res, nil
	}
	matchGateway(ctx, r, res.MX, gw)
	res.judge(gw)
	return res, nil
}

// matchGateway marks the MXs that are the gateway, by name, else by address.
func matchGateway(ctx context.Context, r Resolver, mxs []MX, gw []string) {
	var gwAddrs []string
	resolved := false
	for i := range mxs {
		if slices.Contains(gw, mxs[i].Host) {
			mxs[i].Gateway, mxs[i].By = true, "name"
			continue
		}
		if !resolved {
			for _, g := range gw {
				addrs, _ := r.LookupHost(ctx, g)
				gwAddrs = append(gwAddrs, addrs...)
			}
			resolved = true
		}
		addrs, _ := r.LookupHost(ctx, mxs[i].Host)
		for _, a := range addrs {
			if slices.Contains(gwAddrs, a) {
				mxs[i].Gateway, mxs[i].By = true, "address "+a
				break
			}
		}
	}
}

// judge turns the marked MXs into status lines and advice.
func (res *Result) judge(gw []string) {
	best := res.MX[0].Pref
	var bypassBest, bypassBackup, ours []MX
	for _, m := range res.MX {
		switch {
		case m.Gateway:
			ours = append(ours, m)
		case m.Pref == best:
			bypassBest = append(bypassBest, m)
		default:
			bypassBackup = append(bypassBackup, m)
		}
	}
	for _, m := range ours {
		how := ""
		if m.By != "name" {
			how = " (by " + m.By + ")"
		}
		res.add(OK, "MX %d %s is this gateway%s", m.Pref, m.Host, how)
	}
	for _, m := range bypassBest {
		res.add(Fail, "MX %d %s is not this gateway and is most preferred: mail goes there unfiltered", m.Pref, m.Host)
	}
	for _, m := range bypassBackup {
		res.add(Warn, "MX %d %s is not this gateway: senders (spammers on purpose) can deliver there unfiltered", m.Pref, m.Host)
	}
	if len(bypassBest)+len(bypassBackup) == 0 {
		return
	}
	res.setMX(gw)
	var others []string
	for _, m := range append(bypassBest, bypassBackup...) {
		others = append(others, m.Host)
	}
	res.Advice = append(res.Advice,
		fmt.Sprintf("Remove the MX records for %s; if that is the customer's own server, keep it as the gateway's relay target (mailtower domain set %s --relay HOST) and let its firewall accept SMTP only from the gateway.", strings.Join(others, ", "), res.Domain),
		"Do not keep the customer's server as a backup MX: the gateway's Postfix already queues mail for up to 7 days when the server is down.")
}

// setMX advises the records to publish: every gateway name, in the order
// configured, 10 apart.
func (res *Result) setMX(gw []string) {
	for i, g := range gw {
		res.Publish = append(res.Publish, fmt.Sprintf("%s. IN MX %d %s.", res.Domain, 10*(i+1), g))
	}
	res.Advice = append(res.Advice, "Publish the MX records below. All MX records must be gateways; equal "+
		"preferences share the load, different ones make a primary and a backup.")
}

func (res *Result) add(s Status, format string, args ...any) {
	res.Lines = append(res.Lines, Line{Status: s, Text: fmt.Sprintf(format, args...)})
	if s > res.Status {
		res.Status = s
	}
}

func canon(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }

func canonAll(names []string) []string {
	var out []string
	for _, n := range names {
		if c := canon(n); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
