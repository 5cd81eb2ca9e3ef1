package rules

import (
	"encoding/binary"
	"testing"

	"github.com/mailtower/mailtower/settings"
)

func putVint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// rar5Block is one RAR 5 block: CRC (unchecked, zero), size, header, data.
func rar5Block(header, data []byte) []byte {
	b := putVint(make([]byte, 4), uint64(len(header)))
	return append(append(b, header...), data...)
}

// makeRar5 builds a RAR 5 archive listing names (stored data "x"); an
// encrypted member carries an encryption extra record.
func makeRar5(encrypted bool, names ...string) []byte {
	out := []byte("Rar!\x1a\x07\x01\x00")
	out = append(out, rar5Block([]byte{1, 0, 0}, nil)...) // main header
	for _, n := range names {
		h := []byte{2} // file header
		var extra []byte
		flags := uint64(2)
		if encrypted {
			extra = []byte{2, 1, 0} // record size 2: type 1 (encryption), version 0
			flags |= 1
		}
		h = putVint(h, flags)
		if encrypted {
			h = putVint(h, uint64(len(extra)))
		}
		h = putVint(h, 1)              // data size
		h = append(h, 0, 1, 0, 0, 0)   // file flags, unpacked size, attributes, compression, host OS
		h = putVint(h, uint64(len(n))) // name length
		h = append(append(h, n...), extra...)
		out = append(out, rar5Block(h, []byte("x"))...)
	}
	return append(out, rar5Block([]byte{5, 0, 0}, nil)...)
}

// makeRar4 builds a RAR 4 archive listing names.
func makeRar4(encrypted bool, names ...string) []byte {
	out := []byte("Rar!\x1a\x07\x00")
	out = append(out, 0, 0, 0x73, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0) // archive header
	for _, n := range names {
		h := make([]byte, 32, 32+len(n))
		h[2] = 0x74
		flags := uint16(0x8000)
		if encrypted {
			flags |= 0x04
		}
		binary.LittleEndian.PutUint16(h[3:], flags)
		binary.LittleEndian.PutUint16(h[5:], uint16(32+len(n)))
		binary.LittleEndian.PutUint32(h[7:], 1) // packed size
		binary.LittleEndian.PutUint16(h[26:], uint16(len(n)))
		out = append(append(out, append(h, n...)...), 'x')
	}
	return append(out, 0, 0, 0x7b, 0, 0x40, 7, 0)
}

func TestRarMembers(t *testing.T) {
	exe := []settings.Rule{rule("global", settings.BlockFiletype, "exe")}
	tests := []struct {
		name string
		data []byte
		want []want
	}{
		{"rar5 exe by name", makeRar5(false, "docs/readme.txt", "docs/setup.exe"),
			[]want{{"block-filetype:exe", "a.rar) › docs/setup.exe", ""}}},
		{"rar4 exe by name", makeRar4(false, "invoice.exe"), []want{{"block-filetype:exe", "a.rar) › invoice.exe", ""}}},
		{"rar5 clean names", makeRar5(false, "a.txt", "b.pdf"), nil},
		{"rar5 encrypted member", makeRar5(true, "a.doc"), []want{{RuleEncrypted, "a.doc (encrypted)", ""}}},
		{"rar4 encrypted member", makeRar4(true, "a.doc"), []want{{RuleEncrypted, "a.doc (encrypted)", ""}}},
		{"rar5 encrypted headers", append([]byte("Rar!\x1a\x07\x01\x00"), rar5Block([]byte{4, 0, 0}, nil)...),
			[]want{{RuleEncrypted, "encrypted file list", ""}}},
		{"broken rar", []byte("Rar!\x1a\x07\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
			[]want{{RuleMalformed, "undecodable RAR archive", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(t, DefaultLimits, exe...)
			check(t, scanRaw(t, s, message("x", "y", attachment{"a.rar", "application/x-rar", tc.data})), tc.want)
		})
	}
}
