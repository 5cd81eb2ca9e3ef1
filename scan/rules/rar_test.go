package rules

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
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

// rar5Block is one RAR 5 block: CRC32 of size and header, size, header, data.
func rar5Block(header, data []byte) []byte {
	sh := append(putVint(nil, uint64(len(header))), header...)
	b := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(sh))
	return append(append(b, sh...), data...)
}

// rar4Block sets the CRC16 (low half of the CRC32 from the type byte on)
// of a RAR 4 header.
func rar4Block(h []byte) []byte {
	binary.LittleEndian.PutUint16(h, uint16(crc32.ChecksumIEEE(h[2:])))
	return h
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
			// record size 36: type 1 (encryption), version 0, flags 0,
			// KDF count 15, salt and IV (16 bytes each).
			extra = append([]byte{36, 1, 0, 0, 15}, make([]byte, 32)...)
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

// makeRar5Stored builds a RAR 5 archive with one stored member.
func makeRar5Stored(name string, data []byte) []byte {
	out := []byte("Rar!\x1a\x07\x01\x00")
	out = append(out, rar5Block([]byte{1, 0, 0}, nil)...)
	h := putVint([]byte{2}, 2) // file header, flags: data area
	h = putVint(h, uint64(len(data)))
	h = putVint(h, 0) // file flags
	h = putVint(h, uint64(len(data)))
	h = append(h, 0, 0, 0) // attributes, compression "store", host OS
	h = putVint(h, uint64(len(name)))
	out = append(out, rar5Block(append(h, name...), data)...)
	return append(out, rar5Block([]byte{5, 0, 0}, nil)...)
}

// makeRar4 builds a RAR 4 archive listing names.
func makeRar4(encrypted bool, names ...string) []byte {
	out := []byte("Rar!\x1a\x07\x00")
	out = append(out, rar4Block([]byte{0, 0, 0x73, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0})...) // archive header
	for _, n := range names {
		h := make([]byte, 32, 32+len(n))
		h[2] = 0x74
		flags := uint16(0x8000)
		if encrypted {
			flags |= 0x04
		}
		binary.LittleEndian.PutUint16(h[3:], flags)
		binary.LittleEndian.PutUint16(h[5:], uint16(32+len(n)))
		binary.LittleEndian.PutUint32(h[7:], 1)                                // packed size
		binary.LittleEndian.PutUint32(h[11:], 1)                               // unpacked size
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE([]byte("x"))) // file CRC
		h[24], h[25] = 29, 0x30                                                // version, method "store"
		binary.LittleEndian.PutUint16(h[26:], uint16(len(n)))
		out = append(append(out, rar4Block(append(h, n...))...), 'x')
	}
	return append(out, rar4Block([]byte{0, 0, 0x7b, 0, 0x40, 7, 0})...)
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
		{"rar5 renamed exe unpacked", makeRar5Stored("invoice.txt", fakePE(false)),
			[]want{{"block-filetype:exe", "a.rar) › invoice.txt (content) is Windows executable", ""}}},
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

func TestSevenZipMembers(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	exe := []settings.Rule{rule("global", settings.BlockFiletype, "exe")}
	tests := []struct {
		name string
		data []byte
		want []want
	}{
		// invoice.txt is a PE: only unpacking tells.
		{"7z renamed exe unpacked", read("plain.7z"), []want{{"block-filetype:exe", "a.7z) › invoice.txt is Windows executable", ""}}},
		{"7z encrypted member", read("enc.7z"), []want{{RuleEncrypted, "invoice.txt (encrypted)", ""}}},
		{"7z encrypted headers", read("enchdr.7z"), []want{{RuleEncrypted, "encrypted file list", ""}}},
		{"broken 7z", append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), make([]byte, 40)...),
			[]want{{RuleMalformed, "undecodable 7z archive", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(t, DefaultLimits, exe...)
			check(t, scanRaw(t, s, message("x", "y", attachment{"a.7z", "application/x-7z-compressed", tc.data})), tc.want)
		})
	}
}
