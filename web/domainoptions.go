package web

import (
	"fmt"
	"net/http"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// domainOptions saves catch-all, the two-factor requirement, whether
// users may set their own spam level and action, and whether their
// releases are requests (requests.go).
func (s *Server) domainOptions(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	ctx := r.Context()
	catchAll, totp, userSpam := r.PostFormValue("catch_all") == "1", r.PostFormValue("require_totp") == "1", r.PostFormValue("user_spam") == "1"
	requests := r.PostFormValue("release_requests") == "1"
	verify := settings.VerifyMode("")
	var err error
	if v := r.PostFormValue("verify"); v != "" { // absent: unchanged
		verify, err = settings.ParseVerifyMode(v)
	}
	if err != nil {
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name, Detail: auditDetail(nil, err)})
		s.badRequest(w, r, c, err)
		return
	}
	err = s.d.Settings.UpdateDomain(ctx, d.Name, func(d *settings.Domain) error {
		d.CatchAll = catchAll
		if verify != "" {
			d.VerifyRecipients = verify
		}
		return nil
	})
	if err == nil {
		err = s.d.Accounts.SetDomainTOTP(ctx, d.Name, totp)
	}
	if err == nil {
		err = s.d.Accounts.SetDomainUserSpam(ctx, d.Name, userSpam)
	}
	if err == nil {
		err = s.d.Accounts.SetDomainReleaseRequests(ctx, d.Name, requests)
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name,
		Detail: fmt.Sprintf("catch-all %s, require 2FA %s, users set spam level %s, release requests %s, recipient check %s",
			yesNo(catchAll), yesNo(totp), yesNo(userSpam), yesNo(requests), orDefault(string(verify))), OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/domains/"+d.Name+"?done=saved", http.StatusSeeOther)
}
