package rules

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// make7z wraps a plain 7z header (no packed streams) in a signature header
// with valid CRCs.
func make7z(header []byte) []byte {
	b := []byte("7z\xbc\xaf\x27\x1c\x00\x04")
	start := binary.LittleEndian.AppendUint64(nil, 0)
	start = binary.LittleEndian.AppendUint64(start, uint64(len(header)))
	start = binary.LittleEndian.AppendUint32(start, crc32.ChecksumIEEE(header))
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(start))
	return append(append(b, start...), header...)
}

// A header of a few bytes that declares 2^32-1 files: the reader library
// would allocate them all (hundreds of gigabytes) before reading more.
func TestSevenZipHugeCountRefused(t *testing.T) {
	data := make7z([]byte{szHeader, szFilesInfo, 0xf0, 0xff, 0xff, 0xff, 0xff, szEnd, szEnd})
	if err := check7z(data); !errors.Is(err, errSevenZipHeader) {
		t.Fatalf("check7z = %v, want errSevenZipHeader", err)
	}
	in := &inspector{ctx: context.Background(), budget: 1 << 20, maxDepth: 3, bufCap: 1 << 20}
	in.inspect("part 2 (a.7z)", []string{"a.7z"}, data, nil, int64(len(data)), 0)
	if len(in.problems) != 1 || !strings.Contains(in.problems[0], "undecodable 7z archive") {
		t.Fatalf("problems = %q, want one undecodable 7z", in.problems)
	}
}

// The 7-Zip made test archives (plain and encoded headers) pass the check.
func TestSevenZipCheckAcceptsRealArchives(t *testing.T) {
	for name, want := range map[string]error{"plain.7z": nil, "enc.7z": nil, "enchdr.7z": errSevenZipEncryptedHeader, "big.7z": nil, "many.7z": nil} {
		data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := check7z(data); !errors.Is(err, want) && err != want {
			t.Errorf("%s: check7z = %v, want %v", name, err, want)
		}
	}
}

// countCtx is cancelled after its Err method was asked n times.
type countCtx struct {
	context.Context
	n int
}

func (c *countCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// A scan whose deadline passes while a 7z member is unpacked stops
// unpacking: the member (32 MiB of zeros in a 5 KB archive) is not read
// to its end (the antivirus engines read members whole).
func TestSevenZipStopsAtDeadline(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "formats", "big.7z"))
	if err != nil {
		t.Fatal(err)
	}
	const budget = 1 << 30
	in := &inspector{ctx: &countCtx{Context: context.Background(), n: 20}, budget: budget, maxDepth: 3, bufCap: budget}
	in.emit = func(string, []byte) {} // members are read whole, as for the antivirus engines
	in.inspect("part 2 (big.7z)", []string{"big.7z"}, data, nil, int64(len(data)), 0)
	if used := budget - in.budget; used >= 32<<20 {
		t.Fatalf("unpacked %d bytes after the deadline", used)
	}
}

// PPMd allocates the model memory the archive sets (up to 4 GiB) when
// its reader is made: past the dictionary limit the archive is refused
// before; within it, it is unpacked.
func TestSevenZipPPMdMemory(t *testing.T) {
	small, err := os.ReadFile(filepath.Join("testdata", "formats", "ppmd.7z"))
	if err != nil {
		t.Fatal(err)
	}
	// The same archive with the model memory set to 2 GiB.
	big := bytes.Clone(small)
	props := []byte{0x03, 0x04, 0x01, 0x05, 0x06, 0x00, 0x00, 0x01, 0x00}
	i := bytes.Index(big, props)
	if i < 0 {
		t.Fatal("PPMd coder properties not found")
	}
	big[i+8] = 0x80
	off, size := binary.LittleEndian.Uint64(big[12:]), binary.LittleEndian.Uint64(big[20:])
	binary.LittleEndian.PutUint32(big[28:], crc32.ChecksumIEEE(big[32+off:32+off+size]))
	binary.LittleEndian.PutUint32(big[8:], crc32.ChecksumIEEE(big[12:32]))
	for name, tc := range map[string]struct {
		data    []byte
		wantErr bool
	}{"2 GiB": {big, true}, "64 KiB": {small, false}} {
		if err := check7z(tc.data); errors.Is(err, errDict) != tc.wantErr {
			t.Errorf("%s: check7z = %v, want limit error %v", name, err, tc.wantErr)
		}
		in := &inspector{ctx: context.Background(), budget: 1 << 20, maxDepth: 3, bufCap: 1 << 20}
		in.inspect("part 2 (a.7z)", []string{"a.7z"}, tc.data, nil, int64(len(tc.data)), 0)
		if got := len(in.problems) > 0; got != tc.wantErr || !tc.wantErr && len(in.files) != 2 {
			t.Errorf("%s: files %d, problems %q", name, len(in.files), in.problems)
		}
	}
}

// The Zstandard coder reads a stream, and refuses a window past maxDict
// (the library default would allow 512 MiB). The frames are one raw
// block "hello" after a header whose window descriptor sets the size.
func TestSevenZipZstdWindow(t *testing.T) {
	for name, tc := range map[string]struct {
		descriptor byte // exponent << 3: window 2^(10+exponent)
		wantErr    bool
	}{"1 MiB window": {10 << 3, false}, "256 MiB window": {18 << 3, true}} {
		frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, tc.descriptor, 5<<3 | 1, 0, 0, 'h', 'e', 'l', 'l', 'o'}
		rc, err := zstdDecompressor(nil, 0, []io.ReadCloser{io.NopCloser(bytes.NewReader(frame))})
		var out []byte
		if err == nil {
			out, err = io.ReadAll(rc)
			rc.Close()
		}
		if (err != nil) != tc.wantErr || !tc.wantErr && string(out) != "hello" {
			t.Errorf("%s: %q, error %v; want error %v", name, out, err, tc.wantErr)
		}
	}
}
