package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// A domain's safety nets (docs/mirror.md, docs/callout.md), as `domain
// set D --mirror-days N --mirror-key age1… --verify-recipients MODE`
// sets them: the encrypted mail mirror, whose days and customer key a
// domain admin sets (the operator's escrow key only an admin), and how
// unknown recipients are checked (in the Options form). The gateway holds
// public keys only: a secret key pasted by mistake is refused and never
// echoed, stored or written to the audit log.

// mirrorData is the mirror card of a domain's page.
type mirrorData struct {
	Days           int
	Key, Escrow    string
	MaxDays        int
	VerifyChoices  []verifyChoice
	VerifyCurrent  string
	EscrowEditable bool
}

func newMirrorData(d *settings.Domain, admin bool) mirrorData {
	m := mirrorData{MaxDays: settings.MaxMirrorDays, EscrowEditable: admin,
		VerifyChoices: verifyChoices,
		VerifyCurrent: string(settings.VerifyList)}
	if d.VerifyRecipients == settings.VerifyCallout {
		m.VerifyCurrent = string(settings.VerifyCallout)
	}
	if d.Mirror != nil {
		m.Days, m.Key, m.Escrow = d.Mirror.Days, d.Mirror.Recipient, d.Mirror.Escrow
	}
	return m
}

// verifyChoice is one recipient check on the Options form.
type verifyChoice struct{ Value, Label string }

// verifyChoices are the recipient checks (settings.VerifyMode).
var verifyChoices = []verifyChoice{
	{string(settings.VerifyList), "List: the domain's users and aliases"},
	{string(settings.VerifyCallout), "Callout: ask your mail server"},
}

// errSecretKey refuses an age identity, without repeating it.
var errSecretKey = errors.New("this is a secret key: give the public key (age1…), and keep the secret key away from the gateway")

// mirrorKey checks a posted public key; "" stays "".
func mirrorKey(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if strings.Contains(strings.ToUpper(v), "SECRET") {
		return "", fmt.Errorf("%s: %w", field, errSecretKey)
	}
	if _, err := settings.ParseMirrorKey(v); err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// applyMirror reads the mirror form into d; the escrow key changes only
// when admin. It returns what was asked for, for the audit log (public
// keys only).
func applyMirror(r *http.Request, d *settings.Domain, admin bool) (string, error) {
	days, err := settings.ParseMirrorDays(orZero(r.PostFormValue("days")))
	if err != nil {
		return "mirror days " + strconv.Quote(r.PostFormValue("days")), err
	}
	if days == 0 {
		d.Mirror = nil
		return "mirror off", nil
	}
	m := settings.Mirror{Days: days}
	if d.Mirror != nil {
		m.Escrow = d.Mirror.Escrow
	}
	if m.Recipient, err = mirrorKey("mirror key", r.PostFormValue("key")); err != nil {
		return fmt.Sprintf("mirror %d days", days), err
	}
	if m.Recipient == "" {
		return fmt.Sprintf("mirror %d days", days), errors.New("the mirror needs the customer's public key (age1…, from age-keygen)")
	}
	if admin {
		if m.Escrow, err = mirrorKey("escrow key", r.PostFormValue("escrow")); err != nil {
			return fmt.Sprintf("mirror %d days, key %s", days, m.Recipient), err
		}
	}
	d.Mirror = &m
	detail := fmt.Sprintf("mirror %d days, key %s", days, m.Recipient)
	if m.Escrow != "" {
		detail += ", escrow " + m.Escrow
	}
	return detail, nil
}

func orZero(s string) string {
	if strings.TrimSpace(s) == "" {
		return "0"
	}
	return s
}

// domainMirror saves the domain's mirror.
func (s *Server) domainMirror(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	var detail string
	err := s.d.Settings.UpdateDomain(r.Context(), d.Name, func(d *settings.Domain) error {
		var err error
		detail, err = applyMirror(r, d, c.p.Admin)
		return err
	})
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name, Detail: auditDetail([]string{detail}, err), OK: err == nil})
	s.domainChanged(w, r, c, d.Name, "#mirror", err)
}
