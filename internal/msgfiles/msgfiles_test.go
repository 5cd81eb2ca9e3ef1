package msgfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func collect(t *testing.T, paths []string, stdin string) (names, bodies []string) {
	t.Helper()
	err := Walk(paths, strings.NewReader(stdin), func(m Message) error {
		if m.Err != nil {
			names = append(names, "ERR "+m.Name)
			return nil
		}
		names = append(names, m.Name)
		bodies = append(bodies, string(m.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names, bodies
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("a/one.eml", "Subject: one\n\nbody\n")
	mbox := write("a/b/box.mbox", "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nline\n>From quoted\nFrom inside a paragraph\n\n"+
		"From c@d Mon Jan  1 00:00:00 2024\nSubject: y\n\nbody2\n")
	single := write("single.txt", "From a@b Thu Aug 22 2002\nSubject: s\n\nonly\n")
	crlf := write("crlf.mbox", "From a@b x\r\nSubject: 1\r\n\r\nb1\r\n\r\nFrom c@d y\r\nSubject: 2\r\n\r\nb2\r\n")

	linkDir := filepath.Join(dir, "links")
	os.MkdirAll(linkDir, 0o755)
	if err := os.Symlink(one, filepath.Join(linkDir, "l.eml")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(dir, filepath.Join(linkDir, "loop"))
	cases := []struct {
		name   string
		paths  []string
		stdin  string
		names  []string
		bodies []string
	}{
		{"file", []string{one}, "", []string{one}, []string{"Subject: one\n\nbody\n"}},
		{"mbox", []string{mbox}, "", []string{mbox + ":1", mbox + ":2"},
			[]string{"Subject: x\n\nline\nFrom quoted\nFrom inside a paragraph\n", "Subject: y\n\nbody2\n"}},
		{"single-message mbox keeps the plain name", []string{single}, "", []string{single}, []string{"Subject: s\n\nonly\n"}},
		{"crlf mbox", []string{crlf}, "", []string{crlf + ":1", crlf + ":2"}, []string{"Subject: 1\r\n\r\nb1\r\n", "Subject: 2\r\n\r\nb2\r\n"}},
		{"directory recursive, sorted", []string{filepath.Join(dir, "a")}, "", []string{mbox + ":1", mbox + ":2", one}, nil},
		{"symlinked file read, symlinked dir not followed", []string{linkDir}, "", []string{filepath.Join(linkDir, "l.eml")}, nil},
		{"stdin", []string{"-"}, "Subject: in\n\nx\n", []string{"-"}, []string{"Subject: in\n\nx\n"}},
		{"missing file is reported, walk goes on", []string{filepath.Join(dir, "nope"), one}, "", []string{"ERR " + filepath.Join(dir, "nope"), one}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			names, bodies := collect(t, c.paths, c.stdin)
			if !reflect.DeepEqual(names, c.names) {
				t.Errorf("names = %q, want %q", names, c.names)
			}
			if c.bodies != nil && !reflect.DeepEqual(bodies, c.bodies) {
				t.Errorf("bodies = %q, want %q", bodies, c.bodies)
			}
		})
	}
}

func TestEachKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := 0; i < 50; i++ {
		p := filepath.Join(dir, fmt.Sprintf("m%03d", i))
		os.WriteFile(p, []byte(fmt.Sprintf("Subject: %d\n\n", i)), 0o644)
		want = append(want, p)
	}
	var got []string
	err := Each([]string{dir}, nil, 4, func(m Message) int { return len(m.Data) }, func(m Message, n int) error {
		if n != len(m.Data) {
			t.Errorf("%s: result %d for %d bytes", m.Name, n, len(m.Data))
		}
		got = append(got, m.Name)
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Each: err %v, order %v", err, got)
	}
	// An emit error stops the walk and is returned.
	stopErr := fmt.Errorf("enough")
	n := 0
	err = Each([]string{dir}, nil, 4, func(m Message) int { return 0 }, func(Message, int) error {
		n++
		if n == 3 {
			return stopErr
		}
		return nil
	})
	if err != stopErr || n != 3 {
		t.Fatalf("Each after stop: err %v, emitted %d", err, n)
	}
}

// TestMboxSeparators reads mbox files whose separators other readers
// accept: a "From " line right after the last line of the previous
// message (mbox files written with Content-Length headers, as in MimeKit's
// test data), and a file starting with a UTF-8 byte-order mark.
func TestMboxSeparators(t *testing.T) {
	cases := []struct {
		file     string
		subjects []string
		inBody   string // a body line that must stay in the first message
	}{
		{"testdata/content-length.mbox", []string{"one", "two", "three"}, "From the top of the body: not a separator\n"},
		{"testdata/bom.mbox", []string{"bom one", "bom two"}, "first\n"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			names, bodies := collect(t, []string{c.file}, "")
			if len(names) != len(c.subjects) {
				t.Fatalf("%d messages %q, want %d", len(names), names, len(c.subjects))
			}
			for i, b := range bodies {
				if !strings.Contains(b, "Subject: "+c.subjects[i]+"\n") {
					t.Errorf("message %d = %q, want subject %q", i+1, b, c.subjects[i])
				}
				if strings.HasPrefix(b, "From ") || strings.HasPrefix(b, "\xEF\xBB\xBF") {
					t.Errorf("message %d keeps its separator: %q", i+1, b)
				}
			}
			if !strings.Contains(bodies[0], c.inBody) {
				t.Errorf("first message lost %q: %q", c.inBody, bodies[0])
			}
		})
	}
}
