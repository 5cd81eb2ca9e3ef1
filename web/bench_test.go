package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

// BenchmarkPortalList measures the portal's quarantine page (query and
// rendering, through the handler) on a domain holding 1,000,000
// quarantined items (MAILTOWER_BENCH_ROWS to change), plus 100,000 of
// another domain. Building the rows takes about a minute; it only runs
// with -bench:
//
//	go test -run '^$' -bench PortalList -benchtime 20x ./web
//
// and on a private PostgreSQL server (docs/cluster-benchmarks.md):
//
//	scripts/test-postgres.sh -run '^$' -bench PortalList -benchtime 20x -timeout 60m ./web
func BenchmarkPortalList(b *testing.B) {
	rows := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("MAILTOWER_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	ctx := context.Background()
	dir := b.TempDir()
	db := storetest.Open(b) // SQLite, or PostgreSQL under scripts/test-postgres.sh
	acc, _ := account.Open(ctx, db)
	al, _ := audit.Open(ctx, db)
	st, _ := settings.NewSQLStore(ctx, db)
	q, err := quarantine.Open(ctx, db, dir, quarantine.Retention{Virus: time.Hour, Spam: time.Hour, Content: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	fillBench(b, db, "big.test", rows)
	fillBench(b, db, "other.test", rows/10)
	b.Logf("built %d + %d rows in %s", rows, rows/10, time.Since(start).Round(time.Second))
	s, err := New(Deps{Accounts: acc, Audit: al, Quarantine: q, Settings: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Options{Sessions: account.SessionLimits{Idle: time.Hour, Max: time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	login := func(name, role, domain string) string {
		acc.SetPassword(ctx, name, "benchmark password")
		if role != "" {
			acc.AddRole(ctx, name, role, domain)
		}
		sess, err := acc.NewSession(ctx, name, account.StageFull, "")
		if err != nil {
			b.Fatal(err)
		}
		return sess.ID
	}
	admin, user := login("boss@big.test", account.RoleDomainAdmin, "big.test"), login("u42@big.test", "", "")
	get := func(cookie, path string) string {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%s: %d", path, w.Code)
		}
		return w.Body.String()
	}
	next := regexp.MustCompile(`href="/quarantine\?([^"]+)" id="next"`)
	deep := "/quarantine"
	for i := 0; i < 20; i++ { // page 21 by keyset
		m := next.FindStringSubmatch(get(admin, deep))
		deep = "/quarantine?" + htmlUnescape(m[1])
	}
	for _, c := range []struct{ name, cookie, path string }{
		{"domain-admin/first-page", admin, "/quarantine"},
		{"domain-admin/page-21", admin, deep},
		{"domain-admin/spam-by-score", admin, "/quarantine?cat=spam&sort=score"},
		{"domain-admin/by-sender", admin, "/quarantine?sort=sender"},
		{"domain-admin/one-recipient", admin, "/quarantine?rcpt=u7@big.test"},
		{"domain-admin/search", admin, "/quarantine?q=invoice"},
		{"user/first-page", user, "/quarantine"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				get(c.cookie, c.path)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
		})
	}
}

func htmlUnescape(s string) string { return regexp.MustCompile(`&amp;`).ReplaceAllString(s, "&") }

// fillBench inserts n quarantined items of domain (one message each,
// 10,000 recipients, a month of arrivals) in large transactions.
func fillBench(b *testing.B, db *store.DB, domain string, n int) {
	b.Helper()
	words := []string{"invoice", "parcel", "offer", "meeting", "pills", "lottery", "update", "account", "payment", "news"}
	cats := []string{"spam", "spam", "spam", "content", "virus"}
	now := time.Now().Unix()
	r := rand.New(rand.NewPCG(1, uint64(len(domain))))
	const batch = 50_000
	for done := 0; done < n; done += batch {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := tx.Prepare(`INSERT INTO quarantine_messages (id, queue_id, sender, client_addr, client_host, helo, subject, header_from,
			size, received, path, sha256, findings) VALUES (?, 'Q', ?, '192.0.2.1', '', 'h', ?, ?, ?, ?, 'x.eml', '', '[]')`)
		item, _ := tx.Prepare(`INSERT INTO quarantine_items (message_id, recipient, recipient_domain, category, reason, score,
			received, expires, sender, size) VALUES (?, ?, ?, ?, 'bench', ?, ?, ?, ?, ?)`)
		for i := done; i < min(done+batch, n); i++ {
			id := fmt.Sprintf("%s-%08d", domain, i)
			sender := fmt.Sprintf("s%d@sender%d.example", r.IntN(5000), r.IntN(500))
			subject := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + " " + strconv.Itoa(i)
			received := now - int64(r.IntN(30*86400))
			size := int64(1000 + r.IntN(200000))
			if _, err := msg.Exec(id, sender, subject, sender, size, received); err != nil {
				b.Fatal(err)
			}
			if _, err := item.Exec(id, fmt.Sprintf("u%d@%s", r.IntN(10000), domain), domain, cats[r.IntN(len(cats))],
				r.Float64()*30, received, now+86400, sender, size); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
