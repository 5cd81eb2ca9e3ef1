package milter

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

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
