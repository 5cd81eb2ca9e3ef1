package mimewalk

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// TestReadings covers the lenient readings: what a lenient reader sees is
// walked, a strict or decoded alternative only counts when it shows a
// file the walked reading lacks.
func TestReadings(t *testing.T) {
	pe := base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 this is a PE"))
	tests := []struct {
		name      string
		raw       string
		file      string // a fixture in ../testdata/malformed instead of raw
		parts     string
		malformed []string
		notes     []string
	}{
		{
			name:  "comment in the Content-Type field name",
			file:  "comment-in-header-name.eml",
			parts: " multipart/mixed\n1 text/plain\n2 application/octet-stream \"report.pdf\"\n",
			notes: []string{"comment in header field name Content-Type"},
		},
		{
			name:      "comment in a part's Content-Disposition name: the strict reading shows another file name",
			raw:       "Content-Type: multipart/mixed; boundary=d\n\n--d\nContent-Type: application/octet-stream\nContent-Disposition(x): attachment; filename=a.exe\n\n" + pe + "\n--d--\n",
			parts:     " multipart/mixed\n1 application/octet-stream \"a.exe\"\n",
			malformed: []string{"readings disagree on the attachments (strict header reading"},
		},
		{
			name:  "quoted-printable declared on a well-formed multipart",
			file:  "qp-multipart.eml",
			notes: []string{"transfer encoding quoted-printable on a multipart", "alternative reading: missing end boundary"},
		},
		{
			name:      "base64 multipart: only the decoded reading has the file",
			raw:       "Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte("--b\nContent-Type: application/octet-stream; name=x.exe\n\nMZ\n--b--\n")) + "\n",
			malformed: []string{"readings disagree on the attachments (raw body and base64-decoded body"},
		},
		{
			name:  "Office 365 header continuation without white space",
			file:  "o365-continuation.eml",
			parts: " multipart/alternative\n1 text/plain\n2 text/html\n",
			notes: []string{"header continuation line without leading white space"},
		},
		{
			name:  "line without colon after a quoted boundary leaves the boundary alone",
			raw:   "Content-Type: multipart/mixed;\n\tboundary=\"q\"\nGARBAGE\n\n--q\nContent-Type: text/plain\n\nhi\n--q--\n",
			parts: " multipart/mixed\n1 text/plain\n",
			notes: []string{"header continuation line without leading white space"},
		},
		{
			name:      "continuation that changes a file name",
			raw:       "Content-Type: multipart/mixed; boundary=n\n\n--n\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"invoice.pdf\n.exe\"\n\n" + pe + "\n--n--\n",
			malformed: []string{"readings disagree on the attachments"},
		},
		{
			name:  "7000-character boundary present in the body",
			raw:   "Content-Type: multipart/mixed; boundary=\"" + strings.Repeat("x", 7000) + "\"\n\n--" + strings.Repeat("x", 7000) + "\nContent-Type: application/octet-stream; name=a.bin\n\nAB\n--" + strings.Repeat("x", 7000) + "--\n",
			parts: " multipart/mixed\n1 application/octet-stream \"a.bin\"\n",
			notes: []string{"boundary longer than 70 characters"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if tc.file != "" {
				b, err := os.ReadFile("../testdata/malformed/" + tc.file)
				if err != nil {
					t.Fatal(err)
				}
				raw = string(b)
			}
			m := WalkBytes([]byte(raw), Limits{})
			if tc.parts != "" {
				var primary []Part
				for _, p := range m.Parts {
					if !p.Alternative {
						primary = append(primary, p)
					}
				}
				if got := summary(&Message{Parts: primary}); got != tc.parts {
					t.Errorf("parts:\n%s\nwant:\n%s", got, tc.parts)
				}
			}
			checkProblems(t, m, tc.malformed, tc.notes)
		})
	}
}

// checkProblems checks that m has every malformed problem and note named
// (by a part of its reason), and no malformed problem when none is named.
func checkProblems(t *testing.T, m *Message, malformed, notes []string) {
	t.Helper()
	for _, r := range malformed {
		if !hasProblem(m, r, true) {
			t.Errorf("want malformed problem %q, have %+v", r, m.Problems)
		}
	}
	for _, r := range notes {
		if !hasProblem(m, r, false) {
			t.Errorf("want note %q, have %+v", r, m.Problems)
		}
	}
	if len(malformed) == 0 && len(m.Malformed()) > 0 {
		t.Errorf("unexpected malformed problems %+v", m.Malformed())
	}
}

// TestAlternativeReadingLimits: a limit reached in the decoded reading of
// a multipart stays malformed even when that reading agrees.
func TestAlternativeReadingLimits(t *testing.T) {
	// Two parts as written; "=2D=2Dm" lines become delimiters only in the
	// decoded reading, which then runs into the parts limit.
	hidden := strings.Repeat("=2D=2Dm\n\ntext\n", 6)
	raw := "Content-Type: multipart/mixed; boundary=m\nContent-Transfer-Encoding: quoted-printable\n\n--m\n\none\n" + hidden + "--m\n\ntwo\n--m--\n"
	m := WalkBytes([]byte(raw), Limits{MaxParts: 8})
	checkProblems(t, m, []string{"parts limit (8) exceeded"}, nil)
}
