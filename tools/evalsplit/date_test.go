package main

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestHeaderDate(t *testing.T) {
	for _, tt := range []struct{ hdr, want string }{
		{"Date: Thu, 22 Aug 2002 18:26:25 +0700\n", "2002-08-22T11:26:25Z"},
		{"Subject: x\nDate: Mon, 2 Sep 2002\n 13:04:05 -0400 (EDT)\n", "2002-09-02T17:04:05Z"},
		{"Date: Tue, 3 Sep 2002 10:20 +0100\n", "2002-09-03T09:20:00Z"},
		{"Date: 15 Aug 02 04:10:11 -0000\n", "2002-08-15T04:10:11Z"},
		{"Date: Mon, 15 Jul 102 10:00:00 +0000\n", ""}, // the year-102 bug: no date
		{"Date: tomorrow\n", ""},
		{"Subject: no date\n\nDate: in the body\n", ""},
	} {
		got := headerDate(bufio.NewReader(strings.NewReader(tt.hdr)))
		s := ""
		if !got.IsZero() {
			s = got.UTC().Format(time.RFC3339)
		}
		if s != tt.want {
			t.Errorf("%q: got %q, want %q", tt.hdr, s, tt.want)
		}
	}
}

func FuzzHeaderDate(f *testing.F) {
	f.Add("Date: Thu, 22 Aug 2002 18:26:25 +0700\n\n")
	f.Add("Date: 15 Aug 02 04:10 GMT\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		d := headerDate(bufio.NewReader(strings.NewReader(s)))
		if !d.IsZero() && d.Year() < 1980 {
			t.Errorf("implausible date %v accepted", d)
		}
	})
}
