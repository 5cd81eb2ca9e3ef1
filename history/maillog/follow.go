package maillog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// Position is where the follower is in a log file: the file's inode, the
// bytes of complete lines consumed, and the file's first line (up to
// headLen bytes), which recognises the file after rotation renamed or
// compressed it.
type Position struct {
	Inode  uint64
	Offset int64
	Head   string
}

// headLen bounds Position.Head.
const headLen = 200

// Batch is what the follower hands to its Sink at once: the events of
// the lines read since the last batch and the position after them.
type Batch struct {
	Events []Event
	Pos    Position
	// Lines is the number of lines read (events or not).
	Lines int
}

// Sink keeps the position and takes the events. Commit must store the
// events and the position atomically (one database transaction): then a
// crash at any point neither loses nor repeats a line.
type Sink interface {
	// Position returns the stored position; ok is false when none is.
	Position(ctx context.Context) (pos Position, ok bool, err error)
	Commit(ctx context.Context, b Batch) error
}

// Follower reads Path from the Sink's position to its end, and on as it
// grows. Rotation (Path renamed and created anew, as postlogd's `postfix
// logrotate` and logrotate(8) do) is noticed by the inode: the old file
// is read to its end first, then the new one from its start. Truncation
// in place (copytruncate) starts over at 0. A rotation while the
// follower was not running is caught up from the rotated file, found
// next to Path by its inode, or, compressed (.gz), by its first line.
type Follower struct {
	Path string
	Sink Sink
	// Poll is how often the end of the file is checked for more (default
	// 250 ms).
	Poll time.Duration
	// BatchLines bounds the lines of one Batch (default 2000).
	BatchLines int
	Log        *slog.Logger
	// Now is the clock for the year of syslog time stamps (default time.Now).
	Now func() time.Time
}

// source is an open log file (or a rotated one being caught up).
type source struct {
	r       io.Reader
	c       io.Closer
	pos     Position
	pending []byte
}

// Run follows the file until ctx ends (then it returns nil) or a Sink
// call fails.
func (f *Follower) Run(ctx context.Context) error {
	f.defaults()
	pos, ok, err := f.Sink.Position(ctx)
	if err != nil {
		return fmt.Errorf("log follower: %w", err)
	}
	src, err := f.start(ctx, pos, ok)
	if src == nil || err != nil {
		return err
	}
	defer func() { src.c.Close() }()
	t := time.NewTicker(f.Poll)
	defer t.Stop()
	for {
		if err := f.readToEnd(ctx, src); err != nil {
			return err
		}
		next, err := f.rotated(ctx, src)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if next != nil {
			src.c.Close()
			src = next
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (f *Follower) defaults() {
	if f.Poll <= 0 {
		f.Poll = 250 * time.Millisecond
	}
	if f.BatchLines <= 0 {
		f.BatchLines = 2000
	}
	if f.Log == nil {
		f.Log = slog.Default()
	}
	if f.Now == nil {
		f.Now = time.Now
	}
}

// start opens the file at the stored position, catching up a file
// rotated away meanwhile first. It waits for Path to exist.
func (f *Follower) start(ctx context.Context, pos Position, stored bool) (*source, error) {
	for {
		file, ino, err := openIno(f.Path)
		if err == nil {
			if !stored {
				return &source{r: file, c: file, pos: Position{Inode: ino}}, nil
			}
			if ino == pos.Inode {
				return f.resume(ctx, file, pos)
			}
			file.Close()
			if err := f.catchUp(ctx, pos); err != nil {
				return nil, err
			}
			return f.start(ctx, Position{}, false)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("log follower: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(f.Poll):
		}
	}
}

// resume continues file (the stored inode) at pos. When it is shorter
// than pos (truncated in place) or begins differently (a new file got
// the old one's inode number), the old content is caught up from a
// rotated copy first and file is read from its start.
func (f *Follower) resume(ctx context.Context, file *os.File, pos Position) (*source, error) {
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("log follower: %w", err)
	}
	if st.Size() < pos.Offset || (pos.Head != "" && firstLine(file) != pos.Head) {
		if err := f.catchUp(ctx, pos); err != nil {
			file.Close()
			return nil, err
		}
		f.Log.Warn("mail log truncated or replaced; reading it from its start", "file", f.Path)
		return &source{r: file, c: file, pos: Position{Inode: pos.Inode}}, seekErr(file, 0)
	}
	return &source{r: file, c: file, pos: pos}, seekErr(file, pos.Offset)
}

func seekErr(file *os.File, off int64) error {
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("log follower: %w", err)
	}
	return nil
}

// readToEnd reads the complete lines available, committing a batch
// every BatchLines lines and at the end.
func (f *Follower) readToEnd(ctx context.Context, src *source) error {
	buf := make([]byte, 64<<10)
	var b Batch
	flush := func() error {
		if b.Lines == 0 {
			return nil
		}
		b.Pos = src.pos
		if err := f.Sink.Commit(ctx, b); err != nil {
			if ctx.Err() != nil {
				return nil // stopped: the batch is read again next time
			}
			return fmt.Errorf("log follower: %w", err)
		}
		b = Batch{}
		return nil
	}
	for ctx.Err() == nil {
		n, err := src.r.Read(buf)
		src.pending = append(src.pending, buf[:n]...)
		for {
			i := bytes.IndexByte(src.pending, '\n')
			if i < 0 && len(src.pending) > maxLine {
				i = len(src.pending) - 1 // an endless line: skip what we have
			}
			if i < 0 {
				break
			}
			line := src.pending[:i]
			if src.pos.Offset == 0 {
				src.pos.Head = head(line)
			}
			src.pos.Offset += int64(i + 1)
			if ev, ok := Parse(string(line), f.Now()); ok {
				b.Events = append(b.Events, ev)
			}
			b.Lines++
			src.pending = src.pending[i+1:]
			if b.Lines >= f.BatchLines {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		src.pending = append([]byte(nil), src.pending...) // do not pin the consumed bytes
		if err == io.EOF || n == 0 && err == nil {
			break
		}
		if err != nil {
			return fmt.Errorf("log follower: read %s: %w", f.Path, err)
		}
	}
	if ctx.Err() != nil {
		return nil // uncommitted lines are read again next time
	}
	return flush()
}

// rotated checks Path at the end of src: when it names another file now,
// src is read to its end (the writer may have added lines before it
// switched) and the new file is returned from its start; when it is the
// same file, shorter than what was read, it starts over. nil: no change.
func (f *Follower) rotated(ctx context.Context, src *source) (*source, error) {
	st, err := os.Stat(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // renamed, not created again yet: keep reading the old one
	}
	if err != nil {
		return nil, fmt.Errorf("log follower: %w", err)
	}
	if ino := inode(st); ino != src.pos.Inode {
		if err := f.readToEnd(ctx, src); err != nil || ctx.Err() != nil {
			return nil, err
		}
		file, ino, err := openIno(f.Path)
		if err != nil {
			return nil, nil // gone again: try at the next poll
		}
		f.Log.Info("mail log rotated; reading the new file", "file", f.Path)
		next := &source{r: file, c: file, pos: Position{Inode: ino}}
		// Store the switch, so that a restart does not look for the old file.
		if err := f.Sink.Commit(ctx, Batch{Pos: next.pos}); err != nil {
			file.Close()
			return nil, fmt.Errorf("log follower: %w", err)
		}
		return next, nil
	}
	if file, ok := src.c.(*os.File); ok && st.Size() < src.pos.Offset+int64(len(src.pending)) {
		f.Log.Warn("mail log truncated; reading it from its start", "file", f.Path)
		src.pos, src.pending = Position{Inode: src.pos.Inode}, nil
		if err := seekErr(file, 0); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func openIno(path string) (*os.File, uint64, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, 0, err
	}
	return file, inode(st), nil
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

func head(line []byte) string {
	return string(line[:min(len(line), headLen)])
}

// firstLine reads the first line of file (up to headLen bytes) and
// leaves the offset where it was.
func firstLine(file *os.File) string {
	b := make([]byte, headLen)
	n, _ := file.ReadAt(b, 0)
	b = b[:n]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
