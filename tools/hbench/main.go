// Command hbench measures the mail history at scale: it fills a fresh
// store with N messages (rows through the real schema, indexes and
// full-text triggers, generated in SQL), then times the first page of
// the searches `mailtower history` offers, deep paging with the cursor,
// `history show`, a what-if replay of one domain's week, the real write
// path (Store.Write in the writer's batches) and the log follower's
// lines per second. It removes its data unless -keep.
//
//	go run ./tools/hbench -n 10000000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

var (
	n    = flag.Int("n", 1000000, "messages to generate")
	dir  = flag.String("dir", "", "data directory (default: a new temporary directory)")
	keep = flag.Bool("keep", false, "keep the data directory")
	runs = flag.Int("runs", 7, "runs per query")
)

// The generated history spans 30 days; message i comes at base + i*30d/n.
var base = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const span = 30 * 24 * time.Hour

func at(i int) time.Time { return base.Add(time.Duration(int64(span) / int64(*n) * int64(i))) }

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *dir == "" {
		d, err := os.MkdirTemp("/var/tmp", "hbench-")
		check(err)
		*dir = d
	}
	if !*keep {
		defer os.RemoveAll(*dir)
	}
	ctx := context.Background()
	db, err := store.Open(*dir)
	check(err)
	defer db.Close()
	h, err := history.Open(ctx, db)
	check(err)
	var have int
	check(db.QueryRow(`SELECT COUNT(*) FROM history_messages`).Scan(&have))
	if have == 0 {
		t0 := time.Now()
		generate(ctx, db)
		fmt.Printf("generated %d messages in %s\n", *n, time.Since(t0).Round(time.Second))
	} else {
		fmt.Printf("reusing %d messages in %s\n", have, *dir)
	}
	sizes(db)
	queries(ctx, h)
	whatIf(ctx, h)
	writes(ctx, h)
	follow(ctx, h, *dir)
}

var words = strings.Fields(`invoice payment order shipping delivery account password verify urgent offer discount
	meeting report quarterly figures newsletter weekly update security alert bank transfer refund lottery winner
	prize casino pharmacy pills dating crypto bitcoin investment loan mortgage insurance warranty renewal subscription
	webinar conference invitation contract proposal review feedback reminder overdue statement receipt parcel tracking`)

// generate fills the history in SQL, 100,000 messages per transaction:
// 10% refusals at RCPT, one recipient each and a second for every tenth
// message, 2,000 customer domains of which customer0.example has a
// twentieth of all mail, 70% clean, 25% spam, 3% content, 2% virus, and a
// delivery attempt for every tenth delivered recipient.
func generate(ctx context.Context, db *store.DB) {
	_, err := db.Exec(`CREATE TEMP TABLE IF NOT EXISTS words (i INTEGER PRIMARY KEY, w TEXT)`)
	check(err)
	for i, w := range words {
		_, err := db.Exec(`INSERT OR REPLACE INTO temp.words VALUES (?, ?)`, i, w)
		check(err)
	}
	const batch = 100000
	nw := len(words)
	stepNs := int64(span) / int64(*n)
	for start := 0; start < *n; start += batch {
		end := min(start+batch, *n)
		tx, err := db.BeginTx(ctx, nil)
		check(err)
		_, err = tx.Exec(`PRAGMA cache_size = -524288`)
		check(err)
		_, err = tx.Exec(`WITH RECURSIVE s(i, r1, r2, r3, r4) AS (
				SELECT ?1, random(), random(), random(), random()
				UNION ALL SELECT i + 1, random(), random(), random(), random() FROM s WHERE i + 1 < ?2)
			INSERT INTO history_messages (id, received, stage, queue_id, client_addr, client_name, helo, sender, header_from,
				subject, message_id, size, score, findings)
			SELECT i + 1, ?4 + i * ?5 / 1000000000, CASE WHEN i % 10 = 9 THEN 'rcpt' ELSE 'data' END,
				printf('4Q%09X', i), '192.0.2.1', 'mx.sender.example', 'mx.sender.example', sender, sender,
				CASE WHEN i % 10 = 9 THEN '' ELSE
				(SELECT w FROM temp.words WHERE i = abs(r1) % ?3) || ' ' || (SELECT w FROM temp.words WHERE i = abs(r2) % ?3) || ' ' ||
					(SELECT w FROM temp.words WHERE i = abs(r3) % ?3) || ' #' || i ||
					CASE WHEN i % 1000000 = 7 THEN ' zanzibarquartz' ELSE '' END END,
				printf('<%d@sender.example>', i), 1000 + abs(r4) % 50000, abs(r4) % 2000 / 100.0,
				'[{"scanner":"spamd","category":"spam","rule":"SPAMD","score":' || (abs(r4) % 2000 / 100.0) || ',"reason":"spamd"}]'
			FROM (SELECT *, (SELECT w FROM temp.words WHERE i = abs(r2) % ?3) || (abs(r3) % 1000) || '@' ||
				(SELECT w FROM temp.words WHERE i = abs(r4) % ?3) || (abs(r1) % 100) || '.example' AS sender FROM s)`,
			start, end, nw, base.Unix(), stepNs)
		check(err)
		_, err = tx.Exec(`WITH x AS MATERIALIZED (
				SELECT id, received, stage, queue_id, sender, score, abs(random()) AS r, abs(random()) AS q FROM history_messages WHERE id > ?1 AND id <= ?2
				UNION ALL
				SELECT id, received, stage, queue_id, sender, score, abs(random()), abs(random()) FROM history_messages
					WHERE id > ?1 AND id <= ?2 AND id % 10 = 1),
			y AS (SELECT *, CASE WHEN r % 20 = 0 THEN 0 ELSE r % 2000 END AS d, q % 100 AS c FROM x)
			INSERT INTO history_recipients (message, received, recipient, domain, sender, sender_domain, verdict, action, reason,
				score, threshold, quarantine_id, delivery_queue_id, status, status_time)
			SELECT id, received, 'user' || (q % 500) || '@customer' || d || '.example', 'customer' || d || '.example',
				sender, substr(sender, instr(sender, '@') + 1),
				CASE WHEN stage = 'rcpt' THEN 'refused' WHEN c < 70 THEN 'clean' WHEN c < 95 THEN 'spam' WHEN c < 98 THEN 'content' ELSE 'virus' END,
				CASE WHEN stage = 'rcpt' THEN (CASE WHEN c < 50 THEN 'greylisted' ELSE 'unknown-user' END)
					WHEN c < 70 THEN 'pass' WHEN c < 80 THEN 'tag' ELSE 'quarantine' END,
				'', score, 5.0,
				CASE WHEN stage = 'data' AND c >= 80 THEN printf('%016x', id) ELSE '' END,
				CASE WHEN stage = 'data' AND c < 80 THEN queue_id ELSE '' END,
				CASE WHEN stage = 'rcpt' OR c >= 80 THEN '' WHEN q % 1000 < 10 THEN 'deferred' WHEN q % 1000 < 15 THEN 'bounced' ELSE 'sent' END,
				CASE WHEN stage = 'rcpt' OR c >= 80 THEN NULL ELSE received + 2 END
			FROM y`, start, end)
		check(err)
		_, err = tx.Exec(`INSERT INTO history_deliveries (time, queue_id, recipient, orig_to, service, relay, delay, delays, dsn,
				status, reply, remote_id)
			SELECT status_time, delivery_queue_id, recipient, '', 'smtp', 'mx.' || domain || '[192.0.2.25]:25', 0.5, '0.1/0/0.2/0.2',
				CASE status WHEN 'sent' THEN '2.0.0' WHEN 'deferred' THEN '4.4.1' ELSE '5.1.1' END, status,
				'250 2.0.0 Ok: queued as R' || id, 'R' || id
			FROM history_recipients WHERE message > ?1 AND message <= ?2 AND status != '' AND message % 10 = 3`, start, end)
		check(err)
		check(tx.Commit())
		// No ANALYZE: a gateway's database never gets one (it would hold
		// the write lock for seconds), so the planner works without
		// statistics here too.
		if (end/batch)%10 == 0 {
			fmt.Fprintf(os.Stderr, "  %d messages\n", end)
		}
	}
}

func sizes(db *store.DB) {
	var msgs, rcpts, dels int64
	check(db.QueryRow(`SELECT COUNT(*) FROM history_messages`).Scan(&msgs))
	check(db.QueryRow(`SELECT COUNT(*) FROM history_recipients`).Scan(&rcpts))
	check(db.QueryRow(`SELECT COUNT(*) FROM history_deliveries`).Scan(&dels))
	var bytes int64
	for _, f := range []string{store.FileName, store.FileName + "-wal"} {
		if fi, err := os.Stat(filepath.Join(*dir, f)); err == nil {
			bytes += fi.Size()
		}
	}
	fmt.Printf("rows: %d messages, %d recipients, %d deliveries; database %.1f GB (%.0f bytes per message)\n",
		msgs, rcpts, dels, float64(bytes)/1e9, float64(bytes)/float64(msgs))
}

// timeIt runs f several times and returns the first (cold), the fastest and the median.
func timeIt(f func()) (time.Duration, time.Duration, time.Duration) {
	var d []time.Duration
	for i := 0; i < *runs; i++ {
		t := time.Now()
		f()
		d = append(d, time.Since(t))
	}
	first := d[0]
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return first, d[0], d[len(d)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func queries(ctx context.Context, h *history.Store) {
	end := at(*n)
	mid := at(*n / 2)
	fmt.Printf("\nfirst page (100 rows), %d runs each: first / min / median, rows\n", *runs)
	cases := []struct {
		name string
		f    history.Filter
	}{
		{"history (newest first)", history.Filter{}},
		{"--domain customer0.example (5% of mail)", history.Filter{Domain: "customer0.example"}},
		{"--domain customer7.example", history.Filter{Domain: "customer7.example"}},
		{"--recipient user3@customer7.example", history.Filter{Recipient: "user3@customer7.example"}},
		{"--sender (one sender)", history.Filter{Sender: senderOf(h, ctx)}},
		{"--sender @offer42.example (sender domain)", history.Filter{Sender: "@offer42.example"}},
		{"--queue-id (one message)", history.Filter{QueueID: fmt.Sprintf("4Q%09X", *n/3)}},
		{"--message-id", history.Filter{MessageID: fmt.Sprintf("<%d@sender.example>", *n/3)}},
		{"--subject invoice (common word)", history.Filter{Subject: "invoice"}},
		{"--subject \"weekly report\" (two words)", history.Filter{Subject: "weekly report"}},
		{"--subject zanzibarquartz (rare)", history.Filter{Subject: "zanzibarquartz"}},
		{"--verdict virus", history.Filter{Verdict: "virus"}},
		{"--verdict refused --action greylisted", history.Filter{Verdict: "refused", Action: "greylisted"}},
		{"--status deferred", history.Filter{Status: "deferred"}},
		{"--status bounced --domain customer0.example", history.Filter{Status: "bounced", Domain: "customer0.example"}},
		{"--domain customer7.example --verdict virus", history.Filter{Domain: "customer7.example", Verdict: "virus"}},
		{"--domain customer0.example --since/--until (one hour mid-range)", history.Filter{Domain: "customer0.example", Since: mid, Until: mid.Add(time.Hour)}},
		{"--since 1d", history.Filter{Since: end.Add(-24 * time.Hour)}},
		{"--until (15 days ago)", history.Filter{Until: mid}},
		{"--reverse (oldest first)", history.Filter{Reverse: true}},
		{"--sort score", history.Filter{Sort: "score"}},
		{"--domain customer7.example --subject invoice", history.Filter{Domain: "customer7.example", Subject: "invoice"}},
		{"--domain customer0.example --verdict virus --status deferred (none)", history.Filter{Domain: "customer0.example", Verdict: "virus", Status: "deferred"}},
		{"--verdict virus --status deferred (none)", history.Filter{Verdict: "virus", Status: "deferred"}},
		{"--domain customer0.example --verdict content", history.Filter{Domain: "customer0.example", Verdict: "content"}},
		{"--domain customer0.example --sort score", history.Filter{Domain: "customer0.example", Sort: "score"}},
		{"--sender @offer42.example --verdict virus", history.Filter{Sender: "@offer42.example", Verdict: "virus"}},
		{"--subject invoice --verdict virus", history.Filter{Subject: "invoice", Verdict: "virus"}},
		// The portal's searches: scoped to a user's address (as recipient
		// or sender) or a domain admin's domains (Filter.Scope).
		{"portal: user user3@customer7.example", history.Filter{Scope: &history.Scope{Addresses: []string{"user3@customer7.example"}}}},
		{"portal: user, --verdict spam", history.Filter{Verdict: "spam", Scope: &history.Scope{Addresses: []string{"user3@customer7.example"}}}},
		{"portal: domain admin customer0.example", history.Filter{Scope: adminOf("customer0.example")}},
		{"portal: domain admin customer0.example --status deferred", history.Filter{Status: "deferred", Scope: adminOf("customer0.example")}},
		{"portal: domain admin customer7.example --subject invoice", history.Filter{Subject: "invoice", Scope: adminOf("customer7.example")}},
		{"portal: domain admin of 3 domains --verdict virus", history.Filter{Verdict: "virus", Scope: adminOf("customer0.example", "customer7.example", "customer9.example")}},
	}
	worst := time.Duration(0)
	for _, c := range cases {
		c.f.Limit = 100
		var rows int
		first, fastest, median := timeIt(func() {
			r, err := h.Search(ctx, c.f)
			check(err)
			rows = len(r)
		})
		worst = max(worst, median)
		fmt.Printf("  %-70s %9s / %9s / %9s  %3d\n", c.name, ms(first), ms(fastest), ms(median), rows)
	}
	fmt.Printf("  slowest median: %s\n", ms(worst))

	// Deep paging: 50 pages of one domain with the cursor.
	f := history.Filter{Domain: "customer0.example", Limit: 100}
	var pages []time.Duration
	for p := 0; p < 50; p++ {
		t := time.Now()
		r, err := h.Search(ctx, f)
		check(err)
		pages = append(pages, time.Since(t))
		if f.Cursor = f.NextCursor(r); f.Cursor == "" {
			break
		}
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i] < pages[j] })
	fmt.Printf("  cursor paging, %d pages of customer0.example: median %s, max %s\n", len(pages), ms(pages[len(pages)/2]), ms(pages[len(pages)-1]))

	first, fastest, median := timeIt(func() {
		_, err := h.Show(ctx, fmt.Sprintf("4Q%09X", *n/3+3))
		check(err)
	})
	fmt.Printf("  %-70s %9s / %9s / %9s\n", "history show QUEUE-ID", ms(first), ms(fastest), ms(median))

	r, err := h.Search(ctx, history.Filter{Limit: 1, QueueID: fmt.Sprintf("4Q%09X", *n/3+3)})
	check(err)
	if len(r) == 1 {
		sc := &history.Scope{Addresses: []string{r[0].Recipient}}
		first, fastest, median = timeIt(func() {
			_, err := h.ShowScoped(ctx, r[0].ID, sc)
			check(err)
		})
		fmt.Printf("  %-70s %9s / %9s / %9s\n", "portal: a user's message page (ShowScoped)", ms(first), ms(fastest), ms(median))
	}
}

// adminOf is the portal's scope of a domain admin of domains.
func adminOf(domains ...string) *history.Scope {
	return &history.Scope{Addresses: []string{"admin@" + domains[0]}, Domains: domains}
}

func senderOf(h *history.Store, ctx context.Context) string {
	r, err := h.Search(ctx, history.Filter{Limit: 1, QueueID: fmt.Sprintf("4Q%09X", *n/2)})
	check(err)
	if len(r) == 0 {
		return "nobody@example"
	}
	return r[0].Sender
}

// whatIf replays the last week of customer7.example at spam level 4.
func whatIf(ctx context.Context, h *history.Store) {
	lvl := 4
	res := func(ctx context.Context, rcpt string) (settings.Resolved, error) {
		return settings.Resolve(settings.Policy{SpamLevel: lvl, SpamAction: settings.ActionQuarantine, VirusAction: settings.ActionQuarantine,
			ContentAction: settings.ActionQuarantine, MaxSize: 25 << 20}, nil, nil), nil
	}
	for _, c := range []struct {
		name string
		f    history.Filter
	}{
		{"customer7.example, last 7 days", history.Filter{Domain: "customer7.example", Since: at(*n).Add(-7 * 24 * time.Hour)}},
		{"customer0.example, last 7 days", history.Filter{Domain: "customer0.example", Since: at(*n).Add(-7 * 24 * time.Hour)}},
	} {
		t := time.Now()
		rep, err := h.ReplayWhatIf(ctx, history.WhatIfOptions{Filter: c.f, Resolve: res})
		check(err)
		fmt.Printf("\nwhat-if --spam-level 4 on %s: %d recipients replayed, %d change, in %s\n", c.name, rep.Replayed, rep.Changed,
			time.Since(t).Round(time.Millisecond))
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
