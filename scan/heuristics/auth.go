package heuristics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"

	"github.com/mailtower/mailtower/scan"
)

// Resolver is the DNS look-ups of the auth checks; *net.Resolver is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Authentication rules (RFC 7208 SPF, RFC 6376 DKIM, RFC 7489 DMARC).
// A DNS failure (temperror) is logged and scores nothing: it must never
// tempfail mail nor count against it.
var (
	ruleSPFPass     = rule("SPF_PASS", -0.1, "the sending host is allowed by the envelope sender's SPF record")
	ruleSPFFail     = rule("SPF_FAIL", 1.5, "the sending host is not allowed by the envelope sender's SPF record")
	ruleSPFSoftFail = rule("SPF_SOFTFAIL", 0.7, "the envelope sender's SPF record soft-fails the sending host")
	ruleDKIMValid   = rule("DKIM_VALID", -0.1, "a DKIM signature verifies")
	ruleDKIMInvalid = rule("DKIM_INVALID", 1.0, "a DKIM signature does not verify")
	ruleDMARCReject = rule("DMARC_FAIL_REJECT", 3.0, "fails DMARC and the From domain asks receivers to reject")
	ruleDMARCQuar   = rule("DMARC_FAIL_QUARANTINE", 2.0, "fails DMARC and the From domain asks receivers to quarantine")
	ruleDMARCNone   = rule("DMARC_FAIL_NONE", 0.3, "fails DMARC (the From domain's policy is none)")
)

// maxDKIMSignatures bounds the signatures verified per message.
const maxDKIMSignatures = 5

type authChecker struct {
	res     Resolver
	timeout time.Duration
	log     *slog.Logger
}

// authResult is what DMARC needs of SPF and DKIM.
type authResult struct {
	spf        spf.Result // "" when not checked (no client address)
	dkimPass   []string   // d= of the signatures that verify
	dkimTemp   bool       // a signature could not be checked (DNS)
	fromDomain string
}

func (a *authChecker) check(ctx context.Context, msg *scan.Message, fromDomain string, fire firer) {
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	r := authResult{fromDomain: fromDomain}
	a.checkSPF(ctx, msg.Envelope, &r, fire)
	a.checkDKIM(ctx, msg, &r, fire)
	a.checkDMARC(ctx, msg.Envelope, r, fire)
}

func (a *authChecker) checkSPF(ctx context.Context, env scan.Envelope, r *authResult, fire firer) {
	ip := net.ParseIP(env.ClientAddr)
	if ip == nil || env.Sender == "" && env.Helo == "" {
		return // offline scan: no SMTP transaction to check
	}
	res, err := spf.CheckHostWithSender(ip, env.Helo, env.Sender, spf.WithContext(ctx), spf.WithResolver(a.res))
	r.spf = res
	switch res {
	case spf.Pass:
		fire(ruleSPFPass, env.Sender)
	case spf.Fail:
		fire(ruleSPFFail, env.Sender+" from "+env.ClientAddr)
	case spf.SoftFail:
		fire(ruleSPFSoftFail, env.Sender+" from "+env.ClientAddr)
	case spf.TempError:
		a.log.Info("spf check inconclusive (dns)", "scanner", "heuristics", "queue_id", env.QueueID, "from", env.Sender, "err", err)
	}
}

func (a *authChecker) checkDKIM(ctx context.Context, msg *scan.Message, r *authResult, fire firer) {
	verifs, err := dkim.VerifyWithOptions(msg.Reader(), &dkim.VerifyOptions{
		LookupTXT:        func(d string) ([]string, error) { return a.res.LookupTXT(ctx, d) },
		MaxVerifications: maxDKIMSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		a.log.Info("dkim check failed", "scanner", "heuristics", "queue_id", msg.Envelope.QueueID, "err", err)
		r.dkimTemp = true
		return
	}
	bad := ""
	for _, v := range verifs {
		switch {
		case v.Err == nil:
			r.dkimPass = append(r.dkimPass, strings.ToLower(v.Domain))
		case dkim.IsTempFail(v.Err):
			r.dkimTemp = true
			a.log.Info("dkim check inconclusive (dns)", "scanner", "heuristics", "queue_id", msg.Envelope.QueueID, "domain", v.Domain, "err", v.Err)
		default:
			bad = v.Domain + ": " + v.Err.Error()
		}
	}
	switch {
	case len(r.dkimPass) > 0:
		fire(ruleDKIMValid, strings.Join(r.dkimPass, ", "))
	case bad != "":
		fire(ruleDKIMInvalid, short(bad))
	}
}

// checkDMARC evaluates RFC 7489 for the From domain. It concludes "fail"
// only when SPF was checked and every input was conclusive: a message
// scanned offline, or whose checks hit DNS trouble, is never failed.
func (a *authChecker) checkDMARC(ctx context.Context, env scan.Envelope, r authResult, fire firer) {
	if r.fromDomain == "" {
		return
	}
	rec, sub, err := a.lookupDMARC(ctx, r.fromDomain)
	if err != nil {
		if !errors.Is(err, dmarc.ErrNoPolicy) {
			a.log.Info("dmarc look-up failed", "scanner", "heuristics", "queue_id", env.QueueID, "domain", r.fromDomain, "err", err)
		}
		return
	}
	for _, d := range r.dkimPass {
		if aligned(d, r.fromDomain, rec.DKIMAlignment) {
			return // pass
		}
	}
	_, mailFrom, _ := strings.Cut(env.Sender, "@")
	if r.spf == spf.Pass && aligned(strings.ToLower(mailFrom), r.fromDomain, rec.SPFAlignment) {
		return // pass
	}
	if r.spf == "" || r.spf == spf.TempError || r.dkimTemp {
		return // not conclusive
	}
	policy := rec.Policy
	if sub && rec.SubdomainPolicy != "" {
		policy = rec.SubdomainPolicy
	}
	switch policy {
	case dmarc.PolicyReject:
		fire(ruleDMARCReject, r.fromDomain)
	case dmarc.PolicyQuarantine:
		fire(ruleDMARCQuar, r.fromDomain)
	default:
		fire(ruleDMARCNone, r.fromDomain)
	}
}

// lookupDMARC finds the policy of domain, else of its organisational
// domain (sub is then true).
func (a *authChecker) lookupDMARC(ctx context.Context, domain string) (*dmarc.Record, bool, error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(d string) ([]string, error) { return a.res.LookupTXT(ctx, d) }}
	rec, err := dmarc.LookupWithOptions(domain, opts)
	if errors.Is(err, dmarc.ErrNoPolicy) {
		if org := baseDomain(domain); org != domain {
			rec, err = dmarc.LookupWithOptions(org, opts)
			return rec, true, err
		}
	}
	return rec, false, err
}

// aligned compares identifiers as RFC 7489 section 3.1 does: exactly in
// strict mode, by organisational domain in relaxed mode (the default).
func aligned(id, from string, mode dmarc.AlignmentMode) bool {
	if mode == dmarc.AlignmentStrict {
		return id == from
	}
	return baseDomain(id) == baseDomain(from)
}
