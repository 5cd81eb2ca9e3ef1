package rules

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxMembers bounds the archive members inspected per message; a zip
// whose directory claims more is not parsed at all (its directory alone
// would cost memory).
const maxMembers = 10000

// readChunk is the most a budgetReader reads between two deadline checks.
const readChunk = 64 << 10

// errUnpackLimit stops every read once the message's unpack budget is spent.
var errUnpackLimit = errors.New("archive exceeds unpack limit")

// file is one file found in a message: a MIME leaf or an archive member.
type file struct {
	// Where names it for reasons: "part 2 (a.zip) › dir/setup.exe".
	Where string
	// Exts are the name extensions and the detected type's extensions.
	Exts map[string]bool
	// Desc is the detected type, "" when the content said nothing.
	Desc string
	// Opaque says why the content could not be inspected ("encrypted",
	// "compression method 14"); "" when it was.
	Opaque string
}

// inspector finds every file of one message, opening archives within the
// unpack budget and depth.
type inspector struct {
	ctx      context.Context
	budget   int64 // decompressed bytes still allowed
	maxDepth int
	bufCap   int64 // largest nested archive held in memory
	members  int
	files    []file
	problems []string // malformed reasons
	notes    []string // problems in alternative readings (Part.Alternative)
	// oneNoteExec describes executables found in OneNote sections.
	oneNoteExec []string
	seen        map[string]bool
	// emit, when set, gets the whole content of every file (members are
	// read in full within the budget, not only what detection needs):
	// EachFile's callback.
	emit func(where string, data []byte)
}

func (in *inspector) problem(reason string) {
	if in.seen == nil {
		in.seen = map[string]bool{}
	}
	if !in.seen[reason] {
		in.seen[reason] = true
		in.problems = append(in.problems, reason)
	}
}

// budgetReader charges every byte read from a decompressor to the budget,
// and stops at the scan's deadline.
type budgetReader struct {
	r  io.Reader
	in *inspector
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if err := b.in.ctx.Err(); err != nil {
		return 0, err
	}
	if b.in.budget <= 0 {
		return 0, errUnpackLimit
	}
	if int64(len(p)) > b.in.budget {
		p = p[:b.in.budget]
	}
	// A decompressor fills all of p in one call: smaller reads let the
	// deadline stop a highly compressed member early.
	if len(p) > readChunk {
		p = p[:readChunk]
	}
	n, err := b.r.Read(p)
	b.in.budget -= int64(n)
	return n, err
}

// inspect records the file named by names with content data (complete, in
// memory) or r (a stream of size bytes, -1 if unknown: only what detection
// needs is read). depth is the archive nesting of the file (0 for a MIME
// part).
func (in *inspector) inspect(where string, names []string, data []byte, r io.Reader, size int64, depth int) {
	if in.ctx.Err() != nil {
		return
	}
	if in.emit != nil {
		if data == nil {
			var err error
			if data, err = in.readAll(r, size); err != nil {
				in.readError(where, err)
				return
			}
		}
		in.emit(where, data)
	}
	f := file{Where: where, Exts: map[string]bool{}}
	for _, n := range names {
		for _, e := range nameExts(n) {
			f.Exts[e] = true
		}
	}
	prefix := data
	if data == nil {
		buf := make([]byte, sniffLen)
		n, err := io.ReadFull(r, buf)
		prefix = buf[:n]
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			in.readError(where, err)
		}
	}
	t, ok := Detect(prefix)
	if ok {
		f.Desc = t.Desc
		for _, e := range t.Exts {
			f.Exts[e] = true
		}
	}
	idx := len(in.files)
	in.files = append(in.files, f)
	if !ok || !t.opens() {
		return
	}
	if depth >= in.maxDepth && !t.document() {
		in.problem(fmt.Sprintf("archive nesting exceeds limit (%d) at %s", in.maxDepth, where))
		return
	}
	inner := func() io.Reader {
		if data != nil {
			return bytes.NewReader(data)
		}
		return io.MultiReader(bytes.NewReader(prefix), r)
	}
	// whole reads a streamed archive into memory (zip and RAR need it).
	whole := func() bool {
		if data != nil {
			return true
		}
		var err error
		if data, err = in.readAll(inner(), size); err != nil {
			in.readError(where, err)
			return false
		}
		return true
	}
	// Streams are read as they come; the other formats need random
	// access and are read whole into memory first.
	switch t.Exts[0] {
	case "gz":
		zr, err := gzip.NewReader(inner())
		if err != nil {
			in.problem(fmt.Sprintf("undecodable gzip data at %s", where))
			return
		}
		name := strings.TrimSuffix(strings.TrimSuffix(firstName(names), ".gz"), ".tgz")
		in.inspect(where+" › "+name, []string{name}, nil, &budgetReader{zr, in}, -1, depth+1)
		return
	case "tar":
		in.tar(where, inner(), depth+1)
		return
	}
	if !whole() {
		return
	}
	switch t.Exts[0] {
	case "zip":
		in.zip(idx, data, depth+1)
	case "img":
		in.fat(idx, data, depth)
	case "tnef":
		in.tnef(idx, data, depth)
	case "one":
		in.oneNote(idx, data, depth)
	case "iso":
		in.iso(idx, data, depth)
	case "pdf":
		in.pdf(idx, data, depth)
	case "rar":
		in.rar(idx, data)
		in.guard(where, "RAR", func() { in.rarUnpack(where, data, depth+1) })
	case "7z":
		in.guard(where, "7z", func() { in.sevenZip(idx, data, depth+1) })
	}
}

// opens reports whether mailtower looks inside this type.
func (t fileType) opens() bool {
	switch t.Exts[0] {
	case "zip", "gz", "tar", "rar", "7z", "pdf", "iso", "one", "tnef", "img":
		return true
	}
	return false
}

// document reports a type that is read for what it does (active content)
// even past the nesting limit; only its embedded files are bound by it.
func (t fileType) document() bool {
	return t.Exts[0] == "pdf"
}

// guard runs a third-party archive reader: a panic in it (hostile input
// it did not expect) is a malformed finding, never a crash or clean.
func (in *inspector) guard(where, kind string, read func()) {
	defer func() {
		if r := recover(); r != nil {
			in.problem(fmt.Sprintf("undecodable %s archive at %s: reader failed: %v", kind, where, r))
		}
	}()
	read()
}

func (in *inspector) readError(where string, err error) {
	if errors.Is(err, errUnpackLimit) {
		in.problem(errUnpackLimit.Error())
		return
	}
	in.problem(fmt.Sprintf("undecodable archive content at %s: %v", where, err))
}

// readAll reads a nested archive into memory, within the budget and
// bufCap, in one allocation when its size is known (archive/zip holds a
// member to its declared size, so the hint is binding there).
func (in *inspector) readAll(r io.Reader, size int64) ([]byte, error) {
	if size > in.bufCap {
		return nil, errUnpackLimit
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, in.bufCap+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > in.bufCap {
		return nil, errUnpackLimit
	}
	return buf.Bytes(), nil
}

// tar inspects the regular files of a tar stream.
func (in *inspector) tar(where string, r io.Reader, depth int) {
	tr := tar.NewReader(r)
	for in.ctx.Err() == nil {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			in.readError(where, err)
			return
		}
		if !in.countMember() {
			return
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		in.inspect(where+" › "+cleanName(h.Name), []string{h.Name}, nil, tr, h.Size, depth)
	}
}

func firstName(names []string) string {
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// cleanName makes an archive member name safe and short for a reason.
func cleanName(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// ctxReaderAt stops a reader library (7z, RAR) at the scan's deadline:
// decompression needs more input every few kilobytes, so a cancelled scan
// stops soon even inside one library call.
type ctxReaderAt struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

func (c *ctxReaderAt) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
