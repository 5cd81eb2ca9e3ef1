package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// The domain admin's pages: the list of its domains, and per domain its
// policy (settings.PolicySettings, the same descriptor as `domain set`),
// quarantine retention, options (catch-all, two-factor login, users'
// own spam settings), users and aliases (domainusers.go). Every handler
// first checks that the caller administers the domain in the path, and
// every store call is keyed by that domain.

// policyField is one policy setting on a form: the override of the level
// being edited ("" = inherited) and what inheriting gives.
type policyField struct {
	Name, Help, Value, Inherited string
	// Choices make a select; none, a text field.
	Choices []string
}

// policyFields are the settings named (all when none) for a form that
// edits the overrides of the lowest of d and u, over base.
func policyFields(base settings.Policy, d *settings.Domain, u *settings.User, names ...string) []policyField {
	var above settings.Resolved
	level := settings.FromDomain
	if u != nil {
		above, level = settings.Resolve(base, d, nil), settings.FromUser
	} else {
		above = settings.Resolve(base, nil, nil)
	}
	cur := settings.Resolve(base, d, u)
	var out []policyField
	for _, s := range settings.PolicySettings {
		if len(names) > 0 && !contains(names, s.Name) {
			continue
		}
		f := policyField{Name: s.Name, Help: s.Help, Inherited: s.Value(above.Policy), Choices: s.Choices}
		if cur.Sources[s.Name] == level {
			f.Value = s.Value(cur.Policy)
		}
		out = append(out, f)
	}
	return out
}

// applyPolicyForm writes the form's settings (of names, all when none)
// into o: empty inherits, anything else goes through the setting's Set.
// It returns what the form asked for (for the audit log), up to the
// first value refused.
func applyPolicyForm(r *http.Request, o *settings.Overrides, names ...string) ([]string, error) {
	var changes []string
	for _, s := range settings.PolicySettings {
		if len(names) > 0 && !contains(names, s.Name) {
			continue
		}
		v := strings.TrimSpace(r.PostFormValue(s.Name))
		if v == "" {
			s.Clear(o)
			changes = append(changes, s.Name+" default")
			continue
		}
		changes = append(changes, s.Name+" "+v)
		if err := s.Set(o, v); err != nil {
			return changes, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return changes, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// retentionField is one category's quarantine retention of a domain.
type retentionField struct {
	Name, Value, Inherited string
}

var retentionCategories = []scan.Category{scan.Virus, scan.Spam, scan.Content}

// domainData is one domain's settings page.
type domainData struct {
	Name, Relay                     string
	CatchAll, RequireTOTP, UserSpam bool
	// ReleaseRequests: users request releases; PendingRequests wait.
	ReleaseRequests bool
	PendingRequests int
	Policy          []policyField
	Retention       []retentionField
	Users           []settings.User
	Aliases         []settings.Alias
	RelayNets       []string
	// Admin may accept a relay network broader than the limits.
	Admin bool
	// Mirror is the mail mirror and the recipient check.
	Mirror mirrorData
	// MX is the last MX/DNS check; MXOffered says the check is available.
	MX        *mxResult
	MXOffered bool
}

// domainRow is one line of the Domains page.
type domainRow struct {
	settings.Domain
	MX *mxResult
	// Pending counts the release requests waiting for a decision.
	Pending int
}

// domainsData is the Domains page.
type domainsData struct {
	Rows      []domainRow
	MXOffered bool
}

// domainOf returns the domain in the path if the caller administers it;
// otherwise it answers 404 (as for a domain that does not exist).
func (s *Server) domainOf(w http.ResponseWriter, r *http.Request, c *call) (*settings.Domain, bool) {
	name, err := settings.NormalizeDomain(r.PathValue("domain"))
	if err != nil || !c.p.Administers(name) {
		s.notFound(w, r, c)
		return nil, false
	}
	d, err := s.d.Settings.Domain(r.Context(), name)
	if err != nil {
		s.fail(w, r, c, err)
		return nil, false
	}
	return d, true
}

// domainsPage lists the domains the caller administers.
func (s *Server) domainsPage(w http.ResponseWriter, r *http.Request, c *call) {
	if !c.p.Admin && !c.p.IsDomainAdmin() {
		s.notFound(w, r, c)
		return
	}
	all, err := s.d.Settings.Domains(r.Context())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	data := domainsData{MXOffered: s.mx != nil}
	for _, d := range all {
		if c.p.Administers(d.Name) {
			n, err := s.d.Requests.CountPending(r.Context(), d.Name)
			if err != nil {
				s.fail(w, r, c, err)
				return
			}
			data.Rows = append(data.Rows, domainRow{Domain: d, MX: s.mxResult(d.Name), Pending: n})
		}
	}
	s.render(w, r, c, "domains", &view{Title: "Domains", Data: data})
}

// mxResult is domain's last MX/DNS check (nil: none, or no check).
func (s *Server) mxResult(domain string) *mxResult {
	if s.mx == nil {
		return nil
	}
	return s.mx.result(domain)
}

// domainPage shows one domain's settings, users and aliases.
func (s *Server) domainPage(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	ctx := r.Context()
	data := domainData{Name: d.Name, Relay: d.Relay, CatchAll: d.CatchAll, Policy: policyFields(s.d.Defaults, d, nil), Admin: c.p.Admin,
		MX: s.mxResult(d.Name), MXOffered: s.mx != nil, Mirror: newMirrorData(d, c.p.Admin)}
	for _, p := range d.RelayNets {
		data.RelayNets = append(data.RelayNets, p.String())
	}
	var err error
	if data.RequireTOTP, err = s.d.Accounts.DomainTOTP(ctx, d.Name); err == nil {
		data.UserSpam, err = s.d.Accounts.DomainUserSpam(ctx, d.Name)
	}
	if err == nil {
		data.ReleaseRequests, err = s.d.Accounts.DomainReleaseRequests(ctx, d.Name)
	}
	if err == nil {
		data.PendingRequests, err = s.d.Requests.CountPending(ctx, d.Name)
	}
	if err == nil {
		data.Users, err = s.d.Settings.Users(ctx, d.Name)
	}
	if err == nil {
		data.Aliases, err = s.d.Settings.Aliases().List(ctx, d.Name)
	}
	var dr quarantine.DomainRetention
	if err == nil {
		dr, err = s.d.Quarantine.DomainRetention(ctx, d.Name)
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	for _, cat := range retentionCategories {
		f := retentionField{Name: string(cat), Inherited: quarantine.FormatAge(s.d.Quarantine.Default().For(cat))}
		if v := dr.For(cat); v != nil {
			f.Value = quarantine.FormatAge(*v)
		}
		data.Retention = append(data.Retention, f)
	}
	s.render(w, r, c, "domain", &view{Title: "Domain", Data: data})
}

// domainPolicy saves the domain's policy overrides and retention, as
// `mailtower domain set` does.
func (s *Server) domainPolicy(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	ctx := r.Context()
	var changes []string
	err := s.d.Settings.UpdateDomain(ctx, d.Name, func(d *settings.Domain) error {
		var err error
		changes, err = applyPolicyForm(r, &d.Overrides)
		return err
	})
	if err == nil {
		var ret []string
		ret, err = s.saveRetention(r, d.Name)
		changes = append(changes, ret...)
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name, Detail: auditDetail(changes, err), OK: err == nil})
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/domains/"+d.Name+"?done=saved", http.StatusSeeOther)
}

// saveRetention stores the form's retention per category ("" = the
// default); quarantine.Store checks the bounds, as for the CLI.
func (s *Server) saveRetention(r *http.Request, domain string) ([]string, error) {
	var changes []string
	for _, cat := range retentionCategories {
		v := strings.TrimSpace(r.PostFormValue("retention-" + string(cat)))
		var d *time.Duration
		if v != "" {
			age, err := quarantine.ParseAge(v)
			if err != nil {
				return changes, fmt.Errorf("%s retention: %w", cat, err)
			}
			d = &age
		}
		if _, err := s.d.Quarantine.SetDomainRetention(r.Context(), domain, cat, d); err != nil {
			return changes, err
		}
		changes = append(changes, string(cat)+" retention "+orDefault(v))
	}
	return changes, nil
}

// auditDetail is what a settings form asked for, and why it was refused.
func auditDetail(changes []string, err error) string {
	d := strings.Join(changes, ", ")
	if err != nil {
		d += " (refused: " + err.Error() + ")"
	}
	return d
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// isNotFound reports a look-up that found nothing in either store.
func isNotFound(err error) bool {
	return errors.Is(err, quarantine.ErrNotFound) || errors.Is(err, settings.ErrNotFound)
}
