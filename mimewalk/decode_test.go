package mimewalk

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"strings"
	"testing"
)

func TestDecodeBase64(t *testing.T) {
	data := make([]byte, 10000)
	rand.New(rand.NewSource(1)).Read(data)
	enc := base64.StdEncoding.EncodeToString(data)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	tests := []struct {
		name   string
		in     string
		limit  int64
		want   []byte
		broken bool
		trunc  bool
	}{
		{"wrapped lines", lines.String(), 1 << 20, data, false, false},
		{"truncated at limit", lines.String(), 100, data[:100], false, true},
		{"white space inside lines", "aGVs bG8=\r\n", 100, []byte("hello"), false, false},
		{"garbage", "aGVs*bG8=", 100, []byte("hello"), true, false},
		{"data after padding", "aGk=\r\naGk=\r\n", 100, []byte("hihi"), true, false},
		{"url alphabet", "-_-_", 100, []byte{0xfb, 0xff, 0xbf}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := decodeBase64([]byte(tc.in), tc.limit)
			if !bytes.Equal(r.data, tc.want) || (r.broken != "") != tc.broken || r.truncated != tc.trunc {
				t.Errorf("got %q broken=%q truncated=%v; want %q broken=%v truncated=%v", r.data[:min(len(r.data), 20)], r.broken, r.truncated, tc.want[:min(len(tc.want), 20)], tc.broken, tc.trunc)
			}
		})
	}
}

// FuzzBase64 checks that the fast path and the lenient decoder agree.
func FuzzBase64(f *testing.F) {
	f.Add([]byte("aGVsbG8=\r\nd29ybGQ=\r\n"), int64(100))
	f.Add([]byte("QQ==QUJD"), int64(3))
	f.Fuzz(func(t *testing.T, in []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		fast, slow := decodeBase64(in, limit), decodeBase64Lenient(in, limit)
		if !bytes.Equal(fast.data, slow.data) || fast.truncated != slow.truncated || (fast.broken == "") != (slow.broken == "") {
			t.Fatalf("fast %q %v %q, lenient %q %v %q", fast.data, fast.truncated, fast.broken, slow.data, slow.truncated, slow.broken)
		}
	})
}
