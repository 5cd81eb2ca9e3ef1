// Command evalsplit makes the time-ordered split of scripts/eval.sh: it
// reads the Date header of every message in a spam and a ham directory,
// orders each class by date, and links the newest fraction of each
// (default one third) into OUT/test/{spam,ham} and the rest into
// OUT/train/{spam,ham}. A message without a readable date goes to the
// training side: it cannot be placed in time, and testing on it would not
// be testing the future.
//
// The split is per class because the corpus' spam is older than its ham
// (spam-1 is mostly August-September 2002, easy-ham-1 runs to December):
// the newest third of both together would hold 20 spam.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type msg struct {
	path  string
	class string
	date  time.Time // zero when unreadable
}

func main() {
	spamDir := flag.String("spam", "", "directory of spam messages (*.txt)")
	hamDir := flag.String("ham", "", "directory of ham messages (*.txt)")
	out := flag.String("out", "", "output directory (train/ and test/ are created in it)")
	frac := flag.Float64("test", 1.0/3, "fraction of all messages, the newest, to test on")
	flag.Parse()
	if *spamDir == "" || *hamDir == "" || *out == "" || *frac <= 0 || *frac >= 1 {
		fmt.Fprintln(os.Stderr, "usage: evalsplit -spam DIR -ham DIR -out DIR [-test 0.333]")
		os.Exit(2)
	}
	if err := run(*spamDir, *hamDir, *out, *frac); err != nil {
		fmt.Fprintln(os.Stderr, "evalsplit:", err)
		os.Exit(1)
	}
}

func run(spamDir, hamDir, out string, frac float64) error {
	count := map[string]int{}
	var undated int
	var first, last time.Time
	for _, d := range []struct{ dir, class string }{{spamDir, "spam"}, {hamDir, "ham"}} {
		files, err := filepath.Glob(filepath.Join(d.dir, "*.txt"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		var all []msg
		for _, f := range files {
			date, err := fileDate(f)
			if err != nil {
				return err
			}
			all = append(all, msg{path: f, class: d.class, date: date})
		}
		if err := place(all, out, frac, count, &undated, &first, &last); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "time-ordered split: train %d spam + %d ham (%d undated), test %d spam + %d ham, test dates from %s (spam) / %s (ham)\n",
		count["train/spam"], count["train/ham"], undated, count["test/spam"], count["test/ham"],
		first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02"))
	return nil
}

// place links one class's messages, the newest frac of them to test/;
// first and last receive the oldest test date of the first and second
// class.
func place(all []msg, out string, frac float64, count map[string]int, undated *int, first, last *time.Time) error {
	// Undated first (training side), then oldest to newest; ties by path
	// so that the split is the same on every run.
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.date.Equal(b.date) {
			return a.path < b.path
		}
		return a.date.Before(b.date)
	})
	nTest := int(float64(len(all))*frac + 0.5)
	cut := len(all) - nTest
	for i, m := range all {
		side := "train"
		if i >= cut {
			side = "test"
		}
		if m.date.IsZero() {
			*undated++
		}
		count[side+"/"+m.class]++
		dir := filepath.Join(out, side, m.class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		abs, err := filepath.Abs(m.path)
		if err != nil {
			return err
		}
		if err := os.Symlink(abs, filepath.Join(dir, filepath.Base(m.path))); err != nil {
			return err
		}
	}
	if first.IsZero() {
		*first = all[cut].date
	} else {
		*last = all[cut].date
	}
	return nil
}
