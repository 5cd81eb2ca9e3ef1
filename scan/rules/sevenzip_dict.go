package rules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bodgit/sevenzip"
	"github.com/klauspost/compress/zstd"
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
	sevenzip.RegisterDecompressor(zstdCoder, zstdDecompressor)
}

// zstdCoder is the coder id of Zstandard in 7z archives.
var zstdCoder = []byte{0x04, 0xf7, 0x11, 0x01}

// zstdDecompressor replaces sevenzip's Zstandard reader, which uses the
// library defaults (a 512 MiB window, a goroutine per core): the window
// is capped like the LZMA dictionary and decoding is synchronous.
func zstdDecompressor(_ []byte, _ uint64, rs []io.ReadCloser) (io.ReadCloser, error) {
	if len(rs) != 1 {
		return nil, errors.New("zstd: bad coder streams")
	}
	d, err := zstd.NewReader(rs[0], zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxDict), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return zstdReadCloser{d, rs[0]}, nil
}

// zstdReadCloser closes the decoder and the stream it reads.
type zstdReadCloser struct {
	d *zstd.Decoder
	c io.Closer
}

func (z zstdReadCloser) Read(p []byte) (int, error) { return z.d.Read(p) }

func (z zstdReadCloser) Close() error {
	z.d.Close()
	return z.c.Close()
}

// ppmdCoder is the coder id of PPMd; its properties are the model order
// and the memory the model allocates up front.
var ppmdCoder = []byte{0x03, 0x04, 0x01}

// checkCoders refuses coders whose memory the archive sets past maxDict
// (PPMd: allocated by the reader library before anything is read).
func checkCoders(folders [][]szCoder) error {
	for _, f := range folders {
		for _, c := range f {
			if bytes.Equal(c.id, ppmdCoder) && len(c.props) >= 5 {
				if m := binary.LittleEndian.Uint32(c.props[1:]); m > maxDict {
					return fmt.Errorf("ppmd: %w (%d bytes)", errDict, m)
				}
			}
		}
	}
	return nil
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
