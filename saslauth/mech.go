package saslauth

import (
	"bytes"
	"errors"
)

// The mechanisms offered. Both send the password in clear text, so
// Postfix offers them only after STARTTLS (smtpd_tls_auth_only).
const (
	MechPlain = "PLAIN"
	MechLogin = "LOGIN"
)

// errMalformed is a client response that does not fit the mechanism.
var errMalformed = errors.New("malformed response")

// mechanism is one SASL exchange in progress. next takes the client's
// response (nil before the first one when there was no initial
// response) and returns either a challenge to send (more = true) or the
// credentials.
type mechanism interface {
	next(resp []byte, hasResp bool) (challenge []byte, more bool, login, password string, err error)
}

func newMechanism(name string) mechanism {
	switch name {
	case MechPlain:
		return &plain{}
	case MechLogin:
		return &login{}
	}
	return nil
}

// plain is RFC 4616: [authzid] NUL authcid NUL passwd. An authorization
// identity other than the login itself (acting for someone else) is
// refused.
type plain struct{ asked bool }

func (p *plain) next(resp []byte, hasResp bool) ([]byte, bool, string, string, error) {
	if !hasResp {
		if p.asked {
			return nil, false, "", "", errMalformed
		}
		p.asked = true
		return []byte{}, true, "", "", nil
	}
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, false, "", "", errMalformed
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		return nil, false, "", "", errMalformed
	}
	return nil, false, user, pass, nil
}

// login is the LOGIN mechanism (draft-murchison-sasl-login): the server
// asks "Username:" and "Password:"; an initial response is the user name.
type login struct {
	user     string
	haveUser bool
}

func (l *login) next(resp []byte, hasResp bool) ([]byte, bool, string, string, error) {
	switch {
	case !l.haveUser && !hasResp:
		return []byte("Username:"), true, "", "", nil
	case !l.haveUser:
		if len(resp) == 0 {
			return nil, false, "", "", errMalformed
		}
		l.user, l.haveUser = string(resp), true
		return []byte("Password:"), true, "", "", nil
	case !hasResp:
		return nil, false, "", "", errMalformed
	}
	return nil, false, l.user, string(resp), nil
}
