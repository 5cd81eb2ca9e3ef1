package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mailtower/mailtower/milter"
)

// rowVersion is the version of the queued-notice format this code
// writes in notices.notice. A row is read back by the version it names;
// rows queued before the format had a version (Go field names, no "v")
// are version 0.
const rowVersion = 1

// noticeRow is the stored form of a queued notice: notify's own format,
// so that a change to the policy core's Notice cannot make queued rows
// unreadable after an upgrade.
type noticeRow struct {
	V int `json:"v"`
	// Kind, User and Score are set for an outbound spam alert
	// (policy.NoticeOutboundSpam) only, so virus rows read as before.
	Kind         string    `json:"kind,omitempty"`
	User         string    `json:"user,omitempty"`
	Score        float64   `json:"score,omitempty"`
	QueueID      string    `json:"queue_id"`
	QuarantineID string    `json:"quarantine_id,omitempty"`
	Sender       string    `json:"sender"`
	Subject      string    `json:"subject"`
	Date         time.Time `json:"date"`
	Virus        string    `json:"virus"`
	Recipients   []string  `json:"recipients"`
	To           []string  `json:"to"`
}

// noticeRowV0 is the format of rows queued by versions before rowVersion
// 1: the notice type itself, encoded with its Go field names.
type noticeRowV0 struct {
	QueueID      string
	QuarantineID string
	Sender       string
	Subject      string
	Date         time.Time
	Virus        string
	Recipient    string   // the only recipient of the oldest rows
	Recipients   []string // empty in the oldest rows
	To           []string
}

// encodeNotice returns the stored form of n.
func encodeNotice(n milter.VirusNotice) (string, error) {
	rcpts := n.Recipients
	if len(rcpts) == 0 && n.Recipient != "" {
		rcpts = []string{n.Recipient}
	}
	b, err := json.Marshal(noticeRow{V: rowVersion, Kind: n.Kind, User: n.User, Score: n.Score, QueueID: n.QueueID, QuarantineID: n.QuarantineID, Sender: n.Sender,
		Subject: n.Subject, Date: n.Date, Virus: n.Virus, Recipients: rcpts, To: n.To})
	if err != nil {
		return "", fmt.Errorf("encode notice: %w", err)
	}
	return string(b), nil
}

// decodeNotice reads a stored notice of any known version.
func decodeNotice(raw string) (milter.VirusNotice, error) {
	if t := bytes.TrimSpace([]byte(raw)); len(t) == 0 || t[0] != '{' {
		return milter.VirusNotice{}, fmt.Errorf("decode notice: not a JSON object")
	}
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return milter.VirusNotice{}, fmt.Errorf("decode notice: %w", err)
	}
	if probe.V == nil {
		var r noticeRowV0
		if err := strictUnmarshal(raw, &r); err != nil {
			return milter.VirusNotice{}, fmt.Errorf("decode notice (version 0): %w", err)
		}
		return milter.VirusNotice{QueueID: r.QueueID, QuarantineID: r.QuarantineID, Sender: r.Sender, Subject: r.Subject,
			Date: r.Date, Virus: r.Virus, Recipient: first(r.Recipients, r.Recipient), Recipients: r.Recipients, To: r.To}, nil
	}
	if *probe.V != rowVersion {
		return milter.VirusNotice{}, fmt.Errorf("decode notice: unknown format version %d (written by a newer mailtower?)", *probe.V)
	}
	var r noticeRow
	if err := strictUnmarshal(raw, &r); err != nil {
		return milter.VirusNotice{}, fmt.Errorf("decode notice (version %d): %w", rowVersion, err)
	}
	return milter.VirusNotice{Kind: r.Kind, User: r.User, Score: r.Score, QueueID: r.QueueID, QuarantineID: r.QuarantineID,
		Sender: r.Sender, Subject: r.Subject, Date: r.Date, Virus: r.Virus, Recipient: first(r.Recipients, ""),
		Recipients: r.Recipients, To: r.To}, nil
}

// strictUnmarshal decodes raw into v, refusing fields v does not have:
// a row of another format is reported, not read as an empty notice.
func strictUnmarshal(raw string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(raw)))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// first is the first element of s, or def when s is empty.
func first(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
