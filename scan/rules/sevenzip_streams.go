package rules

import "fmt"

// The StreamsInfo part of a 7z header (7zFormat.txt): pack sizes,
// folders of coders, substreams. Walked by check7z before the reader
// library allocates what it declares.

// szCoder is one coder of a folder.
type szCoder struct {
	id, props []byte
	in, out   int
}

// szStreams is what check7z needs of a StreamsInfo.
type szStreams struct {
	packPos   uint64
	packSizes []uint64
	folders   [][]szCoder
	unpack    [][]uint64 // per folder, per coder output
}

// until calls fn with each property id up to the end marker.
func (r *szReader) until(what string, fn func(id byte) (bool, error)) error {
	for {
		id, err := r.byte()
		if err != nil || id == szEnd {
			return err
		}
		ok, err := fn(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: unexpected property %#x in %s", errSevenZipHeader, id, what)
		}
	}
}

// streams walks a StreamsInfo up to its end marker.
func (r *szReader) streams(sub bool) (*szStreams, error) {
	s := &szStreams{}
	var folderCRC []bool
	err := r.until("streams", func(id byte) (bool, error) {
		var err error
		switch {
		case id == szPackInfo:
			err = r.packInfo(s)
		case id == szUnpackInfo:
			folderCRC, err = r.unpackInfo(s)
		case id == szSubStreams && sub:
			err = r.subStreams(s, folderCRC)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (r *szReader) packInfo(s *szStreams) error {
	var err error
	if s.packPos, err = r.number(); err != nil {
		return err
	}
	n, err := r.count(maxMembers)
	if err != nil {
		return err
	}
	return r.until("pack info", func(id byte) (bool, error) {
		var err error
		switch id {
		case szSize:
			s.packSizes, err = r.numbers(n)
		case szCRC:
			_, err = r.digests(n)
		default:
			return false, nil
		}
		return true, err
	})
}

func (r *szReader) unpackInfo(s *szStreams) ([]bool, error) {
	if id, err := r.byte(); err != nil || id != szFolder {
		return nil, fmt.Errorf("%w: no folder list", errSevenZipHeader)
	}
	n, err := r.count(maxMembers)
	if err != nil {
		return nil, err
	}
	if ext, err := r.byte(); err != nil || ext != 0 {
		return nil, fmt.Errorf("%w: external folders", errSevenZipHeader)
	}
	s.folders = make([][]szCoder, n)
	outs := make([]int, n)
	for k := range s.folders {
		if s.folders[k], outs[k], err = r.folder(); err != nil {
			return nil, err
		}
	}
	if id, err := r.byte(); err != nil || id != szCodersUnpack {
		return nil, fmt.Errorf("%w: no unpack sizes", errSevenZipHeader)
	}
	s.unpack = make([][]uint64, n)
	for k := range s.unpack {
		if s.unpack[k], err = r.numbers(outs[k]); err != nil {
			return nil, err
		}
	}
	var crc []bool
	err = r.until("unpack info", func(id byte) (bool, error) {
		if id != szCRC {
			return false, nil
		}
		var err error
		crc, err = r.digests(n)
		return true, err
	})
	return crc, err
}

// folder reads a Folder: its coders and the number of their outputs.
func (r *szReader) folder() ([]szCoder, int, error) {
	n, err := r.count(szMaxCoders)
	if err != nil || n == 0 {
		return nil, 0, errSevenZipHeader
	}
	coders := make([]szCoder, n)
	var ins, outs int
	for k := range coders {
		flag, err := r.byte()
		if err != nil || flag&0x80 != 0 {
			return nil, 0, errSevenZipHeader
		}
		c := &coders[k]
		start := r.i
		if err := r.skip(uint64(flag & 0x0f)); err != nil {
			return nil, 0, err
		}
		c.id, c.in, c.out = r.b[start:r.i], 1, 1
		if flag&0x10 != 0 {
			if c.in, err = r.count(szMaxCoders); err != nil {
				return nil, 0, err
			}
			if c.out, err = r.count(szMaxCoders); err != nil {
				return nil, 0, err
			}
		}
		if flag&0x20 != 0 {
			size, err := r.number()
			if err != nil {
				return nil, 0, err
			}
			start := r.i
			if err := r.skip(size); err != nil {
				return nil, 0, err
			}
			c.props = r.b[start:r.i]
		}
		ins, outs = ins+c.in, outs+c.out
	}
	if outs < 1 || ins < outs-1 {
		return nil, 0, errSevenZipHeader
	}
	if _, err := r.numbers(2 * (outs - 1)); err != nil { // bind pairs
		return nil, 0, err
	}
	if packed := ins - (outs - 1); packed > 1 {
		if _, err := r.numbers(packed); err != nil {
			return nil, 0, err
		}
	}
	return coders, outs, nil
}

func (r *szReader) subStreams(s *szStreams, folderCRC []bool) error {
	per := make([]int, len(s.folders))
	for k := range per {
		per[k] = 1
	}
	return r.until("substreams", func(id byte) (bool, error) {
		switch id {
		case szNumUnpackStrm:
			total := 0
			for k := range per {
				var err error
				if per[k], err = r.count(maxMembers); err != nil {
					return true, err
				}
				if total += per[k]; total > maxMembers {
					return true, fmt.Errorf("%w: streams over limit", errSevenZipHeader)
				}
			}
		case szSize:
			for _, n := range per {
				if n > 0 {
					if _, err := r.numbers(n - 1); err != nil {
						return true, err
					}
				}
			}
		case szCRC:
			unknown := 0
			for k, n := range per {
				if n != 1 || k >= len(folderCRC) || !folderCRC[k] {
					unknown += n
				}
			}
			_, err := r.digests(unknown)
			return true, err
		default:
			return false, nil
		}
		return true, nil
	})
}
