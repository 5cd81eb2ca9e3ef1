package maillog

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// readerNow is the clock of the golden tests (for the year of syslog
// time stamps): a day after the lines.
var readerNow = time.Date(2026, 12, 13, 0, 0, 0, 0, time.Local)

// TestParseGolden parses every testdata/lines/KIND.log, one line kind per
// file, and compares the events (null for a line that is none) with
// KIND.golden; -update rewrites them.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "lines", "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no line files: %v", err)
	}
	for _, file := range files {
		kind := strings.TrimSuffix(filepath.Base(file), ".log")
		t.Run(kind, func(t *testing.T) {
			in, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var got []*Event
			sc := bufio.NewScanner(in)
			for sc.Scan() {
				if ev, ok := Parse(sc.Text(), readerNow); ok {
					ev.Time = ev.Time.UTC()
					got = append(got, &ev)
				} else {
					got = append(got, nil)
				}
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, ".log") + ".golden"
			if *update {
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if strings.TrimSpace(string(want)) != string(b) {
				t.Errorf("%s differs from %s:\n%s", file, golden, b)
			}
			if kind == "ignored" {
				for i, ev := range got {
					if ev != nil {
						t.Errorf("line %d parsed as an event: %+v", i+1, *ev)
					}
				}
			} else {
				for i, ev := range got {
					if ev == nil {
						t.Errorf("line %d is not parsed", i+1)
					}
				}
			}
		})
	}
}

func TestParseYear(t *testing.T) {
	// A line from late December read on 2 January is from last year.
	now := time.Date(2027, 1, 2, 8, 0, 0, 0, time.Local)
	ev, ok := Parse("Dec 31 23:59:59 gw postfix/smtp[1]: ABCDEF1234: to=<a@b.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (x)", now)
	if !ok || ev.Time.Year() != 2026 {
		t.Fatalf("got %v %v, want 2026", ev.Time, ok)
	}
	ev, ok = Parse("Jan 02 07:59:59 gw postfix/smtp[1]: ABCDEF1234: to=<a@b.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (x)", now)
	if !ok || ev.Time.Year() != 2027 {
		t.Fatalf("got %v %v, want 2027", ev.Time, ok)
	}
}

// FuzzParse: no input crashes the parser, and an event always names a
// queue id and, for a delivery, a status and a recipient.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "lines", "*.log"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, ok := Parse(line, readerNow)
		if !ok {
			return
		}
		if !IsQueueID(ev.QueueID) {
			t.Fatalf("event with queue id %q", ev.QueueID)
		}
		if ev.Kind == KindDelivery && (ev.Status == "" || ev.Recipient == "" && ev.OrigTo == "") {
			t.Fatalf("delivery without status or recipient: %+v", ev)
		}
	})
}
