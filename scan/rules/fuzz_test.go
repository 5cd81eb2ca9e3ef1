package rules

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// FuzzInspect feeds arbitrary bytes to file type detection and archive
// inspection: no panic, the unpack budget holds, every file is named.
func FuzzInspect(f *testing.F) {
	f.Add(makeZip(f, zipEntry{name: "a.pdf", data: fakePE(false)}))
	f.Add(makeRar5(true, "a.exe", "b/c.txt"))
	f.Add(makeRar4(false, "a.exe"))
	f.Add(makeRar5Stored("a.txt", fakePE(false)))
	for _, name := range []string{"plain.7z", "enc.7z", "enchdr.7z", "many.7z", "big.7z"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "formats", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "a.zip", data) })
}

// checkInspect inspects data as a MIME part named name: no panic, the
// unpack budget holds, every file is named.
func checkInspect(t *testing.T, name string, data []byte) {
	in := &inspector{ctx: context.Background(), budget: 1 << 20, maxDepth: 3, bufCap: 1 << 20}
	in.emit = func(string, []byte) {}
	in.inspect("part 1 ("+name+")", []string{name}, data, nil, int64(len(data)), 0)
	if in.budget < 0 {
		t.Fatalf("budget overdrawn: %d", in.budget)
	}
	if len(in.files) > maxMembers+2 {
		t.Fatalf("%d files", len(in.files))
	}
	for _, fl := range in.files {
		if fl.Where == "" || fl.Exts == nil {
			t.Fatalf("unnamed file %+v", fl)
		}
	}
}

// FuzzScan runs whole messages through the content filter with file-type
// and content rules: no panic and no error (only I/O may fail).
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/malformed/*.eml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	lim := DefaultLimits
	lim.MimeParts, lim.Unpacked, lim.Decoded = 100, 4<<20, 4<<20
	s := newScanner(f, lim, append(corpusRules, rule("global", settings.BlockFiletype, "executable"),
		rule("example.com", settings.BlockContent, `(?i)v\s*i\s*a\s*g\s*r\s*a`))...)
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg := scan.NewMessage(scan.Envelope{Recipients: []string{"a@example.com", "b@other.org"}}, strings.NewReader(string(raw)), int64(len(raw)))
		fs, err := s.Scan(context.Background(), msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fs {
			if fd.Rule == RuleNote && (fd.Category != scan.Spam || fd.Score != 0) {
				t.Fatalf("a note that scores: %+v", fd)
			}
			if fd.Rule != RuleNote && fd.Category != scan.Content || fd.Rule == "" || fd.Reason == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}

// FuzzContentRule checks rule matching: a pattern that matches a UTF-8
// text must fire on a message whose body is that text.
func FuzzContentRule(f *testing.F) {
	f.Add(`(?i)casino`, "Best CASINO bonus")
	f.Fuzz(func(t *testing.T, pattern, body string) {
		v, err := settings.NormalizeRuleValue(settings.BlockContent, pattern)
		if err != nil {
			return
		}
		s := New(nil, nil, DefaultLimits)
		uses := []*ruleUse{{rule: settings.Rule{ID: 1, Kind: settings.BlockContent, Value: v, Scope: settings.Scope{Kind: settings.ScopeGlobal}}}}
		m := mimewalk.WalkBytes([]byte("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+body), mimewalk.Limits{})
		got := s.contentFindings(uses, m)
		want := utf8.ValidString(body) && regexp.MustCompile(v).MatchString(body)
		if want && len(got) == 0 {
			t.Fatalf("pattern %q matches %q but no finding", v, body)
		}
	})
}

// FuzzRar checks the RAR header lister on arbitrary bytes: no panic, the
// member limit holds.
func FuzzRar(f *testing.F) {
	f.Add(makeRar5(false, "a.exe"))
	f.Add(makeRar5(true, "a.doc", "b.txt"))
	f.Add(makeRar4(true, "a.exe", "b.txt"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, _, _ := rarList(data); len(m) > maxMembers+1 {
			t.Fatalf("%d members", len(m))
		}
	})
}
