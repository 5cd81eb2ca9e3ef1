package quarantine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/mailtower/mailtower/scan"
)

// findingsVersion is the version of the stored findings format this code
// writes in quarantine_messages.findings. Rows from before the format had
// a version hold a bare JSON array of findings: version 0.
const findingsVersion = 1

// storedFindings is the quarantine's own stored form of a message's
// findings, so that a change to scan.Finding cannot make the quarantine
// unreadable after an upgrade.
type storedFindings struct {
	V        int             `json:"v"`
	Findings []storedFinding `json:"findings"`
}

// storedFinding is one finding as the quarantine stores it (version 1;
// version 0 rows use the same keys).
type storedFinding struct {
	Scanner    string   `json:"scanner"`
	Category   string   `json:"category"`
	Rule       string   `json:"rule"`
	Score      float64  `json:"score"`
	Reason     string   `json:"reason"`
	Recipients []string `json:"recipients,omitempty"`
	Rules      []string `json:"rules,omitempty"`
	Value      float64  `json:"value,omitempty"`
}

// encodeFindings returns the stored form of fs.
func encodeFindings(fs []scan.Finding) (string, error) {
	sf := storedFindings{V: findingsVersion, Findings: make([]storedFinding, 0, len(fs))}
	for _, f := range fs {
		sf.Findings = append(sf.Findings, storedFinding{Scanner: f.Scanner, Category: string(f.Category), Rule: f.Rule,
			Score: f.Score, Reason: f.Reason, Recipients: f.Recipients, Rules: f.Rules, Value: f.Value})
	}
	b, err := json.Marshal(sf)
	if err != nil {
		return "", fmt.Errorf("encode findings: %w", err)
	}
	return string(b), nil
}

// decodeFindings reads stored findings of any known version.
func decodeFindings(raw string) ([]scan.Finding, error) {
	t := bytes.TrimSpace([]byte(raw))
	var list []storedFinding
	switch {
	case string(t) == "null": // version 0 of a message without findings
		return nil, nil
	case len(t) > 0 && t[0] == '[': // version 0
		if err := strictUnmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("stored findings (version 0): %w", err)
		}
	case len(t) > 0 && t[0] == '{':
		var probe struct {
			V int `json:"v"`
		}
		if err := json.Unmarshal(t, &probe); err != nil {
			return nil, fmt.Errorf("stored findings: %w", err)
		}
		if probe.V != findingsVersion {
			return nil, fmt.Errorf("stored findings: unknown format version %d (written by a newer mailtower?)", probe.V)
		}
		var sf storedFindings
		if err := strictUnmarshal(t, &sf); err != nil {
			return nil, fmt.Errorf("stored findings (version %d): %w", findingsVersion, err)
		}
		list = sf.Findings
	default:
		return nil, fmt.Errorf("stored findings: neither a JSON array nor an object")
	}
	var out []scan.Finding
	for _, f := range list {
		out = append(out, scan.Finding{Scanner: f.Scanner, Category: scan.Category(f.Category), Rule: f.Rule,
			Score: f.Score, Reason: f.Reason, Recipients: f.Recipients, Rules: f.Rules, Value: f.Value})
	}
	return out, nil
}

// strictUnmarshal decodes b into v, refusing fields v does not have: a
// row of another format is reported, not read as empty findings.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// Events receives the store's counts for metrics; nil is allowed.
type Events interface {
	// QuarantineUnreadable counts a stored value the store could not
	// decode; what names it ("findings").
	QuarantineUnreadable(what string)
}

// SetReporting sets where the store logs and counts what it cannot read
// (nil log: slog.Default; nil events: not counted).
func (s *Store) SetReporting(log *slog.Logger, ev Events) {
	s.log, s.events = log, ev
}

// setFindings decodes a message's stored findings into its items.
// Findings that cannot be decoded do not fail the read: the items are
// returned with FindingsUnreadable set (shown as "unreadable findings"),
// and the message is logged and counted once, so one bad row cannot hide
// a message or break a page of them. The message and its other columns
// are still usable (show, release, delete).
func (s *Store) setFindings(items []Item, raw string) {
	fs, err := decodeFindings(raw)
	for i := range items {
		items[i].Findings, items[i].FindingsUnreadable = fs, err != nil
	}
	if err == nil {
		return
	}
	log := s.log
	if log == nil {
		log = slog.Default()
	}
	log.Error("quarantine: stored findings cannot be decoded; shown as unreadable", "err", err,
		"quarantine_id", items[0].ID, "queue_id", items[0].QueueID)
	if s.events != nil {
		s.events.QuarantineUnreadable("findings")
	}
}
