package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// want is an expected finding: its Rule, a substring of its Reason, and
// its Recipients joined by ",".
type want struct {
	rule, reason, rcpts string
}

func check(t *testing.T, got []scan.Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%d findings %+v, want %d %+v", len(got), got, len(wants), wants)
	}
	for i, w := range wants {
		g := got[i]
		if g.Scanner != Name || g.Category != scan.Content || g.Rule != w.rule ||
			!strings.Contains(g.Reason, w.reason) || strings.Join(g.Recipients, ",") != w.rcpts {
			t.Errorf("finding %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestScanFiletypes(t *testing.T) {
	pe := fakePE(false)
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...)
	docm := makeZip(t, zipEntry{name: "[Content_Types].xml", data: []byte("<Types/>")},
		zipEntry{name: "word/document.xml", data: []byte("<w/>")}, zipEntry{name: "word/vbaProject.bin", data: []byte("vba")})
	nest := func(levels int) []byte {
		z := makeZip(t, zipEntry{name: "inner/setup.pdf", data: pe})
		for i := 1; i < levels; i++ {
			z = makeZip(t, zipEntry{name: "level.zip", data: z})
		}
		return z
	}
	lim := DefaultLimits
	tests := []struct {
		name  string
		rules []settings.Rule
		atts  []attachment
		want  []want
	}{
		{"clean text", []settings.Rule{rule("global", settings.BlockFiletype, "exe")}, nil, nil},
		{"exe by name", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"tool.exe", "application/octet-stream", []byte("just bytes")}},
			[]want{{"block-filetype:exe", "part 2 (tool.exe)", ""}}},
		{"PE renamed .pdf", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"invoice.pdf", "application/pdf", pe}},
			[]want{{"block-filetype:exe", "invoice.pdf) is Windows executable (PE)", ""}}},
		{"DLL renamed .txt matches dll and exe", []settings.Rule{rule("global", settings.BlockFiletype, "dll")},
			[]attachment{{"readme.txt", "text/plain", fakePE(true)}},
			[]want{{"block-filetype:dll", "Windows DLL", ""}}},
		{"PE renamed .pdf inside a zip", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"docs.zip", "application/zip", makeZip(t, zipEntry{name: "a.txt", data: []byte("hi")}, zipEntry{name: "scan.pdf", data: pe})}},
			[]want{{"block-filetype:exe", "docs.zip) › scan.pdf is Windows executable", ""}}},
		{"zip renamed .jpg is still a zip", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"photo.jpg", "image/jpeg", makeZip(t, zipEntry{name: "run.pdf", data: pe})}},
			[]want{{"block-filetype:exe", "photo.jpg) › run.pdf", ""}}},
		{"nested zip, 3 levels", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"n.zip", "application/zip", nest(3)}},
			[]want{{"block-filetype:exe", "› level.zip › level.zip › inner/setup.pdf", ""}}},
		{"nested zip beyond archive_depth", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"n.zip", "application/zip", nest(6)}},
			[]want{{RuleMalformed, "archive nesting exceeds limit (4)", ""}}},
		{"encrypted member: finding for recipients with file-type rules", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"locked.zip", "application/zip", makeZip(t, zipEntry{name: "invoice.doc", data: []byte("xxxxxxxxxxxx"), encrypted: true})}},
			[]want{{RuleEncrypted, "locked.zip) › invoice.doc (encrypted)", ""}}},
		{"encrypted member with an exe name is caught by name", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"locked.zip", "application/zip", makeZip(t, zipEntry{name: "run.exe", data: []byte("xxxx"), encrypted: true})}},
			[]want{{"block-filetype:exe", "run.exe (encrypted)", ""}, {RuleEncrypted, "run.exe", ""}}},
		{"rule encrypted", []settings.Rule{rule("global", settings.BlockFiletype, "encrypted")},
			[]attachment{{"locked.zip", "application/zip", makeZip(t, zipEntry{name: "a.txt", data: []byte("x"), encrypted: true})}},
			[]want{{"block-filetype:encrypted", "a.txt (encrypted)", ""}, {RuleEncrypted, "a.txt", ""}}},
		{"zip bomb", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"bomb.zip", "application/zip", makeBomb(t, 10, 64<<20)}},
			[]want{{RuleMalformed, "archive exceeds unpack limit", ""}}},
		{"member larger than it declares", []settings.Rule{rule("global", settings.BlockFiletype, "exe")},
			[]attachment{{"liar.zip", "application/zip", makeZeros(t, 1, 1<<20, 100)}},
			[]want{{RuleMalformed, "undecodable archive content at part 2 (liar.zip) › zeros000.bin", ""}}},
		{"office macro container", []settings.Rule{rule("global", settings.BlockFiletype, "macro")},
			[]attachment{{"report.docx", "application/octet-stream", docm}},
			[]want{{"block-filetype:macro", "report.docx", ""}}},
		{"group executable catches ELF named .dat", []settings.Rule{rule("global", settings.BlockFiletype, "executable")},
			[]attachment{{"data.dat", "application/octet-stream", elf}},
			[]want{{"block-filetype:executable", "is ELF executable", ""}}},
		{"trailing dot and space in name", []settings.Rule{rule("global", settings.BlockFiletype, "scr")},
			[]attachment{{"photo.scr. ", "application/octet-stream", []byte("x")}},
			[]want{{"block-filetype:scr", "photo.scr", ""}}},
		{"no rules, no findings for an exe", nil,
			[]attachment{{"tool.exe", "application/octet-stream", pe}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(t, lim, tc.rules...)
			check(t, scanRaw(t, s, message("hello", "see attached", tc.atts...)), tc.want)
		})
	}
}

func TestScanContent(t *testing.T) {
	html := "Content-Type: text/html; charset=utf-8\r\nSubject: =?utf-8?B?V2luIGEgcHJpemU=?=\r\n\r\n<p>Buy V<b></b>iagra&nbsp;now</p><!-- hidden -->\r\n"
	tests := []struct {
		name  string
		rules []settings.Rule
		raw   string
		rcpts []string
		want  []want
	}{
		{"encoded subject", []settings.Rule{rule("global", settings.BlockContent, `(?i)win a prize`)}, html, nil,
			[]want{{"block-content:#1", `matched subject: "Win a prize"`, ""}}},
		{"HTML visible text", []settings.Rule{rule("global", settings.BlockContent, `Viagra now`)}, html, nil,
			[]want{{"block-content:#1", "visible text", ""}}},
		{"raw HTML", []settings.Rule{rule("global", settings.BlockContent, `<!-- hidden -->`)}, html, nil,
			[]want{{"block-content:#1", "body (text/html)", ""}}},
		{"second Subject field", []settings.Rule{rule("global", settings.BlockContent, `casino`)},
			"Subject: hello\r\nSubject: casino\r\n\r\nbody\r\n", nil,
			[]want{{"block-content:#1", `matched subject: "casino"`, ""}}},
		{"no match", []settings.Rule{rule("global", settings.BlockContent, `casino`)}, html, nil, nil},
		{"quoted-printable latin-1 text", []settings.Rule{rule("global", settings.BlockContent, `Käse`)},
			"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=E4se\r\n", nil,
			[]want{{"block-content:#1", "Käse", ""}}},
		{"user rule applies to that user only",
			[]settings.Rule{rule("b@example.com", settings.BlockContent, `Viagra`)}, html,
			[]string{"a@example.com", "b@example.com", "c@other.org"},
			[]want{{"block-content:#1", "Viagra", "b@example.com"}}},
		{"domain rule applies to its recipients",
			[]settings.Rule{rule("example.com", settings.BlockContent, `prize`)}, html,
			[]string{"a@example.com", "c@other.org", "b@example.com"},
			[]want{{"block-content:#1", "prize", "a@example.com,b@example.com"}}},
		{"rule of an uninvolved domain", []settings.Rule{rule("other.org", settings.BlockContent, `prize`)}, html, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(t, DefaultLimits, tc.rules...)
			check(t, scanRaw(t, s, []byte(tc.raw), tc.rcpts...), tc.want)
		})
	}
}

func TestScanMalformedWithoutRules(t *testing.T) {
	s := newScanner(t, DefaultLimits)
	raw := "Subject: x\r\nContent-Type: multipart/mixed; boundary=a; boundary=b\r\n\r\n--a\r\n\r\nx\r\n"
	check(t, scanRaw(t, s, []byte(raw)), []want{{RuleMalformed, "malformed: conflicting boundary parameters (message) (and 1 more problems)", ""}})
}

func TestOutboundNotFiltered(t *testing.T) {
	s := newScanner(t, DefaultLimits, rule("global", settings.BlockFiletype, "exe"))
	raw := message("x", "y", attachment{"a.exe", "application/octet-stream", fakePE(false)})
	msg := scan.NewMessage(scan.Envelope{Recipients: []string{"x@remote.org"}, Outbound: true}, strings.NewReader(string(raw)), int64(len(raw)))
	f, err := s.Scan(context.Background(), msg)
	if err != nil || len(f) != 0 {
		t.Fatalf("outbound: %v %+v, want no findings", err, f)
	}
}

// TestCacheFollowsGeneration: a rule added after a scan applies to the next.
func TestCacheFollowsGeneration(t *testing.T) {
	st := newStore(t)
	s := New(st, st.Generation, DefaultLimits)
	raw := message("casino bonus", "text")
	check(t, scanRaw(t, s, raw), nil)
	if _, err := st.AddRule(context.Background(), rule("example.com", settings.BlockContent, "casino")); err != nil {
		t.Fatal(err)
	}
	check(t, scanRaw(t, s, raw), []want{{"block-content:#1", "casino", "a@example.com"}})
	if err := st.RemoveRule(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	check(t, scanRaw(t, s, raw), nil)
}

// TestConcurrentScans: one scanner serves many messages at once (run with
// -race); every scan sees the rules.
func TestConcurrentScans(t *testing.T) {
	s := newScanner(t, DefaultLimits, rule("global", settings.BlockFiletype, "exe"),
		rule("example.com", settings.BlockContent, "(?i)casino"))
	raw := message("casino", "x", attachment{"a.pdf", "application/pdf", fakePE(false)})
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		go func() {
			msg := scan.NewMessage(scan.Envelope{Recipients: []string{"a@example.com"}}, strings.NewReader(string(raw)), int64(len(raw)))
			f, err := s.Scan(context.Background(), msg)
			if err != nil || len(f) != 2 {
				errs <- fmt.Sprintf("%v %+v", err, f)
				return
			}
			errs <- ""
		}()
	}
	for i := 0; i < 16; i++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestNoRecipientsGlobalRules: a message without envelope recipients (an
// offline scan) is checked against the global rules only.
func TestNoRecipientsGlobalRules(t *testing.T) {
	s := newScanner(t, DefaultLimits, rule("global", settings.BlockFiletype, "exe"),
		rule("example.com", settings.BlockContent, "hello"))
	raw := message("hello", "x", attachment{"a.pdf", "application/pdf", fakePE(false)})
	msg := scan.NewMessage(scan.Envelope{}, strings.NewReader(string(raw)), int64(len(raw)))
	f, err := s.Scan(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	check(t, f, []want{{"block-filetype:exe", "a.pdf", ""}})
}
