package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets of the container and document readers: each starts
// from real files of its format and checks what FuzzInspect checks.

func addFixtures(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(readFixture(f, n))
	}
}

func FuzzPDF(f *testing.F) {
	addFixtures(f, "clean.pdf", "js-objstm.pdf", "launch.pdf", "attach.pdf")
	f.Add([]byte("%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript /JS <feff0041> >> /EF << /F 2 0 R >> >> endobj\n2 0 obj << /Filter /FlateDecode >>\nstream\nx\x9c\x03\x00\x00\x00\x00\x01\nendstream\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "a.pdf", data) })
}

// The image seeds are cut after their last file (the rest is padding
// and free space): the fuzzer mutates small inputs much faster.

func FuzzISO(f *testing.F) {
	f.Add(readFixture(f, "exe.iso.gz")[:72<<10])
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "a.iso", data) })
}

func FuzzFAT(f *testing.F) {
	f.Add(readFixture(f, "exe.img.gz")[:16<<10])
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "a.img", data) })
}

func FuzzTNEF(f *testing.F) {
	addFixtures(f, "clam.tnef")
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "winmail.dat", data) })
}

func FuzzOneNote(f *testing.F) {
	f.Add(makeOneNote([]string{"click.png", "open.hta"}, []byte("\x89PNG"), fakePE(false)))
	f.Add(makeOneNote(nil, makeZip(f, zipEntry{name: "a.exe", data: fakePE(false)})))
	f.Fuzz(func(t *testing.T, data []byte) { checkInspect(t, "a.one", data) })
}

// FuzzSevenZipHeader checks the 7z header walk alone: it never panics and
// what it accepts the reader library opens without a crash (FuzzInspect).
func FuzzSevenZipHeader(f *testing.F) {
	for _, n := range []string{"plain.7z", "enc.7z", "enchdr.7z", "many.7z", "big.7z"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "formats", n)); err == nil {
			f.Add(b)
		}
	}
	f.Add(make7z([]byte{szHeader, szFilesInfo, 0xf0, 0xff, 0xff, 0xff, 0xff, szEnd, szEnd}))
	f.Fuzz(func(t *testing.T, data []byte) {
		check7z(data)
		checkInspect(t, "a.7z", data)
	})
}
