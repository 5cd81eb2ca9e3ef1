package migrateto

import (
	"bytes"
	"testing"
)

func TestConvert(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       any
		pgType   string
		want     any
		repaired bool
		err      bool
	}{
		{"int", int64(7), "bigint", int64(7), false, false},
		{"integral float to int", 3.0, "bigint", int64(3), false, false},
		{"fraction to int", 3.5, "bigint", nil, false, true},
		{"text to int", "42", "integer", int64(42), false, false},
		{"word to int", "x", "bigint", nil, false, true},
		{"int to float", int64(2), "double precision", 2.0, false, false},
		{"utf-8 text", "Grüße", "text", "Grüße", false, false},
		{"bytes to text", []byte("abc"), "text", "abc", false, false},
		{"bad byte mended", "a\xffb", "text", "a\uFFFDb", true, false},
		{"NUL removed", "a\x00b", "text", "ab", true, false},
		{"int to text", int64(5), "text", "5", false, false},
		{"text to bytea", "raw", "bytea", []byte("raw"), false, false},
		{"null", nil, "bigint", nil, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, repaired, err := convert(c.in, c.pgType)
			if (err != nil) != c.err {
				t.Fatalf("err = %v, want error %v", err, c.err)
			}
			if b, ok := got.([]byte); ok {
				if !bytes.Equal(b, c.want.([]byte)) {
					t.Errorf("got %q, want %q", b, c.want)
				}
			} else if got != c.want {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
			if repaired != c.repaired {
				t.Errorf("repaired = %v, want %v", repaired, c.repaired)
			}
		})
	}
}

func TestIsFullText(t *testing.T) {
	virtual := map[string]bool{"quarantine_fts": true}
	for name, want := range map[string]bool{
		"quarantine_fts": true, "quarantine_fts_segdir": true, "quarantine_messages": false, "quarantine_ftsx": false,
	} {
		if got := isFullText(name, virtual); got != want {
			t.Errorf("isFullText(%s) = %v, want %v", name, got, want)
		}
	}
}
