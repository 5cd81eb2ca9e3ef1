package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/history/maillog"
	"github.com/mailtower/mailtower/store"
)

// fillHistory writes the portal's mail history: messages to the users
// of the quarantine (the same keys), one bob sent out (delivered), and
// one to both bob and carol whose copies went to different servers.
func fillHistory(t testing.TB, db *store.DB) (*history.Store, map[string]string) {
	t.Helper()
	ctx := context.Background()
	h, err := history.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []struct {
		key, sender, subject, verdict, action string
		rcpts                                 []string
	}{
		{"bob1", "x@spam.example", "Cheap pills", "spam", "quarantine", []string{"bob@a.test"}},
		{"bob2", "x@spam.example", "Invoice.zip", "virus", "quarantine", []string{"bob@a.test"}},
		{"dave1", "x@spam.example", "Payroll", "content", "quarantine", []string{"dave@a.test"}},
		{"carol1", "x@spam.example", "Lottery", "spam", "quarantine", []string{"carol@b.test"}},
		{"bobout", "bob@a.test", "Lunch on Friday", "clean", "pass", []string{"friend@out.example"}},
		{"shared", "news@list.example", "Team newsletter", "clean", "pass", []string{"bob@a.test", "carol@b.test"}},
	}
	ids := map[string]string{}
	for i, m := range msgs {
		qid := fmt.Sprintf("4HT%07X", i+1)
		hm := history.Message{QueueID: qid, Sender: m.sender, Subject: m.subject, HeaderFrom: m.sender, ClientName: "mx.example",
			ClientAddr: "192.0.2.9"}
		for _, r := range m.rcpts {
			hm.Recipients = append(hm.Recipients, history.Recipient{Address: r, Verdict: m.verdict, Action: m.action,
				DeliveryQueueID: map[bool]string{true: qid}[m.action == "pass"]})
		}
		if err := h.Write(ctx, []history.Message{hm}); err != nil {
			t.Fatal(err)
		}
		rows, err := h.Search(ctx, history.Filter{QueueID: qid, Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %v %v", m.key, rows, err)
		}
		ids[m.key] = strconv.FormatInt(rows[0].ID, 10)
	}
	var evs []maillog.Event
	for _, l := range []string{
		"Dec 05 10:00:05 gw postfix/smtp[1]: 4HT0000005: to=<friend@out.example>, relay=mx.out.example[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as OUT1)",
		"Dec 05 10:00:06 gw postfix/smtp[1]: 4HT0000006: to=<bob@a.test>, relay=mx.a.test[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BOBS1)",
		"Dec 05 10:00:06 gw postfix/smtp[1]: 4HT0000006: to=<carol@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to mx.b.test: CAROLS-SERVER-DOWN)",
	} {
		ev, ok := maillog.Parse(l, time.Now())
		if !ok {
			t.Fatalf("not parsed: %s", l)
		}
		ev.Time = time.Now().Add(time.Minute) // after the messages came in
		evs = append(evs, ev)
	}
	if err := h.LogSink("log", nil).Commit(ctx, maillog.Batch{Events: evs, Pos: maillog.Position{Inode: 1, Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	return h, ids
}

var historyLinkRE = regexp.MustCompile(`href="/history/(\d+)"`)

// historyLinks are the message ids a history page links to.
func historyLinks(page string) map[string]bool {
	out := map[string]bool{}
	for _, m := range historyLinkRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] = true
	}
	return out
}

// TestHistoryPages: a user's history is the mail to and from its address,
// searchable by the form's fields; the story shows its own copy's
// delivery and not another recipient's; bad input is refused.
func TestHistoryPages(t *testing.T) {
	p := newPortal(t)
	bob := p.login("bob@a.test")
	code, page, _ := bob.do("GET", "/history", nil)
	if code != 200 || !strings.Contains(page, `id="history"`) || !strings.Contains(page, `href="/history"`) {
		t.Fatalf("bob's history: %d\n%s", code, page)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"bob1", "bob2", "bobout", "shared"}},
		{"?verdict=virus", []string{"bob2"}},
		{"?status=sent", []string{"bobout", "shared"}},
		{"?status=none", []string{"bob1", "bob2"}},
		{"?q=lunch", []string{"bobout"}},
		{"?sender=x@spam.example", []string{"bob1", "bob2"}},
		{"?rcpt=friend@out.example", []string{"bobout"}},
		{"?rcpt=carol@b.test", nil}, // carol's copy of the newsletter is hers
		{"?since=" + time.Now().AddDate(0, 0, -1).Format(time.DateOnly) + "&until=" + time.Now().Format(time.DateOnly),
			[]string{"bob1", "bob2", "bobout", "shared"}},
		{"?until=" + time.Now().AddDate(0, 0, -2).Format(time.DateOnly), nil},
		{"?rev=1&verdict=spam", []string{"bob1"}},
	} {
		code, page, _ := bob.do("GET", "/history"+c.query, nil)
		got := historyLinks(page)
		if code != 200 || len(got) != len(c.want) || (len(c.want) == 0) != strings.Contains(page, `id="empty"`) {
			t.Errorf("%s: %d, links %v, want %v", c.query, code, got, c.want)
			continue
		}
		for _, k := range c.want {
			if !got[p.hids[k]] {
				t.Errorf("%s: %s missing (links %v)", c.query, k, got)
			}
		}
	}
	for _, q := range []string{"?verdict=nonsense", "?status=lost", "?since=yesterday", "?cursor=garbage"} {
		if code, _, _ := bob.do("GET", "/history"+q, nil); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	// The newsletter's story: bob's copy and its delivery, not carol's.
	code, page, _ = bob.do("GET", "/history/"+p.hids["shared"], nil)
	if code != 200 || !strings.Contains(page, "Team newsletter") || !strings.Contains(page, "queued as BOBS1") ||
		strings.Contains(page, "carol@b.test") || strings.Contains(page, "CAROLS-SERVER-DOWN") {
		t.Fatalf("bob's story of the newsletter: %d\n%s", code, page)
	}
	// Bob's own message out: the recipient and the remote server's reply.
	code, page, _ = bob.do("GET", "/history/"+p.hids["bobout"], nil)
	if code != 200 || !strings.Contains(page, "friend@out.example") || !strings.Contains(page, "queued as OUT1") {
		t.Fatalf("bob's sent message: %d\n%s", code, page)
	}
	for _, id := range []string{"0", "999999", "x", "-1"} {
		if code, _, _ := bob.do("GET", "/history/"+id, nil); code != http.StatusNotFound {
			t.Errorf("history id %q: %d, want 404", id, code)
		}
	}
	// Carol sees her copy, with her server's trouble.
	carol := p.login("carol@b.test")
	if _, page, _ := carol.do("GET", "/history/"+p.hids["shared"], nil); !strings.Contains(page, "CAROLS-SERVER-DOWN") ||
		strings.Contains(page, "BOBS1") {
		t.Fatalf("carol's story of the newsletter:\n%s", page)
	}
	// In Dutch.
	bob.do("POST", "/lang", url.Values{"lang": {"nl"}, "back": {"/history"}})
	if _, page, _ := bob.do("GET", "/history", nil); !strings.Contains(page, "Mailgeschiedenis") || !strings.Contains(page, "afgeleverd") ||
		!strings.Contains(page, "Oordeel") {
		t.Fatalf("Dutch history page:\n%s", page)
	}
}

// TestHistoryPaging: the next-page link walks every row once, keeping
// the search.
func TestHistoryPaging(t *testing.T) {
	p := newPortal(t)
	var msgs []history.Message
	for i := 0; i < 2*pageSize+5; i++ {
		msgs = append(msgs, history.Message{QueueID: fmt.Sprintf("4PG%07X", i), Sender: "list@news.example",
			Subject: fmt.Sprintf("Digest %d", i), Recipients: []history.Recipient{{Address: "bob@a.test", Verdict: "clean", Action: "pass"}}})
	}
	if err := p.hist.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	pages, seen := walkPages(t, p.login("bob@a.test"), "/history?q=digest", historyLinkRE)
	if pages != 3 || len(seen) != 2*pageSize+5 {
		t.Fatalf("%d pages, %d rows; want 3 pages, %d rows", pages, len(seen), 2*pageSize+5)
	}
}

// FuzzHistoryQuery sends arbitrary search forms to the history page: a
// page (200) or a refusal (400), never a failure or a row of another user.
func FuzzHistoryQuery(f *testing.F) {
	p := newPortal(f)
	b := p.login("dave@a.test")
	f.Add("x@spam.example", "pay*", "2026-12-01", "7d", "", "clean", "none")
	f.Add("@a.test", "\"unterminated", "yesterday", "2026-13-45", "eyJzIjoiIn0", "spam", "sent")
	f.Add("", "NEAR OR AND -", "1970-01-01T00:00:00Z", "99999d", "%%%", "", "bounced")
	f.Fuzz(func(t *testing.T, sender, subject, since, until, cursor, verdict, status string) {
		v := url.Values{"sender": {sender}, "q": {subject}, "since": {since}, "until": {until}, "cursor": {cursor},
			"verdict": {verdict}, "status": {status}}
		resp, err := b.c.Get(p.srv.URL + "/history?" + v.Encode()) // not b.do: it reports to the portal's F
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%v: %d", v, resp.StatusCode)
		}
		for id := range historyLinks(string(page)) {
			if id != p.hids["dave1"] {
				t.Fatalf("%v: dave sees history %s", v, id)
			}
		}
	})
}
