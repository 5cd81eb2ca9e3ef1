package settings

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// RuleKind is what a rule matches.
type RuleKind string

// The rule kinds (the CLI flags of `mailtower rule add`).
const (
	BlockSender       RuleKind = "block-sender"        // envelope sender address (policyd)
	BlockSenderDomain RuleKind = "block-sender-domain" // envelope sender domain and its subdomains (policyd)
	BlockIP           RuleKind = "block-ip"            // client IP or CIDR (policyd)
	AllowSender       RuleKind = "allow-sender"        // sender skips spam verdict and greylisting
	BlockFiletype     RuleKind = "block-filetype"      // attachment type by extension and detected content (content filter)
	BlockContent      RuleKind = "block-content"       // RE2 pattern on subject and text (content filter)
)

// RuleKinds lists every kind in display order.
var RuleKinds = []RuleKind{BlockSender, BlockSenderDomain, BlockIP, AllowSender, BlockFiletype, BlockContent}

// ScopeKind is the level a rule is attached to.
type ScopeKind string

// The rule scopes.
const (
	ScopeGlobal ScopeKind = "global"
	ScopeDomain ScopeKind = "domain"
	ScopeUser   ScopeKind = "user"
)

// Scope is where a rule applies: everywhere, one domain, or one user.
type Scope struct {
	Kind ScopeKind `json:"kind"`
	// Name is the domain or the user address; empty for global.
	Name string `json:"name,omitempty"`
}

// String renders the scope as the CLI accepts it.
func (s Scope) String() string {
	if s.Kind == ScopeGlobal {
		return "global"
	}
	return s.Name
}

// ParseScope reads "global", a domain, or a user address.
func ParseScope(s string) (Scope, error) {
	if strings.EqualFold(strings.TrimSpace(s), "global") {
		return Scope{Kind: ScopeGlobal}, nil
	}
	if strings.Contains(s, "@") {
		a, _, err := NormalizeAddress(s)
		if err != nil {
			return Scope{}, fmt.Errorf("scope: %w", err)
		}
		return Scope{Kind: ScopeUser, Name: a}, nil
	}
	d, err := NormalizeDomain(s)
	if err != nil {
		return Scope{}, fmt.Errorf("scope %q: want global, a domain or a user address", s)
	}
	return Scope{Kind: ScopeDomain, Name: d}, nil
}

// Rule is one block or allow rule.
type Rule struct {
	ID      int64     `json:"id"`
	Scope   Scope     `json:"scope"`
	Kind    RuleKind  `json:"kind"`
	Value   string    `json:"value"`
	Comment string    `json:"comment,omitempty"`
	Created time.Time `json:"created"`
}

// NormalizeRuleValue checks and canonicalises a rule's value for its kind.
func NormalizeRuleValue(kind RuleKind, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch kind {
	case BlockSender, AllowSender:
		if strings.HasPrefix(v, "@") { // "@example.com" means the whole domain
			d, err := NormalizeDomain(v[1:])
			return "@" + d, err
		}
		a, _, err := NormalizeAddress(v)
		return a, err
	case BlockSenderDomain:
		return NormalizeDomain(strings.TrimPrefix(v, "@"))
	case BlockIP:
		if p, err := netip.ParsePrefix(v); err == nil {
			return p.Masked().String(), nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", fmt.Errorf("block-ip %q: want an IP address or CIDR", v)
		}
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	case BlockFiletype:
		ext := strings.ToLower(strings.TrimPrefix(v, "."))
		if ext == "" || strings.ContainsAny(ext, "/\\ \t") {
			return "", fmt.Errorf("block-filetype %q: want an extension such as exe", v)
		}
		return ext, nil
	case BlockContent:
		if _, err := regexp.Compile(v); err != nil {
			return "", fmt.Errorf("block-content %q: %w", v, err)
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown rule kind %q", kind)
}

// RuleStore keeps rules.
type RuleStore interface {
	AddRule(ctx context.Context, r Rule) (Rule, error)
	// Rules lists rules; a zero scope lists every scope, an empty kind every kind.
	Rules(ctx context.Context, scope Scope, kind RuleKind) ([]Rule, error)
	RemoveRule(ctx context.Context, id int64) error
	// RulesFor returns the rules that apply to recipient: global ones,
	// its domain's, and its own.
	RulesFor(ctx context.Context, recipient string) ([]Rule, error)
}

var _ RuleStore = (*SQLStore)(nil)

// AddRule validates and stores a rule; an identical rule is an ErrExists.
func (s *SQLStore) AddRule(ctx context.Context, r Rule) (Rule, error) {
	v, err := NormalizeRuleValue(r.Kind, r.Value)
	if err != nil {
		return Rule{}, err
	}
	r.Value = v
	if r.Created.IsZero() {
		r.Created = s.now()
	}
	err = s.db.QueryRowContext(ctx, `INSERT INTO rules (scope_kind, scope, kind, value, comment, created)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, r.Scope.Kind, r.Scope.Name, r.Kind, r.Value, r.Comment, r.Created.Unix()).Scan(&r.ID)
	if isUnique(err) {
		return Rule{}, fmt.Errorf("rule %s %s for %s: %w", r.Kind, r.Value, r.Scope, ErrExists)
	}
	if err != nil {
		return Rule{}, fmt.Errorf("add rule: %w", err)
	}
	return r, nil
}

// Rules lists rules by scope and kind.
func (s *SQLStore) Rules(ctx context.Context, scope Scope, kind RuleKind) ([]Rule, error) {
	return s.queryRules(ctx, `SELECT id, scope_kind, scope, kind, value, comment, created FROM rules
		WHERE (? = '' OR (scope_kind = ? AND scope = ?)) AND (? = '' OR kind = ?) ORDER BY id`,
		scope.Kind, scope.Kind, scope.Name, kind, kind)
}

// RulesFor returns the rules that apply to one recipient.
func (s *SQLStore) RulesFor(ctx context.Context, recipient string) ([]Rule, error) {
	addr, domain, err := NormalizeAddress(recipient)
	if err != nil {
		return s.Rules(ctx, Scope{Kind: ScopeGlobal}, "")
	}
	return s.queryRules(ctx, `SELECT id, scope_kind, scope, kind, value, comment, created FROM rules
		WHERE scope_kind = 'global' OR (scope_kind = 'domain' AND scope = ?) OR (scope_kind = 'user' AND scope = ?)
		ORDER BY id`, domain, addr)
}

func (s *SQLStore) queryRules(ctx context.Context, q string, args ...any) ([]Rule, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var created int64
		if err := rows.Scan(&r.ID, &r.Scope.Kind, &r.Scope.Name, &r.Kind, &r.Value, &r.Comment, &created); err != nil {
			return nil, fmt.Errorf("list rules: %w", err)
		}
		r.Created = time.Unix(created, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RemoveRule deletes a rule by id.
func (s *SQLStore) RemoveRule(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id)
	return checkAffected(res, err, fmt.Sprintf("rule %d", id))
}

// RemoveRuleIn deletes rule id only if it belongs to scope and is one of
// kinds (any kind when none is given): the portal removes a rule of the
// scope a caller may change, whatever id was posted, in the query itself.
func (s *SQLStore) RemoveRuleIn(ctx context.Context, scope Scope, id int64, kinds ...RuleKind) (Rule, error) {
	rules, err := s.queryRules(ctx, `SELECT id, scope_kind, scope, kind, value, comment, created FROM rules
		WHERE id = ? AND scope_kind = ? AND scope = ?`, id, scope.Kind, scope.Name)
	if err != nil {
		return Rule{}, err
	}
	if len(rules) == 0 || (len(kinds) > 0 && !slices.Contains(kinds, rules[0].Kind)) {
		return Rule{}, fmt.Errorf("rule %d of %s: %w", id, scope, ErrNotFound)
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM rules WHERE id = ? AND scope_kind = ? AND scope = ?`, id, scope.Kind, scope.Name)
	return rules[0], checkAffected(res, err, fmt.Sprintf("rule %d", id))
}
