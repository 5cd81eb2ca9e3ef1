package mimewalk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addMalformedCorpus seeds a fuzz target with the project's regression
// corpus of malformed messages (testdata/malformed at the module root).
func addMalformedCorpus(f *testing.F) {
	files, _ := filepath.Glob("../testdata/malformed/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzWalk checks that no input panics the walk or breaks its limits.
func FuzzWalk(f *testing.F) {
	addMalformedCorpus(f)
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--a--\n"))
	lim := Limits{MaxDepth: 8, MaxParts: 50, MaxPartBytes: 1 << 16, MaxTotalBytes: 1 << 17}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := WalkBytes(raw, lim)
		if len(m.Parts) > lim.MaxParts {
			t.Fatalf("%d parts over the limit", len(m.Parts))
		}
		var total int64
		for _, p := range m.Parts {
			if int64(len(p.Body)) > lim.MaxPartBytes {
				t.Fatalf("part %s: %d bytes over the part limit", p.Path, len(p.Body))
			}
			if p.Depth > lim.MaxDepth {
				t.Fatalf("part %s at depth %d", p.Path, p.Depth)
			}
			total += int64(len(p.Body)) + int64(len(p.Text))
			if strings.HasPrefix(p.MediaType, "text/html") {
				if h := HTMLText(p.Text); len(h) > len(p.Text) {
					t.Fatalf("HTMLText grew %d -> %d", len(p.Text), len(h))
				}
			}
		}
		if total > lim.MaxTotalBytes {
			t.Fatalf("%d decoded bytes", total)
		}
		_ = m.Header.Subject()
	})
}

// FuzzHTMLText checks that HTMLText never panics or grows its input.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"<p>a&amp;b</p>", "<script>x", "<!--", "<a href='>'>t</a>", "&#8203;&nbsp;<", "<b\xff>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if h := HTMLText(s); len(h) > len(s) {
			t.Fatalf("HTMLText(%q) = %q grew", s, h)
		}
	})
}
