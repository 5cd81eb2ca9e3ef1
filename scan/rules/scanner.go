// Package rules is the content filter: the scan.Scanner "rules" applies the
// block-filetype and block-content rules of every recipient's scope to a
// message, and reports malformed structure (hostile or broken MIME,
// archives past their limits) as a content finding, never as clean.
//
// What is "malformed": every mimewalk.Problem marked Malformed (structure
// that could hide content from one reader: readings that disagree on the
// attachments, NUL in headers, conflicting boundaries or Content-Type
// headers, missing or absent boundaries, parts after the end, attachments
// in unknown transfer encodings or with bytes outside the base64 alphabet;
// and the depth, parts, decoded-size and work limits), plus archives that
// cannot be inspected within the limits (unpack budget, nesting depth,
// member count, corrupt zip/gzip/tar) outside an alternative reading.
// Mere notes, which never change the verdict and are reported in one
// zero-score finding MIME_NOTE: header continuation lines without white
// space, comments in field names, unknown charsets, 8-bit headers,
// over-long boundaries present in the body, a transfer encoding on a
// multipart and the problems of its decoded reading when that reading
// shows no file of its own, unknown or broken encodings in text parts
// (decoded as far as they go), base64 padding slips every decoder reads
// alike, headerless parts, unterminated quotes.
//
// Containers opened: zip, gzip, tar, RAR, 7z, ISO 9660 and FAT images,
// TNEF, and the files embedded in PDF and OneNote documents; PDF active
// content is the detected types pdfjs and pdflaunch. A OneNote section
// carrying an executable or script is a content finding
// ONENOTE_EXECUTABLE for every recipient.
//
// Encrypted archive members (and members in compression methods Go cannot
// read) cannot be checked against file-type rules. Their names are still
// checked; beyond that they are a finding for every recipient who has at
// least one block-filetype rule (those recipients asked for file types to
// be checked, and a locked file would otherwise pass "clean because
// unparseable"), and for a rule "encrypted". Recipients without file-type
// rules receive encrypted archives.
package rules

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Name is the scanner's name in findings, logs and metrics.
const Name = "rules"

// RuleMalformed is the Rule of findings about malformed structure.
const RuleMalformed = "MALFORMED"

// RuleEncrypted is the Rule of the default finding about encrypted archives.
const RuleEncrypted = "ENCRYPTED_ARCHIVE"

// Scanner is the content filter. It is safe for concurrent use.
type Scanner struct {
	store settings.RuleStore
	gen   func(context.Context) (int64, error)
	lim   Limits

	mu         sync.Mutex
	generation int64
	byRcpt     *lru.Cache[string, []settings.Rule]
	regexps    map[string]*regexp.Regexp
}

var _ scan.Scanner = (*Scanner)(nil)

// New returns the content filter over store's rules. gen returns the
// settings generation (settings.SQLStore.Generation): cached rules and
// compiled patterns are dropped whenever it changes. lim bounds the MIME
// walk and archive inspection of one message.
func New(store settings.RuleStore, gen func(context.Context) (int64, error), lim Limits) *Scanner {
	c, _ := lru.New[string, []settings.Rule](4096) // size is constant and valid
	return &Scanner{store: store, gen: gen, lim: lim, generation: -1, byRcpt: c, regexps: map[string]*regexp.Regexp{}}
}

// Name returns "rules".
func (s *Scanner) Name() string { return Name }

// Scan walks msg and applies the content rules of its recipients. Mail
// from a customer's relay network (Envelope.Outbound) is not content
// filtered. Errors (rule store, reading the message) mean "not scanned".
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	if msg.Envelope.Outbound {
		return nil, nil
	}
	uses, err := s.resolve(ctx, msg.Envelope.Recipients)
	if err != nil {
		return nil, err
	}
	m, err := msg.Walk(s.lim.Walk())
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := s.inspectFiles(ctx, m)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []scan.Finding
	if f, ok := malformed(m, in.problems); ok {
		out = append(out, f)
	}
	if f, ok := oneNoteFinding(in.oneNoteExec); ok {
		out = append(out, f)
	}
	out = append(out, fileFindings(uses, in.files)...)
	out = append(out, s.contentFindings(uses, m)...)
	if f, ok := notes(m, in.notes); ok {
		out = append(out, f)
	}
	return out, nil
}

// inspectFiles detects the type of every leaf and looks inside archives.
func (s *Scanner) inspectFiles(ctx context.Context, m *mimewalk.Message) *inspector {
	in := newInspector(ctx, s.lim)
	for _, p := range m.Parts {
		if p.Body == nil {
			continue
		}
		// An inline text part is read, not opened: its bytes are shown as
		// text, so it needs no file type (a pasted "#!" script is text).
		if strings.HasPrefix(p.MediaType, "text/") && !p.Attachment {
			continue
		}
		n := len(in.problems)
		in.inspect(partWhere(p), p.Names, p.Body, nil, int64(len(p.Body)), 0)
		if p.Alternative {
			// A second reading that shows no file of its own: its
			// files are checked, its breakage is a note.
			in.notes = append(in.notes, in.problems[n:]...)
			in.problems = in.problems[:n]
		}
	}
	return in
}

func partWhere(p mimewalk.Part) string {
	path := p.Path
	if path == "" {
		path = "body"
	}
	if p.Filename != "" {
		return fmt.Sprintf("part %s (%s)", path, cleanName(p.Filename))
	}
	return fmt.Sprintf("part %s (%s)", path, p.MediaType)
}

// malformed summarises the malformed problems in one finding that applies
// to every recipient: each distinct reason once, with the first place it
// was seen and how many more places share it.
func malformed(m *mimewalk.Message, archive []string) (scan.Finding, bool) {
	var order []string
	first, more := map[string]string{}, map[string]int{}
	for _, p := range m.Malformed() {
		if _, ok := first[p.Reason]; ok {
			more[p.Reason]++
			continue
		}
		where := "message"
		if p.Path != "" {
			where = "part " + p.Path
		}
		first[p.Reason] = where
		order = append(order, p.Reason)
	}
	var reasons []string
	for _, r := range order {
		if n := more[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s (%s and %d more)", r, first[r], n))
		} else {
			reasons = append(reasons, fmt.Sprintf("%s (%s)", r, first[r]))
		}
	}
	reasons = append(reasons, archive...)
	if len(reasons) == 0 {
		return scan.Finding{}, false
	}
	reason := summarize("malformed: ", reasons, "problems")
	return scan.Finding{Scanner: Name, Category: scan.Content, Rule: RuleMalformed, Reason: reason, Rules: reasons}, true
}

// ruleUse is one rule and the recipients it applies to.
type ruleUse struct {
	rule       settings.Rule
	recipients []string
}

// findingRecipients is the Recipients of a finding from u: empty (every
// recipient) only for a global rule.
func (u *ruleUse) findingRecipients() []string {
	if u.rule.Scope.Kind == settings.ScopeGlobal {
		return nil
	}
	return u.recipients
}

// resolve returns the content rules of every recipient, by rule, in id order.
func (s *Scanner) resolve(ctx context.Context, recipients []string) ([]*ruleUse, error) {
	g, err := s.gen(ctx)
	if err != nil {
		return nil, fmt.Errorf("rules: settings generation: %w", err)
	}
	s.mu.Lock()
	if g != s.generation {
		s.byRcpt.Purge()
		s.regexps = map[string]*regexp.Regexp{}
		s.generation = g
	}
	s.mu.Unlock()
	if len(recipients) == 0 {
		// No envelope (an offline scan of a file): the global rules apply
		// (RulesFor of a non-address is the global scope).
		recipients = []string{""}
	}
	byID := map[int64]*ruleUse{}
	for _, rcpt := range recipients {
		rs, ok := s.byRcpt.Get(rcpt)
		if !ok {
			all, err := s.store.RulesFor(ctx, rcpt)
			if err != nil {
				return nil, fmt.Errorf("rules for %s: %w", rcpt, err)
			}
			rs = rs[:0]
			for _, r := range all {
				if r.Kind == settings.BlockFiletype || r.Kind == settings.BlockContent {
					rs = append(rs, r)
				}
			}
			s.byRcpt.Add(rcpt, rs)
		}
		for _, r := range rs {
			u := byID[r.ID]
			if u == nil {
				u = &ruleUse{rule: r}
				byID[r.ID] = u
			}
			u.recipients = append(u.recipients, rcpt)
		}
	}
	out := make([]*ruleUse, 0, len(byID))
	for _, u := range byID {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rule.ID < out[j].rule.ID })
	return out, nil
}

// regexp returns the compiled pattern of a block-content rule, cached
// until the settings generation changes.
func (s *Scanner) regexp(r settings.Rule) *regexp.Regexp {
	key := fmt.Sprintf("%d\x00%s", r.ID, r.Value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if re, ok := s.regexps[key]; ok {
		return re
	}
	re, err := regexp.Compile(r.Value)
	if err != nil {
		// Rules are checked when added; a bad one in the database is
		// logged and skipped rather than tempfailing all mail forever.
		slog.Warn("content rule does not compile", "rule_id", r.ID, "error", err)
	}
	s.regexps[key] = re
	return re
}

func ruleLabel(r settings.Rule) string {
	return fmt.Sprintf("rule #%d %s %q (%s)", r.ID, r.Kind, r.Value, r.Scope)
}
