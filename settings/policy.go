// Package settings holds who decides what happens to a message: domains,
// users and their policy overrides, resolved global → domain → user into
// one Policy per recipient.
package settings

import (
	"fmt"
	"strings"
)

// Action is what happens to a recipient's copy of a message.
type Action string

// The actions a policy can name.
const (
	ActionPass       Action = "pass"
	ActionTag        Action = "tag"
	ActionQuarantine Action = "quarantine"
	ActionDelete     Action = "delete"
)

// ParseAction reads an action; allowed restricts which ones are valid here
// (a virus can never be passed or tagged).
func ParseAction(s string, allowed ...Action) (Action, error) {
	a := Action(strings.ToLower(strings.TrimSpace(s)))
	for _, ok := range allowed {
		if a == ok {
			return a, nil
		}
	}
	names := make([]string, len(allowed))
	for i, ok := range allowed {
		names[i] = string(ok)
	}
	return "", fmt.Errorf("action %q: want %s", s, strings.Join(names, ", "))
}

// SpamActions are the actions valid for spam and content-filter hits.
var SpamActions = []Action{ActionQuarantine, ActionTag, ActionDelete, ActionPass}

// VirusActions are the actions valid for viruses: never delivered.
var VirusActions = []Action{ActionQuarantine, ActionDelete}

// Notify says who is told about a virus. Never the sender: it is forged.
type Notify string

// The notification targets.
const (
	NotifyNone      Notify = "none"
	NotifyRecipient Notify = "recipient"
	NotifyAdmin     Notify = "admin"
	NotifyBoth      Notify = "both"
)

// ParseNotify reads a virus notification target.
func ParseNotify(s string) (Notify, error) {
	n := Notify(strings.ToLower(strings.TrimSpace(s)))
	switch n {
	case NotifyNone, NotifyRecipient, NotifyAdmin, NotifyBoth:
		return n, nil
	}
	return "", fmt.Errorf("virus notification %q: want none, recipient, admin or both", s)
}

// SpamThresholds maps spam levels 1..5 to the total spam score (on
// SpamAssassin's points scale, summed over all spam engines) at or above
// which a message is spam. Level 3 is SpamAssassin's own default of 5.0.
var SpamThresholds = [6]float64{0, 12.0, 8.0, 5.0, 3.5, 2.5}

// LevelDescriptions explain the levels to admins (CLI help, docs).
var LevelDescriptions = [6]string{"",
	"very cautious: only obvious spam (score >= 12)",
	"cautious (score >= 8)",
	"balanced, SpamAssassin's default (score >= 5)",
	"strict (score >= 3.5)",
	"aggressive (score >= 2.5)",
}

// Policy is the fully resolved policy for one recipient.
type Policy struct {
	SpamLevel     int
	SpamAction    Action
	VirusAction   Action
	ContentAction Action
	MaxSize       int64
	NotifyVirus   Notify
	Admin         string
}

// SpamThreshold is the score at or above which mail is spam for this policy.
func (p Policy) SpamThreshold() float64 {
	if p.SpamLevel < 1 || p.SpamLevel > 5 {
		return SpamThresholds[3]
	}
	return SpamThresholds[p.SpamLevel]
}

// Overrides are the policy values a domain or a user sets; nil means
// "inherit from the level above".
type Overrides struct {
	SpamLevel     *int
	SpamAction    *Action
	VirusAction   *Action
	ContentAction *Action
	MaxSize       *int64
	NotifyVirus   *Notify
	Admin         *string
}

// Source says where a resolved value came from.
type Source string

// Where a value can come from.
const (
	FromDefault Source = "default"
	FromDomain  Source = "domain"
	FromUser    Source = "user"
)

// Resolved is a Policy with the origin of every value.
type Resolved struct {
	Policy
	// Sources maps a setting name (as in the CLI flags) to its origin.
	Sources map[string]Source
	// Domain is the recipient's domain record, nil when unknown.
	Domain *Domain
	// User is the recipient's user record, nil when none.
	User *User
	// Rules are the rules in the recipient's scopes (global, domain, user),
	// filled by a Resolver with a RuleStore.
	Rules []Rule
}

// Resolve applies the domain's and then the user's overrides to base.
func Resolve(base Policy, d *Domain, u *User) Resolved {
	r := Resolved{Policy: base, Sources: map[string]Source{}, Domain: d, User: u}
	for _, name := range SettingNames {
		r.Sources[name] = FromDefault
	}
	if d != nil {
		r.apply(d.Overrides, FromDomain)
	}
	if u != nil {
		r.apply(u.Overrides, FromUser)
	}
	return r
}

func (r *Resolved) apply(o Overrides, src Source) {
	for _, s := range PolicySettings {
		if s.apply(&r.Policy, o) {
			r.Sources[s.Name] = src
		}
	}
}
