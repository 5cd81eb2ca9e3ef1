package maillog

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// catchUp reads the rest of the file the stored position belongs to,
// which was rotated away while the follower was not running: a sibling
// of Path (PATH.1, PATH-20261205, PATH.20261205-101500, with or without
// .gz) with the stored inode, or, compressed, with the stored first
// line. Without one, the lines after the position are lost: said in the
// log.
func (f *Follower) catchUp(ctx context.Context, pos Position) error {
	src, name, err := findRotated(f.Path, pos)
	if err != nil {
		return fmt.Errorf("log follower: %w", err)
	}
	if src == nil {
		f.Log.Warn("mail log was rotated while not followed and the old file is not found: its last lines are not in the history",
			"file", f.Path, "offset", pos.Offset)
		return nil
	}
	defer src.c.Close()
	f.Log.Info("catching up a rotated mail log", "file", name, "offset", pos.Offset)
	if _, err := io.CopyN(io.Discard, src.r, pos.Offset); err != nil {
		return fmt.Errorf("log follower: skip to %d in %s: %w", pos.Offset, name, err)
	}
	return f.readToEnd(ctx, src)
}

// findRotated looks next to path for the file pos was taken in.
func findRotated(path string, pos Position) (*source, string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", err
	}
	for _, e := range entries {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || e.IsDir() {
			continue
		}
		full := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".gz") {
			if pos.Head == "" {
				continue
			}
			if src := openGzipWithHead(full, pos); src != nil {
				return src, full, nil
			}
			continue
		}
		file, ino, err := openIno(full)
		if err != nil {
			continue
		}
		if ino == pos.Inode || (pos.Head != "" && firstLine(file) == pos.Head) {
			return &source{r: file, c: file, pos: pos}, full, nil
		}
		file.Close()
	}
	return nil, "", nil
}

// openGzipWithHead opens a compressed rotated file whose first line is
// pos.Head, positioned at its start.
func openGzipWithHead(name string, pos Position) *source {
	file, err := os.Open(name)
	if err != nil {
		return nil
	}
	zr, err := gzip.NewReader(file)
	if err == nil {
		line, _ := bufio.NewReaderSize(zr, headLen+16).ReadSlice('\n')
		line = []byte(strings.TrimSuffix(string(line), "\n"))
		if head(line) == pos.Head {
			if _, err := file.Seek(0, io.SeekStart); err == nil {
				if zr, err = gzip.NewReader(file); err == nil {
					return &source{r: zr, c: file, pos: pos}
				}
			}
		}
	}
	file.Close()
	return nil
}
