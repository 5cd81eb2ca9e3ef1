package msgfiles

import (
	"bytes"
	"os"
	"testing"
)

// FuzzMbox splits arbitrary input: no panic, no message bytes the input
// did not hold, and at most one message per "From " line.
func FuzzMbox(f *testing.F) {
	for _, name := range []string{"testdata/content-length.mbox", "testdata/bom.mbox"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("From a\nSubject: x\n\nFrom b\nx\n>From c\nFrom d\nY: z\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		total, n := 0, 0
		err := readStream("in", bytes.NewReader(in), func(m Message) error {
			if m.Err != nil {
				t.Fatalf("error reading memory: %v", m.Err)
			}
			total += len(m.Data)
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if total > len(in) {
			t.Fatalf("%d message bytes from %d input bytes", total, len(in))
		}
		if froms := bytes.Count(in, []byte("From ")); n > max(froms, 1) {
			t.Fatalf("%d messages from %d \"From \" lines", n, froms)
		}
	})
}
