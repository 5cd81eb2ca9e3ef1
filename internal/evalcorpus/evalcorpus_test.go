package evalcorpus

import (
	"strings"
	"testing"
)

func TestKind(t *testing.T) {
	hdr := "From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
	cases := map[string]string{
		hdr + "Content-Type: text/plain\n\nhello\n":                            "plain",
		hdr + "Content-Type: text/html\n\n<p>hello</p>\n":                      "html",
		hdr + "Content-Type: text/html\n\n" + strings.Repeat("<p>x</p>", 3000): "large-html",
		hdr + "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee\n--b\n" +
			"Content-Type: application/pdf; name=a.pdf\n\n%PDF\n--b--\n": "attachment",
		"not a message at all": "plain",
	}
	for raw, want := range cases {
		if got := Kind([]byte(raw)); got != want {
			t.Errorf("Kind(%.40q) = %s, want %s", raw, got, want)
		}
	}
}
