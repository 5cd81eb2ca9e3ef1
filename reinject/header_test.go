package reinject

import (
	"io"
	"strings"
	"testing"
)

func rewriteString(t testing.TB, in string, ed HeaderEdit) string {
	t.Helper()
	r, err := Rewrite(strings.NewReader(in), ed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRewriteRemovesOwnFields(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ed             HeaderEdit
	}{
		{"forged verdict and release, any case, folded",
			"Received: x\r\nX-Mailtower-Verdict: clean\r\nx-mailtower-released: by root\r\n\tfolded\r\nX-MAILTOWER-Score:1\r\nSubject: hi\r\n\r\nX-Mailtower-Verdict: body stays\r\n",
			"X-Mailtower-Released: by admin\r\nReceived: x\r\nSubject: hi\r\nX-Mailtower-Verdict: spam\r\n\r\nX-Mailtower-Verdict: body stays\r\n",
			HeaderEdit{Top: []Field{{"X-Mailtower-Released", "by admin"}}, Add: []Field{{"X-Mailtower-Verdict", "spam"}}}},
		{"other fields and odd lines kept",
			"X-Mailtower2: no\r\nX-Other: keep\r\nnot a field\r\n\r\nb",
			"X-Mailtower2: no\r\nX-Other: keep\r\nnot a field\r\n\r\nb", HeaderEdit{}},
		{"lf file keeps lf",
			"Subject: x\nX-Mailtower-Released: fake\n\nbody\n",
			"X-Mailtower-Released: real\nSubject: x\n\nbody\n",
			HeaderEdit{Top: []Field{{"X-Mailtower-Released", "real"}}}},
		{"subject changed once, folded value whole",
			"Subject: a\r\n b\r\nSubject: second\r\n\r\n",
			"Subject:[T] a\r\n b\r\nSubject: second\r\n\r\n",
			HeaderEdit{Subject: func(v string) string { return "[T]" + v }}},
		{"missing subject added",
			"From: a@b\r\n\r\n", "From: a@b\r\nSubject:[T]\r\n\r\n",
			HeaderEdit{Subject: func(v string) string { return "[T]" + v }}},
		{"header only", "X-Mailtower-Verdict: clean\r\nA: b", "A: b\r\n\r\n", HeaderEdit{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rewriteString(t, tc.in, tc.ed); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzRewrite: any input gives a header without a foreign X-Mailtower-*
// field and the body unchanged.
func FuzzRewrite(f *testing.F) {
	f.Add("X-Mailtower-Verdict: clean\r\n\tx\r\nSubject: s\r\n\r\nbody")
	f.Add("\n\n")
	f.Add("a\r\n X-Mailtower-x: y\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := rewriteString(t, in, HeaderEdit{Add: []Field{{"X-Mailtower-Verdict", "spam"}}})
		head, _, _ := strings.Cut(out, "\r\n\r\n")
		if !strings.Contains(out, "\r\n\r\n") {
			head, _, _ = strings.Cut(out, "\n\n")
		}
		n := 0
		for _, line := range strings.Split(strings.ReplaceAll(head, "\r\n", "\n"), "\n") {
			if line != "" && line[0] != ' ' && line[0] != '\t' && IsOwnField(strings.SplitN(line, ":", 2)[0]) && strings.Contains(line, ":") {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d X-Mailtower fields in the header of %q", n, out)
		}
	})
}
