package heuristics

import (
	"net/mail"
	"strings"
	"time"

	"github.com/mailtower/mailtower/internal/textshape"
	"github.com/mailtower/mailtower/mimewalk"
)

// Header sanity rules. Dates are judged against the clock for mail
// scanned as it arrives (an SMTP envelope is present). A message scanned
// offline (`mailtower scan`, no envelope) is judged by its Received
// headers instead, so that an old message is judged as it travelled: its
// Date must not be after the newest hop (DATE_IN_FUTURE) nor long before
// the oldest, the first relay it was sent through (DATE_IN_PAST; later
// hops may be a mailbox fetched days afterwards). Offline, without dated
// Received headers, there is nothing to judge the Date against.
var (
	ruleMissingDate  = rule("MISSING_DATE", 1.0, "no Date header")
	ruleInvalidDate  = rule("INVALID_DATE", 1.5, "Date header is not an RFC 5322 date")
	ruleDateFuture   = rule("DATE_IN_FUTURE", 2.0, "Date is more than 12 hours after the message was received")
	ruleDatePast     = rule("DATE_IN_PAST", 1.0, "Date is more than 4 days before the message was received")
	ruleMissingMID   = rule("MISSING_MID", 0.5, "no Message-ID header")
	ruleInvalidMID   = rule("INVALID_MSGID", 1.0, "Message-ID is not <local@domain>")
	ruleMissingFrom  = rule("MISSING_FROM", 2.0, "no From header")
	ruleInvalidFrom  = rule("INVALID_FROM", 2.0, "From header is not a valid address")
	ruleFromNameAddr = rule("FROM_NAME_OTHER_ADDR", 1.5, "From display name holds an address of another domain")
	ruleRcvdBackward = rule("RECEIVED_TIME_TRAVEL", 1.0, "Received headers' dates go backwards by more than 6 hours")
	ruleRcvdMalform  = rule("RECEIVED_MALFORMED", 0.5, "Received header without a readable date")
	ruleSubjectCaps  = rule("SUBJECT_ALL_CAPS", 1.0, "Subject is mostly capital letters")
	ruleSubjectBang  = rule("SUBJECT_EXCLAIM", 0.5, "Subject has three or more '!'")
	// Bulk-mail markers: newsletters and mailing lists carry them as
	// much as spam does. They score nothing; the combiner may only give
	// them a weight at or below zero (combine.BulkRules).
	ruleListID    = rule("LIST_ID", 0, "List-Id header: mailing list mail")
	ruleListUnsub = rule("LIST_UNSUBSCRIBE", 0, "List-Unsubscribe header: bulk mail with an unsubscribe link")
)

const (
	futureSlack = 12 * time.Hour
	pastSlack   = 96 * time.Hour
	hopSlack    = 6 * time.Hour
)

func checkHeaders(m *mimewalk.Message, now time.Time, live bool, fire firer) {
	h := m.Header
	newest, oldest := checkReceived(h.Values("Received"), fire)
	if live {
		newest, oldest = now, now
	}
	if has(h, "List-Id") {
		fire(ruleListID, "")
	}
	if has(h, "List-Unsubscribe") {
		fire(ruleListUnsub, "")
	}
	switch d := strings.TrimSpace(h.Get("Date")); {
	case !has(h, "Date"):
		fire(ruleMissingDate, "")
	default:
		t, err := mail.ParseDate(d)
		switch {
		case err != nil:
			fire(ruleInvalidDate, short(d))
		case newest.IsZero():
		case t.After(newest.Add(futureSlack)):
			fire(ruleDateFuture, d)
		case t.Before(oldest.Add(-pastSlack)):
			fire(ruleDatePast, d)
		}
	}
	switch id := strings.TrimSpace(h.Get("Message-ID")); {
	case !has(h, "Message-ID"):
		fire(ruleMissingMID, "")
	case !validMsgID(id):
		fire(ruleInvalidMID, short(id))
	}
	checkFrom(h, fire)
	checkSubject(h.Subject(), fire)
}

func has(h mimewalk.Header, name string) bool { return len(h.Values(name)) > 0 }

func validMsgID(id string) bool {
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") {
		return false
	}
	at := strings.LastIndexByte(id, '@')
	return at > 1 && at < len(id)-2 && !strings.ContainsAny(id[1:len(id)-1], " <>")
}

func checkFrom(h mimewalk.Header, fire firer) {
	if !has(h, "From") {
		fire(ruleMissingFrom, "")
		return
	}
	v := h.From()
	addrs, err := mail.ParseAddressList(v)
	if err != nil || len(addrs) == 0 {
		fire(ruleInvalidFrom, short(v))
		return
	}
	a := addrs[0]
	dom := domainOf(a.Address)
	// "PayPal <service@paypal.com>" <x@evil.example>
	for _, w := range strings.Fields(a.Name) {
		w = strings.Trim(w, "<>()\"'[],;:")
		if strings.Count(w, "@") == 1 && strings.Contains(domainOf(w), ".") && domainOf(w) != dom {
			fire(ruleFromNameAddr, short(a.Name))
			return
		}
	}
}

// fromDomain is the From address's domain, lower-cased; "" when unreadable.
func fromDomain(h mimewalk.Header) string {
	a, err := mail.ParseAddress(h.From())
	if err != nil {
		return ""
	}
	return domainOf(a.Address)
}

func domainOf(addr string) string {
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}

// checkReceived checks the Received chain (newest first) and returns the
// dates of the topmost (newest) and bottom-most (oldest) dated hops.
func checkReceived(rcvd []string, fire firer) (newest, oldest time.Time) {
	var prev time.Time
	malformed, backwards := false, false
	for i, r := range rcvd {
		if i >= 20 {
			break
		}
		// Only the date is required: qmail's "(qmail 123 invoked from
		// network)" and Yahoo's "(EGP: ...)" lines have no "by" clause.
		semi := strings.LastIndexByte(r, ';')
		if semi < 0 {
			malformed = true
			continue
		}
		t, err := mail.ParseDate(strings.TrimSpace(r[semi+1:]))
		if err != nil {
			malformed = true
			continue
		}
		if newest.IsZero() && i == 0 {
			newest = t
		}
		if !newest.IsZero() {
			oldest = t
		}
		// Each older hop (further down) must not be much later than the
		// hop that received the message from it.
		if !prev.IsZero() && t.After(prev.Add(hopSlack)) {
			backwards = true
		}
		prev = t
	}
	if malformed {
		fire(ruleRcvdMalform, "")
	}
	if backwards {
		fire(ruleRcvdBackward, "")
	}
	return newest, oldest
}

func checkSubject(s string, fire firer) {
	sh := textshape.Of(s)
	if sh.Shouting(10, 90) {
		fire(ruleSubjectCaps, short(s))
	}
	if sh.Bang >= 3 {
		fire(ruleSubjectBang, short(s))
	}
}

// short cuts a header value for a finding's reason.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
