package milter

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// PrepareSpool makes dir (mailtower's own, under data_dir) the place
// where message bodies are spooled, and removes what a crashed run left
// there. It is called once at start, before the milter listens.
//
// go-milter keeps a body in memory up to ServerOptions.MaxMemory and then
// writes it to os.CreateTemp("", "body-*"); v0.10.2 has no option for the
// directory, and os.TempDir reads $TMPDIR on every call, so TMPDIR is set
// for the process. Without this, bodies went to /tmp (often a tmpfs, so
// RAM) and stayed there after a crash. mailtower's own spool files
// ("msg-*") are unlinked at creation; a crash between creation and
// unlinking leaves one, removed here too.
func PrepareSpool(dir string) (removed int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("spool dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && (strings.HasPrefix(name, "body-") || strings.HasPrefix(name, "msg-")) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return removed, fmt.Errorf("spool dir: remove leftover: %w", err)
			}
			removed++
		}
	}
	if err := os.Setenv("TMPDIR", dir); err != nil {
		return removed, fmt.Errorf("spool dir: %w", err)
	}
	return removed, nil
}

// spooled is a message held for scanning: in memory when small, in a
// temporary file under the spool directory when large, so that memory use
// stays flat with message size. Both forms are io.ReaderAt, which lets
// every scanner read the message concurrently.
type spooled struct {
	mem  []byte
	file *os.File
	size int64
}

// spool copies r into memory up to memLimit bytes, or into a file in dir.
func spool(r io.Reader, memLimit int64, dir string) (*spooled, error) {
	buf := &bytes.Buffer{}
	n, err := io.CopyN(buf, r, memLimit+1)
	if err == io.EOF {
		return &spooled{mem: buf.Bytes(), size: n}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	f, err := os.CreateTemp(dir, "msg-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// Unlinked at once: the open descriptor keeps the data, and nothing
	// is left behind if the process dies.
	os.Remove(f.Name())
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	rest, err := io.Copy(f, r)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &spooled{file: f, size: n + rest}, nil
}

// ReadAt implements io.ReaderAt.
func (s *spooled) ReadAt(p []byte, off int64) (int, error) {
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	return bytes.NewReader(s.mem).ReadAt(p, off)
}

// Reader returns a fresh reader over the whole message.
func (s *spooled) Reader() io.Reader { return io.NewSectionReader(s, 0, s.size) }

// Close releases the spool file.
func (s *spooled) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}
