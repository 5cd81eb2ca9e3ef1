// Package maillog reads Postfix's mail log: Parse turns the lines that
// matter for mail history into Events (a delivery attempt of the smtp,
// lmtp or another delivery agent; a message expired by qmgr; a
// non-delivery notice), and Follower reads a log file from a stored
// position across rotation and restarts, handing events and the new
// position to a Sink in one step.
//
// Lines come from postlogd (Postfix's maillog_file: "Dec 05 10:13:38 host
// postfix/smtp[123]: ...") or from syslog in the traditional ("Dec  5
// 10:13:38") or RFC 3339 ("2026-12-05T10:13:38.123456+00:00") format.
package maillog

import (
	"strconv"
	"strings"
	"time"
)

// Kinds of event.
const (
	// KindDelivery is one delivery attempt to one recipient.
	KindDelivery = "delivery"
	// KindExpired is qmgr giving up on a message (maximal_queue_lifetime).
	KindExpired = "expired"
	// KindNotice is a non-delivery (or delay) notice Postfix queued for
	// a message: NoticeID is the notice's queue id.
	KindNotice = "notice"
)

// Event is one parsed log line.
type Event struct {
	Kind string
	// Time is the line's time stamp; a syslog line without a year gets
	// the year that puts it closest before the reader's clock.
	Time time.Time
	// Service is the Postfix program: smtp, lmtp, qmgr, bounce,
	// mailtower-reinject/smtp, ...
	Service string
	QueueID string
	// Recipient is to=; OrigTo is orig_to= (before address rewriting).
	Recipient string
	OrigTo    string
	// Relay is relay= (host[ip]:port or none).
	Relay  string
	Delay  float64
	Delays string
	DSN    string
	// Status is sent, deferred, bounced, expired, undeliverable, ...
	Status string
	// Reply is the text in parentheses after the status: the remote
	// server's reply or Postfix's reason.
	Reply string
	// RemoteID is the remote server's queue id ("queued as X" in Reply).
	RemoteID string
	// Sender is from= of an expired message.
	Sender string
	// NoticeID is the queue id of a notice Postfix sent for QueueID.
	NoticeID string
}

// maxLine bounds the lines Parse looks at; Postfix's own lines are far
// shorter (line_length_limit is 2048 for SMTP; log records are cut at
// 2000 characters by Postfix's msg_vstream).
const maxLine = 16 << 10

// Parse reads one log line (without its newline). now is the reader's
// clock, for the year of syslog time stamps. ok is false for lines that
// are not events (most of them).
func Parse(line string, now time.Time) (Event, bool) {
	if len(line) > maxLine {
		return Event{}, false
	}
	ts, rest, ok := parseStamp(line, now)
	if !ok {
		return Event{}, false
	}
	// host
	_, rest, ok = strings.Cut(rest, " ")
	if !ok {
		return Event{}, false
	}
	prog, rest, ok := strings.Cut(rest, ": ")
	if !ok {
		return Event{}, false
	}
	service, ok := postfixService(prog)
	if !ok {
		return Event{}, false
	}
	qid, rest, ok := strings.Cut(rest, ": ")
	if !ok || !IsQueueID(qid) {
		return Event{}, false
	}
	ev := Event{Time: ts, Service: service, QueueID: qid}
	switch {
	case strings.HasPrefix(rest, "to=<"):
		return parseDelivery(ev, rest)
	case strings.HasPrefix(rest, "from=<") && strings.Contains(rest, ", status=expired"):
		ev.Kind, ev.Status = KindExpired, "expired"
		ev.Sender, _, _ = strings.Cut(rest[len("from=<"):], ">")
		return ev, true
	case strings.HasPrefix(rest, "sender non-delivery notification: "), strings.HasPrefix(rest, "sender delay notification: "),
		strings.HasPrefix(rest, "sender delivery status notification: "):
		_, id, _ := strings.Cut(rest, ": ")
		if !IsQueueID(id) {
			return Event{}, false
		}
		ev.Kind, ev.NoticeID = KindNotice, id
		return ev, true
	}
	return Event{}, false
}

// postfixService returns the service of a program field such as
// "postfix/smtp[123]" or "postfix/mailtower-reinject/smtpd[9]": the part
// after the first "/" without the pid.
func postfixService(prog string) (string, bool) {
	i := strings.IndexByte(prog, '[')
	if i < 0 || !strings.HasSuffix(prog, "]") {
		return "", false
	}
	if _, err := strconv.Atoi(prog[i+1 : len(prog)-1]); err != nil {
		return "", false
	}
	name := prog[:i]
	_, service, ok := strings.Cut(name, "/")
	if !ok || service == "" || !strings.HasPrefix(name, "postfix") {
		return "", false
	}
	return service, true
}

// IsQueueID reports whether s looks like a Postfix queue id: short (hex)
// or long (enable_long_queue_ids: letters and digits).
func IsQueueID(s string) bool {
	if len(s) < 5 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return s != "NOQUEUE"
}

// parseDelivery reads "to=<a>, orig_to=<b>, relay=r, conn_use=2, delay=d,
// delays=a/b/c/d, dsn=x.y.z, status=s (reply)".
func parseDelivery(ev Event, rest string) (Event, bool) {
	ev.Kind = KindDelivery
	for rest != "" {
		if strings.HasPrefix(rest, "status=") {
			st, reply, _ := strings.Cut(rest[len("status="):], " ")
			ev.Status = st
			if strings.HasPrefix(reply, "(") && strings.HasSuffix(reply, ")") {
				ev.Reply = reply[1 : len(reply)-1]
			} else {
				ev.Reply = reply
			}
			ev.RemoteID = remoteID(ev.Reply)
			break
		}
		var field string
		if strings.HasPrefix(rest, "to=<") || strings.HasPrefix(rest, "orig_to=<") {
			// An address may hold ", " inside quotes: cut at ">, ".
			end := strings.Index(rest, ">, ")
			if end < 0 {
				return Event{}, false
			}
			field, rest = rest[:end+1], rest[end+3:]
		} else {
			var ok bool
			field, rest, ok = strings.Cut(rest, ", ")
			if !ok {
				return Event{}, false
			}
		}
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return Event{}, false
		}
		switch k {
		case "to":
			ev.Recipient = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		case "orig_to":
			ev.OrigTo = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		case "relay":
			ev.Relay = v
		case "delay":
			ev.Delay, _ = strconv.ParseFloat(v, 64)
		case "delays":
			ev.Delays = v
		case "dsn":
			ev.DSN = v
		}
	}
	if ev.Status == "" || ev.Recipient == "" && ev.OrigTo == "" {
		return Event{}, false
	}
	return ev, true
}

// remoteID finds the remote queue id in a reply such as "250 2.0.0 Ok:
// queued as 4dgJ9B0Xhhz9sXZ" ("" when the reply names none).
func remoteID(reply string) string {
	i := strings.Index(strings.ToLower(reply), "queued as ")
	if i < 0 {
		return ""
	}
	id := reply[i+len("queued as "):]
	if j := strings.IndexAny(id, " ;,)"); j >= 0 {
		id = id[:j]
	}
	if len(id) > 64 {
		return ""
	}
	return id
}

// parseStamp reads the time stamp at the start of a line and returns the
// rest after the following space.
func parseStamp(line string, now time.Time) (time.Time, string, bool) {
	if len(line) > 20 && line[4] == '-' && line[10] == 'T' {
		stamp, rest, ok := strings.Cut(line, " ")
		if !ok {
			return time.Time{}, "", false
		}
		t, err := time.Parse(time.RFC3339Nano, stamp)
		return t, rest, err == nil
	}
	// "Dec 05 10:13:38 " (postlogd) or "Dec  5 10:13:38 " (syslog),
	// optionally with fractions ("10:13:38.123456").
	if len(line) < 16 {
		return time.Time{}, "", false
	}
	end := 15
	if line[end] == '.' {
		for end++; end < len(line) && line[end] >= '0' && line[end] <= '9'; end++ {
		}
	}
	if end >= len(line) || line[end] != ' ' {
		return time.Time{}, "", false
	}
	stamp := strings.Replace(line[:end], "  ", " 0", 1)
	t, err := time.ParseInLocation("Jan 02 15:04:05.999999999", stamp, time.Local)
	if err != nil {
		return time.Time{}, "", false
	}
	// No year: the one that puts the line closest before now (a line
	// from late December read in January belongs to last year).
	at := func(year int) time.Time {
		return time.Date(year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
	}
	y := at(now.Year())
	if y.After(now.Add(24 * time.Hour)) {
		y = at(now.Year() - 1)
	}
	return y, line[end+1:], true
}
