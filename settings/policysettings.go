package settings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/internal/bytesize"
)

// PolicySetting describes one policy setting that a domain or a user can
// override: its name (the CLI flag, the key of Resolved.Sources), its
// column in the domains and users tables, how a value is read and checked,
// and how it is shown. PolicySettings drives the CLI flags of `domain set`
// and `user set`, their checks, `show`'s values and sources, resolution
// and the SQL; adding a setting is a field in Policy and in Overrides, a
// line in PolicySettings and a migration adding the column to both tables.
type PolicySetting struct {
	// Name is the flag and the source key, e.g. "spam-level".
	Name string
	// Column is the column in the domains and users tables.
	Column string
	// Help is the flag's help text.
	Help string
	// Set reads text into o's override, or returns why it is not valid.
	Set func(o *Overrides, text string) error
	// Clear removes o's override (inherit from the level above).
	Clear func(o *Overrides)
	// Show prints the setting's value in p.
	Show func(p Policy) string
	// Value prints the setting's value in p as Set reads it (the value of
	// a form field in the web portal).
	Value func(p Policy) string
	// Choices are the values Set accepts when they are a short list (a
	// select in the web portal); nil means free text.
	Choices []string

	// apply copies o's override into p, reporting whether o has one.
	apply func(p *Policy, o Overrides) bool
	// arg is o's override as an SQL argument (a nil pointer is NULL),
	// dest where a row's column is scanned into.
	arg  func(o Overrides) any
	dest func(o *Overrides) any
}

// PolicySettings are the policy settings in display order.
var PolicySettings = []PolicySetting{
	choices(setting("spam-level", "spam_level", "spam sensitivity 1 (only obvious spam) .. 5 (aggressive)",
		func(o *Overrides) **int { return &o.SpamLevel }, func(p *Policy) *int { return &p.SpamLevel },
		parseLevel, func(n int) string { return fmt.Sprintf("%d (%s)", n, LevelDescriptions[clampLevel(n)]) }),
		func(p Policy) string { return strconv.Itoa(p.SpamLevel) }, "1", "2", "3", "4", "5"),
	action("spam-action", "spam_action", "quarantine, tag, delete or pass",
		func(o *Overrides) **Action { return &o.SpamAction }, func(p *Policy) *Action { return &p.SpamAction }, SpamActions),
	action("virus-action", "virus_action", "quarantine or delete",
		func(o *Overrides) **Action { return &o.VirusAction }, func(p *Policy) *Action { return &p.VirusAction }, VirusActions),
	action("content-action", "content_action", "quarantine, tag, delete or pass",
		func(o *Overrides) **Action { return &o.ContentAction }, func(p *Policy) *Action { return &p.ContentAction }, SpamActions),
	setting("max-size", "max_size", "largest accepted message, e.g. 25MB",
		func(o *Overrides) **int64 { return &o.MaxSize }, func(p *Policy) *int64 { return &p.MaxSize },
		parseMaxSize, func(n int64) string { return bytesize.Size(n).String() }),
	choices(setting("notify-virus", "notify_virus", "who is told about a virus: none, recipient, admin or both",
		func(o *Overrides) **Notify { return &o.NotifyVirus }, func(p *Policy) *Notify { return &p.NotifyVirus },
		ParseNotify, func(n Notify) string { return string(n) }),
		nil, string(NotifyNone), string(NotifyRecipient), string(NotifyAdmin), string(NotifyBoth)),
	emptyClears(setting("admin", "admin", "admin address for virus notices",
		func(o *Overrides) **string { return &o.Admin }, func(p *Policy) *string { return &p.Admin },
		parseAdmin, func(a string) string { return a })),
}

// SettingNames lists the policy settings in display order.
var SettingNames = settingNames()

func settingNames() []string {
	out := make([]string, len(PolicySettings))
	for i, s := range PolicySettings {
		out[i] = s.Name
	}
	return out
}

// setting describes a setting whose override is field(o) and whose
// resolved value is value(p).
func setting[T any](name, column, help string, field func(*Overrides) **T, value func(*Policy) *T,
	parse func(string) (T, error), show func(T) string) PolicySetting {
	return PolicySetting{Name: name, Column: column, Help: help,
		Value: func(p Policy) string { return show(*value(&p)) },
		Set: func(o *Overrides, text string) error {
			v, err := parse(text)
			if err != nil {
				return err
			}
			*field(o) = &v
			return nil
		},
		Clear: func(o *Overrides) { *field(o) = nil },
		Show:  func(p Policy) string { return show(*value(&p)) },
		apply: func(p *Policy, o Overrides) bool {
			if v := *field(&o); v != nil {
				*value(p) = *v
				return true
			}
			return false
		},
		arg:  func(o Overrides) any { return *field(&o) },
		dest: func(o *Overrides) any { return field(o) },
	}
}

// action describes an action setting; allowed are its valid actions.
func action(name, column, help string, field func(*Overrides) **Action, value func(*Policy) *Action,
	allowed []Action) PolicySetting {
	s := setting(name, column, help, field, value,
		func(s string) (Action, error) { return ParseAction(s, allowed...) }, func(a Action) string { return string(a) })
	for _, a := range allowed {
		s.Choices = append(s.Choices, string(a))
	}
	return s
}

// choices gives s a short list of accepted values and, when value is not
// nil, a form value other than Show's text.
func choices(s PolicySetting, value func(Policy) string, list ...string) PolicySetting {
	s.Choices = list
	if value != nil {
		s.Value = value
	}
	return s
}

// emptyClears makes an empty value clear the override, as "default" does.
func emptyClears(s PolicySetting) PolicySetting {
	set := s.Set
	s.Set = func(o *Overrides, text string) error {
		if text == "" {
			s.Clear(o)
			return nil
		}
		return set(o, text)
	}
	return s
}

func parseLevel(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 5 {
		return 0, fmt.Errorf("spam level %q: want 1 to 5", s)
	}
	return n, nil
}

func clampLevel(n int) int {
	if n < 1 || n > 5 {
		return 3
	}
	return n
}

func parseMaxSize(s string) (int64, error) {
	b, err := bytesize.Parse(s)
	if err != nil || b <= 0 {
		return 0, fmt.Errorf("size %q: want a positive size such as 25MB", s)
	}
	return int64(b), nil
}

func parseAdmin(s string) (string, error) {
	a, _, err := NormalizeAddress(s)
	return a, err
}

// overrideColumns are the override columns of the domains and users
// tables, in PolicySettings order: "spam_level, spam_action, ...".
func overrideColumns(suffix string) string {
	cols := make([]string, len(PolicySettings))
	for i, s := range PolicySettings {
		cols[i] = s.Column + suffix
	}
	return strings.Join(cols, ", ")
}

// overrideCols lists the override columns for SELECT and INSERT;
// overrideSet assigns them in an UPDATE.
var (
	overrideCols = overrideColumns("")
	overrideSet  = overrideColumns(" = ?")
)

func overrideArgs(o Overrides) []any {
	out := make([]any, len(PolicySettings))
	for i, s := range PolicySettings {
		out[i] = s.arg(o)
	}
	return out
}

func overrideDest(o *Overrides) []any {
	out := make([]any, len(PolicySettings))
	for i, s := range PolicySettings {
		out[i] = s.dest(o)
	}
	return out
}
