package heuristics

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
)

func rulesFired(t *testing.T, s *Scanner, env scan.Envelope, raw string) []string {
	t.Helper()
	msg := scan.NewMessage(env, strings.NewReader(raw), int64(len(raw)))
	fs, err := s.Scan(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		if f.Category != scan.Spam || f.Scanner != "heuristics" || f.Reason == "" {
			t.Errorf("malformed finding %+v", f)
		}
		names = append(names, f.Rule)
	}
	return names
}

// good is a well-formed message; cases change one thing about it.
const good = "Received: from mx.a.example (mx.a.example [192.0.2.1]) by mx.b.example (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n" +
	"Received: from client by mx.a.example with ESMTPSA; Mon, 1 Jan 2024 09:59:00 +0000\n" +
	"From: Alice <alice@a.example>\nTo: bob@b.example\nSubject: Lunch tomorrow\nDate: Mon, 1 Jan 2024 09:58:00 +0000\n" +
	"Message-ID: <abc@a.example>\nMIME-Version: 1.0\nContent-Type: text/plain\n\nShall we?\n"

func TestRules(t *testing.T) {
	s := New(Options{})
	s.now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	repl := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	html := func(body string) string {
		return repl("Content-Type: text/plain\n\nShall we?\n", "Content-Type: text/html\n\n"+body+"\n")
	}
	live := scan.Envelope{QueueID: "4XyZ", ClientAddr: "192.0.2.1"}
	cases := []struct {
		name string
		env  scan.Envelope
		raw  string
		want []string
	}{
		{"clean message fires nothing (offline: dates judged against Received, not now)", scan.Envelope{}, good, nil},
		{"live mail is judged against the clock", live, good, []string{"DATE_IN_PAST"}},
		{"bulk-mail markers fire, as zero-point evidence", scan.Envelope{},
			"List-Id: <news.a.example>\nList-Unsubscribe: <mailto:leave@a.example>\n" + good, []string{"LIST_ID", "LIST_UNSUBSCRIBE"}},
		{"missing date", scan.Envelope{}, repl("Date: Mon, 1 Jan 2024 09:58:00 +0000\n", ""), []string{"MISSING_DATE"}},
		{"invalid date", scan.Envelope{}, repl("Mon, 1 Jan 2024 09:58:00 +0000\nMessage", "yesterday-ish\nMessage"), []string{"INVALID_DATE"}},
		{"date in future", scan.Envelope{}, repl("Date: Mon, 1 Jan 2024 09:58:00", "Date: Wed, 3 Jan 2024 09:58:00"), []string{"DATE_IN_FUTURE"}},
		{"date in past", scan.Envelope{}, repl("Date: Mon, 1 Jan 2024 09:58:00", "Date: Mon, 1 Dec 2023 09:58:00"), []string{"DATE_IN_PAST"}},
		{"offline without Received: no reference for the date", scan.Envelope{},
			strings.Replace(strings.Replace(good, "Received: from mx.a.example (mx.a.example [192.0.2.1]) by mx.b.example (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n", "", 1),
				"Received: from client by mx.a.example with ESMTPSA; Mon, 1 Jan 2024 09:59:00 +0000\n", "", 1), nil},
		{"offline: a mailbox fetched days later is not a past date", scan.Envelope{},
			"Received: from localhost by fetch.example; Mon, 8 Jan 2024 10:00:00 +0000\n" + good, nil},
		{"missing message-id", scan.Envelope{}, repl("Message-ID: <abc@a.example>\n", ""), []string{"MISSING_MID"}},
		{"invalid message-id", scan.Envelope{}, repl("<abc@a.example>", "abc"), []string{"INVALID_MSGID"}},
		{"missing from", scan.Envelope{}, repl("From: Alice <alice@a.example>\n", ""), []string{"MISSING_FROM"}},
		{"invalid from", scan.Envelope{}, repl("Alice <alice@a.example>", "Alice <alice@>"), []string{"INVALID_FROM"}},
		{"display name with another domain's address", scan.Envelope{}, repl("From: Alice <alice@a.example>", "From: \"service@paypal.com\" <x@evil.example>"),
			[]string{"FROM_NAME_OTHER_ADDR"}},
		{"display name with the same domain is fine", scan.Envelope{}, repl("From: Alice <alice@a.example>", "From: \"alice@a.example\" <alice@a.example>"), nil},
		{"received time travel", scan.Envelope{}, repl("Mon, 1 Jan 2024 09:59:00 +0000", "Tue, 2 Jan 2024 09:59:00 +0000"), []string{"RECEIVED_TIME_TRAVEL"}},
		{"received malformed", scan.Envelope{}, repl("Received: from client by mx.a.example with ESMTPSA; Mon, 1 Jan 2024 09:59:00 +0000", "Received: from x by y; someday"),
			[]string{"RECEIVED_MALFORMED"}},
		{"subject caps and bangs", scan.Envelope{}, repl("Lunch tomorrow", "FREE MONEY NOW!!!"), []string{"SUBJECT_ALL_CAPS", "SUBJECT_EXCLAIM"}},
		{"html only", scan.Envelope{}, html("<p>hello</p>"), []string{"HTML_ONLY"}},
		{"hidden text", scan.Envelope{}, html(`<p>hi</p><div style="display: none">viagra</div>`), []string{"HTML_ONLY", "HTML_HIDDEN_TEXT"}},
		{"link text names another host", scan.Envelope{}, html(`<a href="http://evil.example/x">https://www.paypal.com/login</a>`),
			[]string{"HTML_ONLY", "HTML_LINK_MISMATCH"}},
		{"link text on the same site is fine", scan.Envelope{}, html(`<a href="https://login.paypal.com/x">www.paypal.com</a>`), []string{"HTML_ONLY"}},
		{"executable attachment with double extension", scan.Envelope{},
			repl("Content-Type: text/plain\n\nShall we?\n", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee\n--b\n"+
				"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"invoice.pdf.exe\"\n\nMZ\n--b--\n"),
			[]string{"EXECUTABLE_ATTACHMENT", "ATTACHMENT_DOUBLE_EXT"}},
		{"malformed mime", scan.Envelope{}, repl("Content-Type: text/plain\n\nShall we?\n", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nno end\n"),
			[]string{"MIME_MALFORMED"}},
		// Problems the walker records as notes (the message reads
		// unambiguously) are no evidence of spam: much legitimate mail
		// has them.
		{"unknown charset is not malformed", scan.Envelope{}, repl("Content-Type: text/plain\n", "Content-Type: text/plain; charset=x-unheard-of\n"), nil},
		{"8-bit header is not malformed", scan.Envelope{}, repl("Subject: Lunch tomorrow", "Subject: Mittagessen \xfcbermorgen"), nil},
		{"transfer encoding on a multipart is not malformed", scan.Envelope{},
			repl("Content-Type: text/plain\n\nShall we?\n", "Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: quoted-printable\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rulesFired(t, s, c.env, c.raw)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fired %v, want %v", got, want)
			}
		})
	}
}

func TestNoRuleReachesLevel3Alone(t *testing.T) {
	for name, r := range Rules {
		if r.Score >= 5 {
			t.Errorf("%s scores %.1f: a single heuristic must not decide alone", name, r.Score)
		}
	}
}
