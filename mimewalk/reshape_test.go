package mimewalk

import "testing"

// TestPushedHeader: only a header section with MIME structure at the
// start of a text body is read as MIME again.
func TestPushedHeader(t *testing.T) {
	tests := []struct {
		name, body string
		want       bool
	}{
		{"cut by a line without colon", "X-Bad line\nContent-Type: multipart/mixed; boundary=b\n\n--b\n", true},
		{"after an inserted empty line", "\nContent-Transfer-Encoding: base64\n\nTVqQ\n", true},
		{"folded content type", "Content-Type: multipart/mixed;\n boundary=b\n\n--b\n", true},
		{"quoted forward without MIME fields", "From: a@example.net\nSubject: hi\n\ntext\n", false},
		{"text content type only", "Content-Type: text/plain\n\ntext\n", false},
		{"prose first", "Hello there,\nthis is\nnot a header\nContent-Type: multipart/mixed; boundary=b\n\n", false},
		{"no empty line after the fields", "Content-Type: multipart/mixed; boundary=b", false},
		{"continuation first", " Content-Type: multipart/mixed; boundary=b\n\n", false},
	}
	for _, tc := range tests {
		if _, got := pushedHeader([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
