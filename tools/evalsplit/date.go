package main

import (
	"bufio"
	"bytes"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"time"
)

// fileDate returns the Date header of the message in path, or the zero
// time when it has none or none that can be read as a plausible date.
func fileDate(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	return headerDate(bufio.NewReaderSize(f, 64<<10)), nil
}

// headerDate finds the first Date header in the message header (folded
// lines joined; mbox "From " lines skipped) and parses it leniently.
func headerDate(r *bufio.Reader) time.Time {
	var cur []byte
	var value string
	found := false
	flush := func() {
		if !found && len(cur) > 5 && bytes.EqualFold(cur[:5], []byte("date:")) {
			value, found = string(cur[5:]), true
		}
	}
	for n := 0; n < 2000; n++ {
		line, err := r.ReadBytes('\n')
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			cur = append(cur, ' ')
			cur = append(cur, bytes.TrimSpace(line)...)
		} else {
			flush()
			cur = append(cur[:0], line...)
		}
		if err != nil {
			break
		}
	}
	flush()
	if !found {
		return time.Time{}
	}
	return parseDate(value)
}

var (
	comments = regexp.MustCompile(`\([^)]*\)`)
	spaces   = regexp.MustCompile(`\s+`)
)

// layouts are the shapes seen in real mail that net/mail rejects:
// missing seconds, two-digit years, zone names, no weekday, ISO dates.
var layouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon, 2 Jan 06 15:04:05 MST",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 3:04:05 PM -0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"Monday, January 2, 2006 3:04 PM",
	"Monday, 2 January 2006 15:04:05 -0700",
}

// parseDate reads a Date value; implausible years count as no date.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(spaces.ReplaceAllString(comments.ReplaceAllString(v, " "), " "))
	t, err := mail.ParseDate(v)
	if err != nil {
		t = time.Time{}
		w := strings.ReplaceAll(v, ",", ", ")
		w = strings.TrimSpace(spaces.ReplaceAllString(w, " "))
		w = strings.Replace(w, ", ,", ",", -1)
		for _, cand := range []string{v, w, strings.TrimSuffix(strings.TrimSpace(w), " GMT")} {
			for _, l := range layouts {
				if p, err := time.Parse(l, cand); err == nil {
					t = p
					break
				}
			}
			if !t.IsZero() {
				break
			}
		}
	}
	if t.IsZero() || t.Year() < 1980 || t.After(time.Now().AddDate(1, 0, 0)) {
		return time.Time{}
	}
	return t
}
