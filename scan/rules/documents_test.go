package rules

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// inspectFixture inspects testdata/formats/NAME as a MIME part and
// returns the files found, each as "where: ext,ext", and the problems.
func inspectFixture(t *testing.T, name string) ([]string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
	if err != nil {
		t.Fatal(err)
	}
	return inspectBytes(name, data)
}

func inspectBytes(name string, data []byte) ([]string, []string) {
	in := &inspector{ctx: context.Background(), budget: 1 << 24, maxDepth: 3, bufCap: 1 << 24}
	in.inspect("part 2 ("+name+")", []string{name}, data, nil, int64(len(data)), 0)
	var files []string
	for _, f := range in.files {
		var exts []string
		for e := range f.Exts {
			exts = append(exts, e)
		}
		sort.Strings(exts)
		files = append(files, f.Where+": "+strings.Join(exts, ","))
	}
	return files, in.problems
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
	files, problems := inspectFixture(t, "exe.iso")
	want := []string{"part 2 (exe.iso): iso", "part 2 (exe.iso) › readme.txt: txt",
		"part 2 (exe.iso) › docs/Invoice 2026.pdf.exe: exe"}
	if strings.Join(files, "\n") != strings.Join(want, "\n") || len(problems) > 0 {
		t.Errorf("files:\n%s\nwant:\n%s\nproblems: %q", strings.Join(files, "\n"), strings.Join(want, "\n"), problems)
	}
}

// A directory whose record points at itself (or its parent) is read once.
func TestISODirectoryLoop(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "formats", "clean.iso"))
	if err != nil {
		t.Fatal(err)
	}
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
