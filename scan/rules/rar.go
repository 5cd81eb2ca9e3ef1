package rules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// rarMember is one file listed in a RAR archive's headers.
type rarMember struct {
	name      string
	encrypted bool
}

var errRarFormat = errors.New("rar: bad header")

// rarList lists the member names of a RAR 4 or RAR 5 archive without
// unpacking anything (mailtower has no RAR decompressor): names are
// stored in clear unless the headers themselves are encrypted, which
// headersEncrypted reports.
func rarList(data []byte) (members []rarMember, headersEncrypted bool, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("Rar!\x1a\x07\x01\x00")):
		return rar5List(data[8:])
	case bytes.HasPrefix(data, []byte("Rar!\x1a\x07\x00")):
		return rar4List(data[7:])
	}
	return nil, false, errRarFormat
}

// vint reads a RAR 5 variable-length integer.
func vint(b []byte, i *int) (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if *i >= len(b) {
			return 0, errRarFormat
		}
		c := b[*i]
		*i++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errRarFormat
}

// rar5List walks RAR 5 blocks (RAR 5.0 archive format, "General archive
// layout"): CRC32, header size, then type, flags, extra and data sizes.
func rar5List(b []byte) ([]rarMember, bool, error) {
	var out []rarMember
	for pos := 0; pos < len(b) && len(out) <= maxMembers; {
		i := pos + 4 // CRC32
		size, err := vint(b, &i)
		if err != nil || size > uint64(len(b)) {
			return out, false, errRarFormat
		}
		start := i
		end := start + int(size)
		if end > len(b) {
			return out, false, errRarFormat
		}
		h := b[:end]
		typ, err1 := vint(h, &i)
		flags, err2 := vint(h, &i)
		var extra, dataSize uint64
		if flags&1 != 0 {
			extra, _ = vint(h, &i)
		}
		if flags&2 != 0 {
			dataSize, _ = vint(h, &i)
		}
		if err1 != nil || err2 != nil || dataSize > uint64(len(b)) || extra > size {
			return out, false, errRarFormat
		}
		switch typ {
		case 4: // archive encryption header: everything after it is encrypted
			return out, true, nil
		case 5: // end of archive
			return out, false, nil
		case 2: // file header
			fileFlags, _ := vint(h, &i)
			vint(h, &i) // unpacked size
			vint(h, &i) // attributes
			if fileFlags&2 != 0 {
				i += 4 // mtime
			}
			if fileFlags&4 != 0 {
				i += 4 // data CRC32
			}
			vint(h, &i) // compression information
			vint(h, &i) // host OS
			n, err := vint(h, &i)
			if err != nil || i+int(n) > end || n > 65535 {
				return out, false, errRarFormat
			}
			name := string(h[i : i+int(n)])
			// The extra area holds an encryption record for an encrypted file.
			enc := extra > 0 && rar5Encrypted(h[end-int(extra):end])
			out = append(out, rarMember{name: name, encrypted: enc})
		}
		pos = end + int(dataSize)
		if pos <= start {
			return out, false, errRarFormat
		}
	}
	return out, false, nil
}

// rar5Encrypted reads the extra records of a file header (each: size,
// type, data) for type 1, file encryption.
func rar5Encrypted(extra []byte) bool {
	for i := 0; i < len(extra); {
		size, err := vint(extra, &i)
		if err != nil || size == 0 || size > uint64(len(extra)-i) {
			return false
		}
		next := i + int(size)
		if typ, err := vint(extra, &i); err != nil || typ == 1 {
			return err == nil
		}
		i = next
	}
	return false
}

// rar4List walks RAR 1.5-4.x blocks (technote.txt): CRC16, type, flags,
// header size, [add size], file headers of type 0x74.
func rar4List(b []byte) ([]rarMember, bool, error) {
	var out []rarMember
	for pos := 0; pos+7 <= len(b) && len(out) <= maxMembers; {
		typ := b[pos+2]
		flags := binary.LittleEndian.Uint16(b[pos+3:])
		size := int(binary.LittleEndian.Uint16(b[pos+5:]))
		if size < 7 || pos+size > len(b) {
			return out, false, errRarFormat
		}
		var add uint64
		if flags&0x8000 != 0 || typ == 0x74 {
			if size < 11 {
				return out, false, errRarFormat
			}
			add = uint64(binary.LittleEndian.Uint32(b[pos+7:]))
		}
		switch typ {
		case 0x73: // archive header
			if flags&0x0080 != 0 {
				return out, true, nil // block headers encrypted
			}
		case 0x74: // file header
			h := b[pos : pos+size]
			if len(h) < 32 {
				return out, false, errRarFormat
			}
			nameSize := int(binary.LittleEndian.Uint16(h[26:]))
			off := 32
			if flags&0x100 != 0 { // 64-bit sizes
				if len(h) < 40 {
					return out, false, errRarFormat
				}
				add |= uint64(binary.LittleEndian.Uint32(h[32:])) << 32
				off += 8
			}
			if off+nameSize > len(h) {
				return out, false, errRarFormat
			}
			name := h[off : off+nameSize]
			if z := bytes.IndexByte(name, 0); z >= 0 { // Unicode name follows the ASCII one
				name = name[:z]
			}
			out = append(out, rarMember{name: string(name), encrypted: flags&0x04 != 0})
		case 0x7b: // end of archive
			return out, false, nil
		}
		next := uint64(pos) + uint64(size) + add
		if next > uint64(len(b)) {
			return out, false, nil // truncated data area: list what we have
		}
		pos = int(next)
	}
	return out, false, nil
}

// rar records the members of a RAR archive held in memory: their names
// are checked, their content is not unpacked.
func (in *inspector) rar(parent int, data []byte) {
	where := in.files[parent].Where
	members, hidden, err := rarList(data)
	if err != nil && len(members) == 0 {
		in.problem(fmt.Sprintf("undecodable RAR archive at %s", where))
		return
	}
	if hidden {
		in.files = append(in.files, file{Where: where + " › (encrypted file list)", Exts: map[string]bool{"encrypted": true}, Opaque: "encrypted"})
	}
	for _, m := range members {
		if !in.countMember() {
			return
		}
		opaque := ""
		if m.encrypted {
			opaque = "encrypted"
		}
		in.listOnly(where+" › "+cleanName(m.name), m.name, opaque)
	}
}
