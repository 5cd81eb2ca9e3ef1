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
	b := p.login("dave@a.test")
	link := regexp.MustCompile(`href="/quarantine/([^"/]+)"`)
	next := regexp.MustCompile(`href="(/quarantine\?[^"]*)" id="next"`)
	seen := map[string]bool{}
	path, pages := "/quarantine?cat=spam", 0
	for path != "" && pages < 5 {
		code, page, _ := b.do("GET", path, nil)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		pages++
		for _, m := range link.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Fatalf("%s: message %s again", path, m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := next.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if pages != 2 || len(seen) != pageSize+5 {
		t.Fatalf("%d pages, %d messages; want 2 pages, %d", pages, len(seen), pageSize+5)
	}
}
