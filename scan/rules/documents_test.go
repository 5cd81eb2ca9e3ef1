package rules

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mailtower/mailtower/internal/testmail"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// inspectFixture inspects testdata/formats/NAME as a MIME part and
// returns the files found, each as "where: ext,ext", and the problems.
func inspectFixture(t *testing.T, name string) ([]string, []string) {
	t.Helper()
	return inspectBytes(strings.TrimSuffix(name, ".gz"), readFixture(t, name))
}

// readFixture reads testdata/formats/NAME, gunzipped if NAME ends in .gz.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	return testmail.Fixture(t, filepath.Join("testdata", "formats", name))
}

func inspectBytes(name string, data []byte) ([]string, []string) {
	in := &inspector{ctx: context.Background(), budget: 1 << 24, maxDepth: 3, bufCap: 1 << 24}
	in.inspect("part 2 ("+name+")", []string{name}, data, nil, int64(len(data)), 0)
	return fileList(in), in.problems
}

// fileList is the files of in, each as "where: ext,ext".
func fileList(in *inspector) []string {
	var files []string
	for _, f := range in.files {
		var exts []string
		for e := range f.Exts {
			exts = append(exts, e)
		}
		sort.Strings(exts)
		files = append(files, f.Where+": "+strings.Join(exts, ","))
	}
	return files
}

func TestPDFActiveContent(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"clean.pdf", []string{"part 2 (clean.pdf): pdf"}},
		// The catalog with its /JavaScript open action sits in a
		// Flate-compressed object stream.
		{"js-objstm.pdf", []string{"part 2 (js-objstm.pdf): pdf,pdfjs"}},
		{"launch.pdf", []string{"part 2 (launch.pdf): pdf,pdflaunch", "part 2 (launch.pdf) › cmd.exe: exe"}},
		{"attach.pdf", []string{"part 2 (attach.pdf): pdf", "part 2 (attach.pdf) › invoice.exe: exe",
			"part 2 (attach.pdf) › (embedded file 1): exe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, problems := inspectFixture(t, tc.name)
			if strings.Join(files, "\n") != strings.Join(tc.want, "\n") || len(problems) > 0 {
				t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(tc.want, "\n"), problems)
			}
		})
	}
}

// Names hidden with #xx escapes are read as a PDF reader reads them.
func TestPDFEscapedNames(t *testing.T) {
	files, _ := inspectBytes("a.pdf", []byte("%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript /J#53 (x) >> >> endobj\n"))
	if len(files) != 1 || files[0] != "part 2 (a.pdf): pdf,pdfjs" {
		t.Fatalf("files = %q", files)
	}
}

func TestISOMembers(t *testing.T) {
	files, problems := inspectFixture(t, "exe.iso.gz")
	want := []string{"part 2 (exe.iso): iso", "part 2 (exe.iso) › readme.txt: txt",
		"part 2 (exe.iso) › docs/Invoice 2026.pdf.exe: exe"}
	if strings.Join(files, "\n") != strings.Join(want, "\n") || len(problems) > 0 {
		t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(want, "\n"), problems)
	}
}

// A directory whose record points at itself (or its parent) is read once.
func TestISODirectoryLoop(t *testing.T) {
	data := readFixture(t, "clean.iso.gz")
	roots, _ := isoRoots(data)
	// Make the root's first file record a directory pointing at the root.
	dir := data[int(roots[0].extent)*isoSector:]
	r := dir[int(dir[0])+int(dir[dir[0]]):] // third record: after "." and ".."
	r[25] |= 0x02
	copy(r[2:6], data[int(roots[0].extent)*isoSector+2:][:4])
	files, _ := inspectBytes("loop.iso", data)
	if len(files) > 3 {
		t.Fatalf("files = %q", files)
	}
}

// makeOneNote builds the parts of a OneNote section mailtower reads: the
// file format GUID, FileDataStoreObjects and length-prefixed UTF-16 names.
func makeOneNote(names []string, files ...[]byte) []byte {
	b := append([]byte(nil), oneNoteMagic...)
	b = append(b, make([]byte, 64)...)
	for _, n := range names {
		u := utf16.Encode([]rune(n + "\x00"))
		b = binary.LittleEndian.AppendUint32(b, uint32(2*len(u)))
		for _, c := range u {
			b = binary.LittleEndian.AppendUint16(b, c)
		}
	}
	for _, f := range files {
		b = append(b, oneNoteFileData...)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(f)))
		b = append(b, make([]byte, 12)...)
		b = append(b, f...)
		b = append(b, make([]byte, 8-len(f)%8)...)
		b = append(b, 0x22, 0xa7, 0xfb, 0x71, 0x79, 0x0f, 0x0b, 0x4a, 0xbb, 0x13, 0x89, 0x92, 0x56, 0x42, 0x6b, 0x24)
	}
	return b
}

func TestOneNoteEmbeddedFiles(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n....")
	for _, tc := range []struct {
		name     string
		data     []byte
		want     []string
		verdicts int
	}{
		{"picture only", makeOneNote([]string{"Page 1", "photo.png"}, png),
			[]string{"part 2 (a.one): one", "part 2 (a.one) › (embedded file 1): ", "part 2 (a.one) › photo.png: png"}, 0},
		{"program behind a picture", makeOneNote([]string{"click.png", "open.hta"}, png, fakePE(false)),
			[]string{"part 2 (a.one): one", "part 2 (a.one) › (embedded file 1): ", "part 2 (a.one) › (embedded file 2): exe",
				"part 2 (a.one) › click.png: png", "part 2 (a.one) › open.hta: hta"}, 2},
		{"names without attachments", makeOneNote([]string{"run.bat"}), []string{"part 2 (a.one): one"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &inspector{ctx: context.Background(), budget: 1 << 24, maxDepth: 3, bufCap: 1 << 24}
			in.inspect("part 2 (a.one)", []string{"a.one"}, tc.data, nil, int64(len(tc.data)), 0)
			files := fileList(in)
			if strings.Join(files, "\n") != strings.Join(tc.want, "\n") || len(in.problems) > 0 || len(in.oneNoteExec) != tc.verdicts {
				t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q\nverdicts: %q", strings.Join(files, "\n"), strings.Join(tc.want, "\n"), in.problems, in.oneNoteExec)
			}
		})
	}
}

// ClamAV's TNEF test file (clamav-testfiles): one attachment, clam.exe.
func TestTNEFAttachments(t *testing.T) {
	files, problems := inspectFixture(t, "clam.tnef")
	want := []string{"part 2 (clam.tnef): tnef", "part 2 (clam.tnef) › clam.exe: exe"}
	if strings.Join(files, "\n") != strings.Join(want, "\n") || len(problems) > 0 {
		t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(want, "\n"), problems)
	}
}

// tnefAttr is one TNEF attribute at attachment level (checksum not checked).
func tnefAttr(id uint32, v []byte) []byte {
	b := binary.LittleEndian.AppendUint32([]byte{2}, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(append(b, v...), 0, 0)
}

// The MAPI long file name is the name Outlook shows: it is checked too.
func TestTNEFLongFileName(t *testing.T) {
	name := utf16.Encode([]rune("invoice.pdf.exe\x00"))
	props := binary.LittleEndian.AppendUint32(nil, 1)                            // one property
	props = binary.LittleEndian.AppendUint32(props, 0x001f|prAttachLongName<<16) // PT_UNICODE
	props = binary.LittleEndian.AppendUint32(props, 1)                           // one value
	props = binary.LittleEndian.AppendUint32(props, uint32(2*len(name)))
	for _, c := range name {
		props = binary.LittleEndian.AppendUint16(props, c)
	}
	b := binary.LittleEndian.AppendUint32(nil, tnefSignature)
	b = append(b, 0, 0)
	b = append(b, tnefAttr(attAttachRendData, make([]byte, 14))...)
	b = append(b, tnefAttr(attAttachTitle, []byte("INVOIC~1.PDF\x00"))...)
	b = append(b, tnefAttr(attAttachData, []byte("%PDF-1.4 harmless"))...)
	b = append(b, tnefAttr(attAttachment, props)...)
	files, problems := inspectBytes("winmail.dat", b)
	want := []string{"part 2 (winmail.dat): dat,tnef", "part 2 (winmail.dat) › invoice.pdf.exe: exe,pdf"}
	if strings.Join(files, "\n") != strings.Join(want, "\n") || len(problems) > 0 {
		t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(want, "\n"), problems)
	}
}

func TestFATImageMembers(t *testing.T) {
	files, problems := inspectFixture(t, "exe.img.gz")
	want := []string{"part 2 (exe.img): img", "part 2 (exe.img) › INVOICE.PDF: exe,pdf",
		"part 2 (exe.img) › docs/Payment advice.pdf.vbs: vbs"}
	if strings.Join(files, "\n") != strings.Join(want, "\n") || len(problems) > 0 {
		t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(want, "\n"), problems)
	}
}

// Through the scanner, without any rule: a OneNote section with an
// executable is a content finding for every recipient; one with a
// picture is not; a PDF with JavaScript is only found by a pdfjs rule.
func TestOneNoteVerdictAndPDFRule(t *testing.T) {
	s := newScanner(t, DefaultLimits, rule("example.com", settings.BlockFiletype, "pdfjs"))
	evil := message("Notes", "see the note", attachment{"notes.one", "application/onenote",
		makeOneNote([]string{"open.hta"}, []byte("\x89PNG"), []byte("<script>run()</script>"))})
	got := scanRaw(t, s, evil, "a@example.com", "b@example.org")
	if len(got) != 1 || got[0].Rule != RuleOneNoteExec || got[0].Category != scan.Content || got[0].Recipients != nil ||
		!strings.Contains(got[0].Reason, "open.hta") {
		t.Fatalf("findings = %+v, want one ONENOTE_EXECUTABLE for everyone naming open.hta", got)
	}
	fine := message("Notes", "see the note", attachment{"notes.one", "application/onenote",
		makeOneNote([]string{"photo.jpg"}, []byte("\xff\xd8\xff\xe0"))})
	if got := scanRaw(t, s, fine, "a@example.com"); len(got) != 0 {
		t.Fatalf("picture in OneNote: findings %+v", got)
	}
	pdf := message("Statement", "attached", attachment{"s.pdf", "application/pdf", readFixture(t, "js-objstm.pdf")})
	got = scanRaw(t, s, pdf, "a@example.com", "b@example.org")
	if len(got) != 1 || got[0].Rule != "block-filetype:pdfjs" || len(got[0].Recipients) != 1 || got[0].Recipients[0] != "a@example.com" {
		t.Fatalf("findings = %+v, want block-filetype:pdfjs for a@example.com", got)
	}
}

// "/JS " inside compressed stream bytes is chance, not a script; a
// JavaScript action wrapped in text that only looks like a stream is
// still found by its /S /JavaScript.
func TestPDFStreamDataNames(t *testing.T) {
	chance := []byte("%PDF-1.4\n4 0 obj << /Length 12 /Filter /FlateDecode >>\nstream\n\x01\x02/JS \x03\x04\x05\x06\nendstream\nendobj\n")
	if files, _ := inspectBytes("a.pdf", chance); len(files) != 1 || files[0] != "part 2 (a.pdf): pdf" {
		t.Errorf("binary /JS: files = %q", files)
	}
	hidden := []byte("%PDF-1.4\n1 0 obj (x) stream\n2 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n(endstream) endobj\n")
	if files, _ := inspectBytes("a.pdf", hidden); len(files) != 1 || files[0] != "part 2 (a.pdf): pdf,pdfjs" {
		t.Errorf("action in a fake stream: files = %q", files)
	}
}
