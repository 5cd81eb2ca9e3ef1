// Command qbench measures the quarantine at scale: it generates N
// quarantined messages directly into a fresh store (rows through the real
// schema and triggers, plus one small file per message unless -rows-only),
// then times the first page of `list` and of `list --search`, a purge of
// 100,000 expired messages while a writer keeps calling Put (whose latency
// is compared with a baseline taken before, in the same run), the orphan
// sweep, and reports database and disk bytes per message. It stops by
// itself and removes its data unless -keep.
//
//	go run ./quarantine/qbench -n 1000000
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
	"syscall"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store"
)

var (
	n        = flag.Int("n", 1000000, "messages to generate")
	expired  = flag.Int("expired", 100000, "messages that are expired at purge time")
	rowsOnly = flag.Bool("rows-only", false, "write index rows only, no message files (sweep not measured)")
	dir      = flag.String("dir", "", "data directory (default: a new temporary directory)")
	keep     = flag.Bool("keep", false, "keep the data directory")
)

// The generated store: message i is received at base + i*step, one
// recipient (every tenth message two), spam 70%, content 20%, virus 10%,
// all with 30 days retention so that expiry follows received order.
var (
	base = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	step = 2 * time.Second
	ret  = quarantine.Retention{Virus: 30 * 24 * time.Hour, Spam: 30 * 24 * time.Hour, Content: 30 * 24 * time.Hour}
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *dir == "" {
		d, err := os.MkdirTemp("/var/tmp", "qbench-")
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
	q, err := quarantine.Open(ctx, db, *dir, ret)
	check(err)
	t0 := time.Now()
	generate(ctx, db, *dir)
	fmt.Printf("generated %d messages (%s) in %s\n", *n, map[bool]string{true: "rows only", false: "rows and files"}[*rowsOnly],
		time.Since(t0).Round(time.Second))
	sizes(db, *dir)

	end := base.Add(time.Duration(*n) * step)
	q.SetClock(func() time.Time { return end })
	queries(ctx, q)

	// Purge time: exactly -expired messages are past their expiry.
	purgeAt := base.Add(time.Duration(*expired-1)*step + ret.Spam)
	q.SetClock(func() time.Time { return purgeAt })
	purge(ctx, q)
	if !*rowsOnly {
		t := time.Now()
		rep, err := q.Purge(ctx, quarantine.PurgeOptions{})
		check(err)
		fmt.Printf("orphan sweep over %d messages: %s (orphans %d, missing %d)\n", *n-*expired,
			time.Since(t).Round(time.Millisecond), rep.Orphans, len(rep.Missing))
	}
	sizes(db, *dir)
}

var words = strings.Fields(`invoice payment order shipping delivery account password verify urgent offer discount
	meeting report quarterly figures newsletter weekly update security alert bank transfer refund lottery winner
	prize casino pharmacy pills dating crypto bitcoin investment loan mortgage insurance warranty renewal subscription
	webinar conference invitation contract proposal review feedback reminder overdue statement receipt parcel tracking`)

// generate fills the store in SQL (a recursive CTE per batch, so that a
// million rows do not cost a million cgo calls on a shared machine), with
// the real schema's triggers maintaining the search index, then writes
// the files.
func generate(ctx context.Context, db *store.DB, dataDir string) {
	_, err := db.Exec(`CREATE TEMP TABLE IF NOT EXISTS words (i INTEGER PRIMARY KEY, w TEXT)`)
	check(err)
	for i, w := range words {
		_, err := db.Exec(`INSERT OR REPLACE INTO temp.words VALUES (?, ?)`, i, w)
		check(err)
	}
	const batch = 100000
	nw := len(words)
	for start := 0; start < *n; start += batch {
		end := min(start+batch, *n)
		tx, err := db.BeginTx(ctx, nil)
		check(err)
		// A large page cache keeps the batch's dirty index pages in memory
		// until the commit (the default 2 MB spills them to the WAL).
		_, err = tx.Exec(`PRAGMA cache_size = -262144`)
		check(err)
		_, err = tx.Exec(`WITH RECURSIVE s(i, r1, r2, r3, r4, r5) AS (
				SELECT ?1, random(), random(), random(), random(), random()
				UNION ALL SELECT i + 1, random(), random(), random(), random(), random() FROM s WHERE i + 1 < ?2)
			INSERT INTO quarantine_messages (id, queue_id, sender, client_addr, client_host, helo,
				subject, header_from, size, received, path, sha256, findings)
			SELECT printf('%08x%08x', i, abs(r5) % 4294967296), printf('4Q%08X', i),
				sender, '192.0.2.1', 'mx.sender.example', 'mx.sender.example',
				(SELECT w FROM temp.words WHERE i = abs(r1) % ?3) || ' ' || (SELECT w FROM temp.words WHERE i = abs(r2) % ?3) || ' ' ||
					(SELECT w FROM temp.words WHERE i = abs(r3) % ?3) || ' #' || i ||
					CASE WHEN i % 100000 = 7 THEN ' zanzibarquartz' ELSE '' END,
				sender, 1000 + abs(r4) % 50000, ?4 + i * ?5,
				strftime('%Y/%m/%d/', ?4 + i * ?5, 'unixepoch') || printf('%08x%08x', i, abs(r5) % 4294967296) || '.eml',
				'', '[{"Scanner":"spamd","Category":"spam","Score":7}]'
			FROM (SELECT *, (SELECT w FROM temp.words WHERE i = abs(r2) % ?3) || (abs(r3) % 1000) || '@' ||
				(SELECT w FROM temp.words WHERE i = abs(r4) % ?3) || (abs(r1) % 5000) || '.example' AS sender FROM s)`,
			start, end, nw, base.Unix(), int64(step/time.Second))
		check(err)
		// one recipient each, a second one for every tenth message
		_, err = tx.Exec(`WITH x AS MATERIALIZED (
				SELECT id, received, abs(random()) % 200 AS d, abs(random()) % 50 AS u, abs(random()) % 10 AS c,
					abs(random()) % 2000 / 100.0 AS score, sender, size
				FROM quarantine_messages WHERE received >= ?1 AND received < ?2
				UNION ALL
				SELECT id, received, abs(random()) % 200, abs(random()) % 50, abs(random()) % 10, abs(random()) % 2000 / 100.0,
					sender, size
				FROM quarantine_messages WHERE received >= ?1 AND received < ?2 AND seq % 10 = 0)
			INSERT INTO quarantine_items (message_id, recipient, recipient_domain, category, reason, score, received, expires,
				sender, size)
			SELECT id, 'user' || u || '@customer' || d || '.example', 'customer' || d || '.example',
				CASE WHEN c = 0 THEN 'virus' WHEN c < 3 THEN 'content' ELSE 'spam' END,
				CASE WHEN c = 0 THEN 'virus' WHEN c < 3 THEN 'content' ELSE 'spam' END || ' reason',
				score, received, received + ?3, sender, size FROM x`,
			base.Unix()+int64(start)*int64(step/time.Second), base.Unix()+int64(end)*int64(step/time.Second),
			int64(ret.Spam/time.Second))
		check(err)
		check(tx.Commit())
	}
	if *rowsOnly {
		return
	}
	rows, err := db.Query(`SELECT path, subject, sender FROM quarantine_messages`)
	check(err)
	defer rows.Close()
	for rows.Next() {
		var path, subject, sender string
		check(rows.Scan(&path, &subject, &sender))
		writeFile(filepath.Join(dataDir, "quarantine", path), subject, sender)
	}
	check(rows.Err())
}

// timeIt runs f several times and returns the fastest and the median.
func timeIt(runs int, f func()) (time.Duration, time.Duration) {
	var d []time.Duration
	for i := 0; i < runs; i++ {
		t := time.Now()
		f()
		d = append(d, time.Since(t))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[0], d[len(d)/2]
}

func queries(ctx context.Context, q *quarantine.Store) {
	fmt.Println("first page (100 rows) of list, 7 runs each: first (cold) / min / median")
	for _, c := range []struct {
		name string
		f    quarantine.Filter
	}{
		{"list (newest first)", quarantine.Filter{}},
		{"list --search invoice (common word)", quarantine.Filter{Search: "invoice"}},
		{"list --search zanzibarquartz (10 hits)", quarantine.Filter{Search: "zanzibarquartz"}},
		{"list --search \"weekly report\" (two words)", quarantine.Filter{Search: "weekly report"}},
		{"list --search invoice --category virus", quarantine.Filter{Search: "invoice", Category: scan.Virus}},
		{"list --category virus", quarantine.Filter{Category: scan.Virus}},
		{"list --domain customer7.example", quarantine.Filter{Domain: "customer7.example"}},
		{"list --recipient user3@customer7.example", quarantine.Filter{Recipient: "user3@customer7.example"}},
		{"list --since 1d", quarantine.Filter{Since: base.Add(time.Duration(*n)*step - 24*time.Hour)}},
		{"list --sort score", quarantine.Filter{Sort: "score"}},
		{"list --sort size", quarantine.Filter{Sort: "size"}},
		{"list --sort sender", quarantine.Filter{Sort: "sender"}},
		{"list --offset 10000", quarantine.Filter{Offset: 10000}},
	} {
		c.f.Limit = 100
		var rows int
		cold := time.Now()
		items, err := q.List(ctx, c.f)
		check(err)
		coldD := time.Since(cold)
		rows = len(items)
		lo, med := timeIt(7, func() {
			_, err := q.List(ctx, c.f)
			check(err)
		})
		fmt.Printf("  %-48s %4d rows  %8s / %8s / %8s\n", c.name, rows, ms(coldD), ms(lo), ms(med))
	}
	// The page after 10,000 rows by cursor, for comparison with --offset.
	f := quarantine.Filter{Limit: 10000}
	items, err := q.List(ctx, f)
	check(err)
	f.Cursor, f.Limit = f.NextCursor(items), 100
	_, med := timeIt(7, func() {
		_, err := q.List(ctx, f)
		check(err)
	})
	fmt.Printf("  %-48s %4d rows  %8s median\n", "list --cursor (after 10,000 rows)", 100, ms(med))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// purge measures Put latency alone, then during a purge of the expired
// messages, with one Put every 20ms.
func purge(ctx context.Context, q *quarantine.Store) {
	dry, err := q.Purge(ctx, quarantine.PurgeOptions{DryRun: true, SkipOrphans: true})
	check(err)
	fmt.Printf("purge: %d expired items in %d messages\n", dry.Items, dry.Messages)
	baseline := putLoad(ctx, q, 100, nil)
	done := make(chan struct{})
	var rep quarantine.PurgeReport
	var took time.Duration
	go func() {
		t := time.Now()
		rep, err = q.Purge(ctx, quarantine.PurgeOptions{SkipOrphans: true})
		took = time.Since(t)
		close(done)
	}()
	during := putLoad(ctx, q, 0, done)
	check(err)
	fmt.Printf("purge: removed %d items, %d messages, %d files in %s (%d batches of 200; %.0f messages/s)\n",
		rep.Items, rep.Messages, rep.Files, took.Round(time.Millisecond), rep.Batches, float64(rep.Messages)/took.Seconds())
	fmt.Printf("Put latency (fsync'd file + commit), one every 20ms:\n")
	fmt.Printf("  baseline, no purge: %s\n", stats(baseline, nil))
	fmt.Printf("  during the purge:   %s\n", stats(during, baseline))
	fmt.Printf("  failed Puts: %d\n", putErrors)
}

// putErrors counts failed Puts (the milter would answer 451 for them).
var putErrors int

// putLoad calls Put every 20ms, count times or until done closes.
func putLoad(ctx context.Context, q *quarantine.Store, count int, done chan struct{}) []time.Duration {
	var out []time.Duration
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; count == 0 || i < count; i++ {
		select {
		case <-done:
			return out
		case <-tick.C:
		}
		body := fmt.Sprintf("Subject: load %d\r\n\r\nbody\r\n", i)
		t := time.Now()
		_, err := q.Put(ctx, quarantine.Entry{Envelope: scan.Envelope{QueueID: "LOAD", Sender: "load@sender.example"},
			Subject: "load", Raw: strings.NewReader(body), Size: int64(len(body)),
			Recipients: []quarantine.Recipient{{Address: "user@customer1.example", Category: scan.Spam, Score: 9}}})
		if err != nil {
			putErrors++
			log.Printf("Put failed after %s: %v", time.Since(t).Round(time.Millisecond), err)
		}
		out = append(out, time.Since(t))
	}
	return out
}

func stats(d, baseline []time.Duration) string {
	pct := func(d []time.Duration, p float64) time.Duration {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[int(float64(len(s)-1)*p)]
	}
	out := fmt.Sprintf("n=%d p50 %s p99 %s max %s", len(d), ms(pct(d, .5)), ms(pct(d, .99)), ms(pct(d, 1)))
	if baseline != nil {
		out += fmt.Sprintf("  (p50 x%.2f, p99 x%.2f of baseline)", float64(pct(d, .5))/float64(pct(baseline, .5)),
			float64(pct(d, .99))/float64(pct(baseline, .99)))
	}
	return out
}

// sizes prints database and file bytes per message.
func sizes(db *store.DB, dataDir string) {
	var msgs int64
	check(db.QueryRow(`SELECT COUNT(*) FROM quarantine_messages`).Scan(&msgs))
	_, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	check(err)
	var pages, pageSize, free int64
	db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	db.QueryRow(`PRAGMA freelist_count`).Scan(&free)
	var files, blocks, bytes int64
	filepath.Walk(filepath.Join(dataDir, "quarantine"), func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			files++
			bytes += info.Size()
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				blocks += st.Blocks * 512
			}
		}
		return nil
	})
	if msgs == 0 {
		return
	}
	fmt.Printf("size: %d messages; database %.1f MB (%d bytes/message, %.1f MB free pages); files %d, %.1f MB on disk (%d bytes/message; %d bytes of content each)\n",
		msgs, float64(pages*pageSize)/1e6, (pages-free)*pageSize/msgs, float64(free*pageSize)/1e6,
		files, float64(blocks)/1e6, blocks/max(files, 1), bytes/max(files, 1))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

var madeDirs = map[string]bool{}

// writeFile writes a small message (no fsync: generation only).
func writeFile(path, subject, sender string) {
	d := filepath.Dir(path)
	if !madeDirs[d] {
		check(os.MkdirAll(d, 0o750))
		madeDirs[d] = true
	}
	body := "From: " + sender + "\r\nTo: user@customer.example\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + filepath.Base(path) + "@sender.example>\r\n\r\nGenerated body for the quarantine benchmark.\r\n"
	check(os.WriteFile(path, []byte(body), 0o640))
}
