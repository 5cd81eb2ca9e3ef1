package mirror

import (
	"strings"
	"testing"
)

func TestNormalizeMessageID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" <abc@x.example>", "abc@x.example"},
		{"<abc@x.example> (comment)", "abc@x.example"},
		{"\r\n <abc\r\n @x.example>", "abc@x.example"},
		{"(comment) <abc@x.example>", "abc@x.example"},
		{"abc@x.example", "abc@x.example"},
		{"  ", ""},
		{"", ""},
		{"<unclosed@x", "unclosed@x"},
	} {
		if got := NormalizeMessageID(tc.in); got != tc.want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if MessageIDHash("") != "" || MessageIDHash("<a@b>") != MessageIDHash(" <a@b> ") || len(MessageIDHash("<a@b>")) != 64 {
		t.Error("MessageIDHash")
	}
}

// FuzzMessageIDHash: any header value gives a hash or "", never a panic,
// and the hash never contains the identifier.
func FuzzMessageIDHash(f *testing.F) {
	for _, s := range []string{"<a@b>", "", "<", ">", "<<>>", "\r\n <x\r\n@y>", "(c) <a@b> (d)", "\x00<\xff>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := MessageIDHash(s)
		id := NormalizeMessageID(s)
		if (h == "") != (id == "") {
			t.Fatalf("hash %q for identifier %q", h, id)
		}
		if h != "" && (len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "") {
			t.Fatalf("hash %q", h)
		}
		if strings.ContainsAny(id, " \t\r\n") {
			t.Fatalf("identifier %q keeps white space", id)
		}
	})
}
