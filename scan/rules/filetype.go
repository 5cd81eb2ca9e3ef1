package rules

import (
	"bytes"
	"encoding/binary"
	"path"
	"strings"
)

// sniffLen is how much of a file type detection needs (ISO 9660 puts its
// signature at 0x8001).
const sniffLen = 0x8006

// fileType is what the content of a file says it is.
type fileType struct {
	// Exts are the canonical extensions the type is known by; a
	// block-filetype rule with one of them matches (see Detect).
	Exts []string
	// Desc is a human name for reasons.
	Desc string
}

// Canonical names the block-filetype rules can use besides extensions.
// A rule value is compared with the file name's extension, with the
// extensions of the detected type, and with these groups.
var groups = map[string][]string{
	// executable: anything that runs when opened.
	"executable": {"exe", "dll", "elf", "macho", "script", "msi", "lnk", "class", "jar", "apk", "chm", "hta", "com", "scr", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ps1", "cpl", "reg", "sh"},
	// archive: containers, whether or not mailtower can open them.
	"archive": {"zip", "rar", "7z", "gz", "bz2", "xz", "tar", "cab", "iso", "img", "ace", "arj", "lzh", "zst"},
}

// Detect returns the real type of a file from its first bytes (at least
// sniffLen of them when the file is that long), or false when the content
// says nothing certain (plain text, images, ...: the extension decides).
//
// Canonical extensions: PE (MZ) → exe (plus dll when it is a DLL); ELF →
// elf; Mach-O → macho; "#!" → script, sh; OLE2 compound files → ole plus
// msi, doc, xls or ppt by their root CLSID, and macro when they hold a VBA
// project; zip → zip (Office, Java and Android containers are refined by
// the archive inspection); rar, 7z, gz, bz2, xz, zst, cab, tar, iso, lnk,
// chm, rtf, pdf, ace, class.
func Detect(b []byte) (fileType, bool) {
	has := func(off int, sig string) bool {
		return len(b) >= off+len(sig) && string(b[off:off+len(sig)]) == sig
	}
	switch {
	case has(0, "MZ"):
		return detectPE(b), true
	case has(0, "\x7fELF"):
		return fileType{[]string{"elf"}, "ELF executable"}, true
	case has(0, "\xfe\xed\xfa\xce"), has(0, "\xfe\xed\xfa\xcf"), has(0, "\xce\xfa\xed\xfe"), has(0, "\xcf\xfa\xed\xfe"):
		return fileType{[]string{"macho"}, "Mach-O executable"}, true
	case has(0, "\xca\xfe\xba\xbe"):
		// Fat Mach-O and Java class files share a magic; a fat header
		// counts architectures (small), a class file has version >= 45.
		if len(b) >= 8 && binary.BigEndian.Uint32(b[4:8]) < 45 {
			return fileType{[]string{"macho"}, "Mach-O universal executable"}, true
		}
		return fileType{[]string{"class"}, "Java class file"}, true
	case has(0, "#!"):
		return fileType{[]string{"script", "sh"}, "script with #! interpreter line"}, true
	case has(0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return detectOLE(b), true
	case has(0, "PK\x03\x04"), has(0, "PK\x05\x06"), has(0, "PK\x07\x08"):
		return fileType{[]string{"zip"}, "zip archive"}, true
	case has(0, "Rar!\x1a\x07"):
		return fileType{[]string{"rar"}, "RAR archive"}, true
	case has(0, "7z\xbc\xaf\x27\x1c"):
		return fileType{[]string{"7z"}, "7-Zip archive"}, true
	case has(0, "\x1f\x8b"):
		return fileType{[]string{"gz"}, "gzip data"}, true
	case has(0, "BZh") && len(b) > 3 && b[3] >= '1' && b[3] <= '9':
		return fileType{[]string{"bz2"}, "bzip2 data"}, true
	case has(0, "\xfd7zXZ\x00"):
		return fileType{[]string{"xz"}, "xz data"}, true
	case has(0, "\x28\xb5\x2f\xfd"):
		return fileType{[]string{"zst"}, "zstd data"}, true
	case has(0, "MSCF\x00\x00\x00\x00"):
		return fileType{[]string{"cab"}, "Microsoft cabinet"}, true
	case has(0, "L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"):
		return fileType{[]string{"lnk"}, "Windows shortcut (LNK)"}, true
	case has(0, "ITSF"):
		return fileType{[]string{"chm"}, "compiled HTML help (CHM)"}, true
	case has(0, "{\\rt"):
		return fileType{[]string{"rtf"}, "RTF document"}, true
	case has(0, "%PDF-"):
		return fileType{[]string{"pdf"}, "PDF document"}, true
	case detectFAT(b):
		return fileType{[]string{"img"}, "FAT disk image"}, true
	case has(0, "\x78\x9f\x3e\x22"):
		return fileType{[]string{"tnef"}, "TNEF (winmail.dat)"}, true
	case bytes.HasPrefix(b, oneNoteMagic):
		return fileType{[]string{"one"}, "OneNote section"}, true
	case has(7, "**ACE**"):
		return fileType{[]string{"ace"}, "ACE archive"}, true
	case has(257, "ustar"):
		return fileType{[]string{"tar"}, "tar archive"}, true
	case has(0x8001, "CD001"), has(0x8801, "CD001"), has(0x9001, "CD001"):
		return fileType{[]string{"iso"}, "ISO 9660 disk image"}, true
	case has(0x8001, "BEA01"):
		return fileType{[]string{"iso"}, "UDF disk image"}, true
	}
	return fileType{}, false
}

// detectPE tells a DLL from an EXE by the PE file header's characteristics.
func detectPE(b []byte) fileType {
	t := fileType{[]string{"exe"}, "Windows executable (PE)"}
	if len(b) < 0x40 {
		return t
	}
	off := int(binary.LittleEndian.Uint32(b[0x3c:0x40]))
	if off < 0 || off+24 > len(b) || string(b[off:off+4]) != "PE\x00\x00" {
		return t
	}
	if binary.LittleEndian.Uint16(b[off+22:off+24])&0x2000 != 0 {
		t.Exts = append(t.Exts, "dll")
		t.Desc = "Windows DLL (PE)"
	}
	return t
}

// CLSIDs of the root storage of OLE2 files, as stored (little-endian).
var oleKinds = []struct {
	clsid []byte
	exts  []string
	desc  string
}{
	{[]byte{0x84, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46}, []string{"msi"}, "Windows Installer package (MSI)"},
	{[]byte{0x86, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46}, []string{"msi", "msp"}, "Windows Installer patch (MSP)"},
	{[]byte{0x06, 0x09, 0x02, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46}, []string{"doc"}, "Word document"},
	{[]byte{0x20, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46}, []string{"xls"}, "Excel workbook"},
	{[]byte{0x10, 0x8d, 0x81, 0x64, 0x9b, 0x4f, 0xcf, 0x11, 0x86, 0xea, 0, 0xaa, 0, 0xb9, 0x29, 0xe8}, []string{"ppt"}, "PowerPoint presentation"},
}

// detectOLE reads the root directory entry of an OLE2 compound file
// ([MS-CFB] 2.2 and 2.6) for its CLSID, and looks for a VBA project.
func detectOLE(b []byte) fileType {
	t := fileType{[]string{"ole"}, "OLE2 compound file"}
	if len(b) >= 0x4c {
		shift := binary.LittleEndian.Uint16(b[0x1e:0x20])
		dirSector := int64(binary.LittleEndian.Uint32(b[0x30:0x34]))
		if shift >= 7 && shift <= 16 && dirSector < 1<<20 {
			off := (dirSector + 1) << shift
			if off+0x60 <= int64(len(b)) {
				clsid := b[off+0x50 : off+0x60]
				for _, k := range oleKinds {
					if bytes.Equal(clsid, k.clsid) {
						t.Exts = append(t.Exts, k.exts...)
						t.Desc = k.desc
					}
				}
			}
		}
	}
	// Directory entry names are UTF-16LE; "_VBA_PROJECT" or "VBA" storages
	// mean macros (the sniffed prefix holds the directory in small files).
	if bytes.Contains(b, utf16le("_VBA_PROJECT")) || bytes.Contains(b, utf16le("VBA\x00")) {
		t.Exts = append(t.Exts, "macro")
		t.Desc += " with VBA macros"
	}
	return t
}

func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// nameExts returns the lower-case extension of a file name the way Windows
// reads it (trailing dots and spaces ignored, directories not part of the
// name), plus the extension of the name cut at a NUL byte, which some
// extractors do: "a.exe\x00.txt" yields txt and exe.
func nameExts(name string) []string {
	var out []string
	if i := strings.IndexByte(name, 0); i >= 0 {
		if e := nameExt(name[:i]); e != "" {
			out = append(out, e)
		}
	}
	if e := nameExt(name); e != "" {
		out = append(out, e)
	}
	return out
}

func nameExt(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.TrimRight(name, ". \t\x00")
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(name[i+1:]))
}
