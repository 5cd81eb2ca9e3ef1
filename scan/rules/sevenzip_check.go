package rules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// github.com/bodgit/sevenzip allocates the arrays a 7z header declares
// (files, folders, streams, CRCs: counts up to 2^32) before it has read
// what they describe, inside one uninterruptible NewReader call; a header
// of a few bytes could ask for hundreds of gigabytes. check7z walks the
// header first, as 7zFormat.txt (7-Zip's doc/7zFormat.txt) defines it,
// and refuses counts past the members limit, so the library only ever
// sees headers whose allocations are bounded.

var (
	errSevenZipHeader = errors.New("7z: bad header")
	// errSevenZipEncryptedHeader is an encrypted file list (7z -mhe).
	errSevenZipEncryptedHeader = errors.New("7z: encrypted header")
)

// 7z property ids (7zFormat.txt "Property IDs").
const (
	szEnd            = 0x00
	szHeader         = 0x01
	szArchiveProps   = 0x02
	szAdditional     = 0x03
	szMainStreams    = 0x04
	szFilesInfo      = 0x05
	szPackInfo       = 0x06
	szUnpackInfo     = 0x07
	szSubStreams     = 0x08
	szSize           = 0x09
	szCRC            = 0x0a
	szFolder         = 0x0b
	szCodersUnpack   = 0x0c
	szNumUnpackStrm  = 0x0d
	szEncodedHeader  = 0x17
	szMaxCoders      = 64
	szMaxHeaderBytes = 16 << 20 // decoded (encoded-header) size accepted
)

// szReader reads 7z header fields from a byte slice.
type szReader struct {
	b []byte
	i int
}

func (r *szReader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errSevenZipHeader
	}
	r.i++
	return r.b[r.i-1], nil
}

// number reads a 7z NUMBER: the leading one bits of the first byte count
// the extra little-endian bytes.
func (r *szReader) number() (uint64, error) {
	first, err := r.byte()
	if err != nil {
		return 0, err
	}
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i), nil
		}
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b) << (8 * i)
		mask >>= 1
	}
	return v, nil
}

// count reads a NUMBER that sizes an array: at most limit, and at most
// what the rest of the header could describe at one bit per element.
func (r *szReader) count(limit uint64) (int, error) {
	n, err := r.number()
	if err != nil {
		return 0, err
	}
	if n > limit || n > uint64(8*(len(r.b)-r.i)+8) {
		return 0, fmt.Errorf("%w: count %d over limit", errSevenZipHeader, n)
	}
	return int(n), nil
}

func (r *szReader) skip(n uint64) error {
	if n > uint64(len(r.b)-r.i) {
		return errSevenZipHeader
	}
	r.i += int(n)
	return nil
}

func (r *szReader) numbers(n int) ([]uint64, error) {
	out := make([]uint64, n)
	for k := range out {
		v, err := r.number()
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// digests reads n optional CRCs and says which are defined.
func (r *szReader) digests(n int) ([]bool, error) {
	all, err := r.byte()
	if err != nil {
		return nil, err
	}
	def := make([]bool, n)
	var bits byte
	for k := range def {
		if all != 0 {
			def[k] = true
			continue
		}
		if k%8 == 0 {
			if bits, err = r.byte(); err != nil {
				return nil, err
			}
		}
		def[k] = bits&(0x80>>(k%8)) != 0
	}
	for _, d := range def {
		if d {
			if err := r.skip(4); err != nil {
				return nil, err
			}
		}
	}
	return def, nil
}

// check7z validates the header of a 7z archive held in memory. It returns
// errSevenZipEncryptedHeader for an encrypted file list.
func check7z(data []byte) error {
	if len(data) < 32 {
		return errSevenZipHeader
	}
	off := binary.LittleEndian.Uint64(data[12:])
	size := binary.LittleEndian.Uint64(data[20:])
	rest := uint64(len(data) - 32)
	if off > rest || size > rest-off {
		return fmt.Errorf("%w: next header outside the archive", errSevenZipHeader)
	}
	if size == 0 {
		return nil // empty archive
	}
	hdr := data[32+off : 32+off+size]
	if hdr[0] == szEncodedHeader {
		r := &szReader{b: hdr, i: 1}
		s, err := r.streams(false)
		if err != nil {
			return err
		}
		if hdr, err = decodeHeader(data, s); err != nil {
			return err
		}
	}
	r := &szReader{b: hdr}
	return r.header()
}

// decodeHeader unpacks an encoded header: one folder of one LZMA or LZMA2
// coder, as 7-Zip writes it (an AES coder means an encrypted file list).
func decodeHeader(data []byte, s *szStreams) ([]byte, error) {
	for _, f := range s.folders {
		for _, c := range f {
			if bytes.Equal(c.id, []byte{0x06, 0xf1, 0x07, 0x01}) {
				return nil, errSevenZipEncryptedHeader
			}
		}
	}
	if len(s.folders) != 1 || len(s.folders[0]) != 1 || len(s.packSizes) < 1 || len(s.unpack[0]) != 1 {
		return nil, fmt.Errorf("%w: unsupported encoded header", errSevenZipHeader)
	}
	c, usize := s.folders[0][0], s.unpack[0][0]
	start, psize := uint64(32)+s.packPos, s.packSizes[0]
	if start > uint64(len(data)) || psize > uint64(len(data))-start || usize > szMaxHeaderBytes {
		return nil, fmt.Errorf("%w: encoded header outside the archive or too large", errSevenZipHeader)
	}
	packed := io.NopCloser(bytes.NewReader(data[start : start+psize]))
	var rc io.ReadCloser
	var err error
	switch {
	case bytes.Equal(c.id, []byte{0x03, 0x01, 0x01}):
		rc, err = lzmaDecompressor(c.props, usize, []io.ReadCloser{packed})
	case bytes.Equal(c.id, []byte{0x21}):
		rc, err = lzma2Decompressor(c.props, usize, []io.ReadCloser{packed})
	default:
		return nil, fmt.Errorf("%w: encoded header in coder %x", errSevenZipHeader, c.id)
	}
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(rc, int64(usize)))
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("%w: encoded header: %v", errSevenZipHeader, err)
	}
	return out, nil
}

// header walks a plain Header.
func (r *szReader) header() error {
	if id, err := r.byte(); err != nil || id != szHeader {
		return fmt.Errorf("%w: no header", errSevenZipHeader)
	}
	id, err := r.byte()
	if id == szArchiveProps && err == nil {
		if err := r.properties(); err != nil {
			return err
		}
		id, err = r.byte()
	}
	if id == szAdditional && err == nil {
		return fmt.Errorf("%w: additional streams", errSevenZipHeader)
	}
	if id == szMainStreams && err == nil {
		s, err := r.streams(true)
		if err != nil {
			return err
		}
		if err := checkCoders(s.folders); err != nil {
			return err
		}
		if id, err = r.byte(); err != nil {
			return err
		}
	}
	if id == szFilesInfo && err == nil {
		if _, err := r.count(maxMembers); err != nil {
			return err
		}
		if err := r.properties(); err != nil {
			return err
		}
		id, err = r.byte()
	}
	if err != nil || id != szEnd {
		return fmt.Errorf("%w: unexpected property %#x", errSevenZipHeader, id)
	}
	return nil
}

// properties skips (type, size, data) records up to a zero type.
func (r *szReader) properties() error {
	for n := 0; n <= maxMembers; n++ {
		typ, err := r.number()
		if err != nil || typ == szEnd {
			return err
		}
		size, err := r.number()
		if err != nil {
			return err
		}
		if err := r.skip(size); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: too many properties", errSevenZipHeader)
}
