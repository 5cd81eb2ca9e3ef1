package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// TNEF ([MS-OXTNEF], winmail.dat): Outlook's wrapping of a message's
// attachments. The attribute stream is walked; each attachment (from
// attAttachRendData on) is a member named by its attAttachTitle or its
// MAPI PR_ATTACH_LONG_FILENAME, with the bytes of attAttachData or of an
// embedded object (PR_ATTACH_DATA_OBJ: an attached message, itself TNEF,
// or an OLE object). No suitable Go library is served by the module
// proxy, so this reader is written for mailtower, bounded by the blob in
// memory.

var errTNEF = errors.New("tnef: bad attribute")

// TNEF attribute ids (level-independent: id | type << 16).
const (
	tnefSignature      = 0x223e9f78
	attAttachRendData  = 0x00069002
	attAttachTitle     = 0x00018010
	attAttachData      = 0x0006800f
	attAttachment      = 0x00069005
	prAttachLongName   = 0x3707
	prAttachDataObject = 0x3701
)

// tnefAttachment is one attachment of a TNEF stream.
type tnefAttachment struct {
	names []string
	data  []byte
}

// tnef inspects the attachments of a TNEF blob held in memory.
func (in *inspector) tnef(idx int, data []byte, depth int) {
	where := in.files[idx].Where
	atts, err := tnefAttachments(data)
	if err != nil && len(atts) == 0 {
		in.problem(fmt.Sprintf("undecodable TNEF data at %s: %v", where, err))
		return
	}
	for i, a := range atts {
		if !in.member(where, a.names, fmt.Sprintf("(attachment %d)", i+1), a.data, depth+1) {
			return
		}
	}
	if err != nil {
		in.problem(fmt.Sprintf("undecodable TNEF data at %s: %v", where, err))
	}
}

// tnefAttachments walks the attributes: level (1 byte), id (4), length
// (4), data, checksum (2).
func tnefAttachments(b []byte) ([]tnefAttachment, error) {
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != tnefSignature {
		return nil, errTNEF
	}
	var out []tnefAttachment
	for pos := 6; pos < len(b); {
		if len(b)-pos < 9 {
			return out, nil // trailing bytes (ClamAV's test file has 8)
		}
		id := binary.LittleEndian.Uint32(b[pos+1:])
		n := binary.LittleEndian.Uint32(b[pos+5:])
		start := pos + 9
		if uint64(n)+2 > uint64(len(b)-start) {
			return out, fmt.Errorf("%w: length %d past the end", errTNEF, n)
		}
		v := b[start : start+int(n)]
		pos = start + int(n) + 2
		if id == attAttachRendData {
			if len(out) >= maxMembers {
				return out, nil
			}
			out = append(out, tnefAttachment{})
			continue
		}
		if len(out) == 0 {
			continue // message-level attribute
		}
		a := &out[len(out)-1]
		switch id {
		case attAttachTitle:
			a.names = append(a.names, cString(v))
		case attAttachData:
			a.data = v
		case attAttachment:
			long, obj := mapiAttachProps(v)
			if long != "" {
				a.names = append([]string{long}, a.names...)
			}
			if a.data == nil && obj != nil {
				a.data = obj
			}
		}
	}
	return out, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// mapiAttachProps reads a MAPI property list ([MS-OXTNEF] 2.1.3.4) for
// the attachment's long file name and embedded object; a list it cannot
// follow to the end yields what came before.
func mapiAttachProps(b []byte) (long string, obj []byte) {
	r := &szReader{b: b} // reused for its bounds-checked reading
	u32 := func() (uint32, bool) {
		if len(r.b)-r.i < 4 {
			return 0, false
		}
		r.i += 4
		return binary.LittleEndian.Uint32(r.b[r.i-4:]), true
	}
	count, ok := u32()
	for k := uint32(0); ok && k < count && k < 4096; k++ {
		tag, ok2 := u32()
		if !ok2 {
			return
		}
		typ, id := tag&0xffff, tag>>16
		if id >= 0x8000 { // named property: GUID, kind, id or name
			if r.skip(16) != nil {
				return
			}
			kind, _ := u32()
			n, _ := u32()
			if kind == 1 && r.skip((uint64(n)+3)&^3) != nil {
				return
			}
		}
		values := uint32(1)
		if typ&0x1000 != 0 || typ == 0x1e || typ == 0x1f || typ == 0x102 || typ == 0x0d {
			if values, ok = u32(); !ok || values > 4096 {
				return
			}
		}
		for v := uint32(0); v < values; v++ {
			size := mapiFixedSize(typ &^ 0x1000)
			if size < 0 { // variable: length, bytes, padding to 4
				n, ok := u32()
				if !ok || uint64(n) > uint64(len(r.b)-r.i) {
					return
				}
				val := r.b[r.i : r.i+int(n)]
				if r.skip((uint64(n)+3)&^3) != nil {
					r.i = len(r.b)
				}
				switch {
				case id == prAttachLongName && typ == 0x1e:
					long = cString(val)
				case id == prAttachLongName && typ == 0x1f:
					long = utf16LEString(val)
				case id == prAttachDataObject && len(val) > 16: // IID, then the object
					obj = val[16:]
				}
				continue
			}
			if r.skip(uint64(size)) != nil {
				return
			}
		}
	}
	return
}

// mapiFixedSize is the stored size of a fixed-size MAPI type, -1 for a
// variable one.
func mapiFixedSize(typ uint32) int {
	switch typ {
	case 0x02, 0x03, 0x04, 0x0a, 0x0b: // short (padded), long, float, error, boolean
		return 4
	case 0x05, 0x06, 0x07, 0x14, 0x40: // double, currency, apptime, int64, systime
		return 8
	case 0x48: // CLSID
		return 16
	}
	return -1
}

func utf16LEString(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}
