// Package evalcorpus finds the evaluation corpus that scripts/eval.sh
// downloads (the groups spam-1 and easy-ham-1 of the public SpamAssassin
// corpus) and sorts its messages into the kinds of mail the speed goals
// are stated for. It is used by benchmarks and load tests only.
package evalcorpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailtower/mailtower/mimewalk"
)

// Groups are the only corpus groups the project trains, tunes and tests
// on; the others are reserved for independent evaluation.
var Groups = []string{"spam-1", "easy-ham-1"}

// Kinds are the kinds of mail Kind returns, in report order.
var Kinds = []string{"plain", "html", "large-html", "attachment"}

// Dir is the corpus's data directory (holding spam-1/ and easy-ham-1/):
// $MAILTOWER_CORPUS, else where scripts/eval.sh extracts it,
// ~/.cache/mailtower-eval/corpus/package/data. It may not exist.
func Dir() string {
	if d := os.Getenv("MAILTOWER_CORPUS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "mailtower-eval", "corpus", "package", "data")
}

// Kind sorts a message by its MIME parts: attachment (a part with a file
// name or of a non-text type, not multipart or message), large-html (HTML
// parts of 20 KB or more together), html (some HTML), else plain.
func Kind(raw []byte) string {
	msg, err := mimewalk.Walk(bytes.NewReader(raw), mimewalk.Limits{})
	if err != nil {
		return "plain"
	}
	html, attach := 0, false
	for _, p := range msg.Parts {
		ct := p.MediaType
		switch {
		case p.Filename != "" || !(strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "multipart/") || strings.HasPrefix(ct, "message/")):
			attach = true
		case ct == "text/html":
			html += len(p.Body)
		}
	}
	switch {
	case attach:
		return "attachment"
	case html >= 20<<10:
		return "large-html"
	case html > 0:
		return "html"
	}
	return "plain"
}
