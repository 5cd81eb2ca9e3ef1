package rules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bodgit/sevenzip"
	"github.com/ulikunitz/xz/lzma"
)

// errDict is a 7z or RAR member that asks for a decoding dictionary over
// maxDict: the decompressor would allocate it before reading a byte.
var errDict = errors.New("decoding dictionary exceeds limit")

// The LZMA and LZMA2 decompressors of sevenzip allocate the dictionary
// the archive declares (up to 4 GiB) before reading anything; these
// replace them with the same decoders (github.com/ulikunitz/xz/lzma)
// behind a check of the declared size. sevenzip only offers a
// process-wide registry, so the replacement is registered once.
func init() {
	sevenzip.RegisterDecompressor([]byte{0x03, 0x01, 0x01}, lzmaDecompressor)
	sevenzip.RegisterDecompressor([]byte{0x21}, lzma2Decompressor)
}

// readCloser pairs a decoder with the stream it reads.
type readCloser struct {
	io.Reader
	io.Closer
}

// lzmaDecompressor reads a 7z LZMA coder: properties are the LZMA header's
// first 5 bytes (lc/lp/pb, dictionary size), size the unpacked size.
func lzmaDecompressor(p []byte, size uint64, rs []io.ReadCloser) (io.ReadCloser, error) {
	if len(rs) != 1 || len(p) != 5 {
		return nil, errors.New("lzma: bad coder properties")
	}
	if d := binary.LittleEndian.Uint32(p[1:]); d > maxDict {
		return nil, fmt.Errorf("lzma: %w (%d bytes)", errDict, d)
	}
	h := binary.LittleEndian.AppendUint64(bytes.Clone(p), size)
	lr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(h), rs[0]))
	if err != nil {
		return nil, fmt.Errorf("lzma: %w", err)
	}
	return readCloser{lr, rs[0]}, nil
}

// lzma2Decompressor reads a 7z LZMA2 coder: one property byte, the
// dictionary size code (as Lzma2Dec.c decodes it).
func lzma2Decompressor(p []byte, _ uint64, rs []io.ReadCloser) (io.ReadCloser, error) {
	if len(rs) != 1 || len(p) != 1 || p[0] > 40 {
		return nil, errors.New("lzma2: bad coder properties")
	}
	d := (2 | int64(p[0]&1)) << (p[0]/2 + 11)
	if d > maxDict {
		return nil, fmt.Errorf("lzma2: %w (%d bytes)", errDict, d)
	}
	c := lzma.Reader2Config{DictCap: int(d)}
	lr, err := c.NewReader2(rs[0])
	if err != nil {
		return nil, fmt.Errorf("lzma2: %w", err)
	}
	return readCloser{lr, rs[0]}, nil
}
