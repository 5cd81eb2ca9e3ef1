package web

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
)

// TestQuarantinePaging: the next-page link walks every message once.
func TestQuarantinePaging(t *testing.T) {
	p := newPortal(t)
	for i := 0; i < pageSize+5; i++ {
		body := fmt.Sprintf("Subject: Offer %d\r\n\r\nbuy", i)
		if _, err := p.q.Put(context.Background(), quarantine.Entry{Envelope: scan.Envelope{QueueID: "Q", Sender: "x@spam.example"},
			Subject: fmt.Sprintf("Offer %d", i), Raw: strings.NewReader(body), Size: int64(len(body)),
			Recipients: []quarantine.Recipient{{Address: "dave@a.test", Category: scan.Spam, Reason: "test", Score: 9}}}); err != nil {
			t.Fatal(err)
		}
	}
	pages, seen := walkPages(t, p.login("dave@a.test"), "/quarantine?cat=spam", regexp.MustCompile(`href="/quarantine/([^"/]+)"`))
	if pages != 2 || len(seen) != pageSize+5 {
		t.Fatalf("%d pages, %d messages; want 2 pages, %d", pages, len(seen), pageSize+5)
	}
}

var nextRE = regexp.MustCompile(`href="([^"]*)" id="next"`)

// walkPages follows the Next page links from path and returns the pages
// and the ids link (its first group) found on them; an id on two pages
// fails t.
func walkPages(t *testing.T, b *browser, path string, link *regexp.Regexp) (int, map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	pages := 0
	for path != "" && pages < 10 {
		code, page, _ := b.do("GET", path, nil)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		pages++
		for _, m := range link.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Fatalf("%s: %s again", path, m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := nextRE.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	return pages, seen
}
