//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/testmail"
)

// formatFixture reads a test file of the content filter
// (scan/rules/testdata/formats), gunzipped if its name ends in .gz.
func formatFixture(t testing.TB, name string) []byte {
	t.Helper()
	return testmail.Fixture(t, filepath.Join("..", "scan", "rules", "testdata", "formats", name))
}

// sevenZip packs files (name → content) with 7-Zip (p7zip-full).
func sevenZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	cmd := exec.Command("7z", append([]string{"a", "-bd", "-y", "a.7z"}, names...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "a.7z"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fatImage makes a FAT12 floppy image holding files (dosfstools, mtools).
func fatImage(t *testing.T, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "a.img")
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	run("mkfs.fat", "-C", img, "720")
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		run("mcopy", "-i", img, p, "::/"+name)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFormatsInMail: the formats mailtower opens (issue 14 item 5) on
// real Postfix and clamd. EICAR inside a 7z is quarantined as a virus,
// and so is EICAR inside a FAT disk image, which clamd does not open on
// its own (the reason names the member mailtower unpacked for it); an
// executable inside an ISO image is caught by the block-filetype rule
// exe; a PDF whose JavaScript sits in a compressed object stream is
// caught by the rule pdfjs; a clean 7z and a clean PDF are delivered.
func TestFormatsInMail(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoSpamd: true})
	e.addDomain(t, "quarantine.test", "--content-action", "quarantine")
	for _, v := range []string{"exe", "pdfjs"} {
		if _, err := e.Mailtower.CLI("rule", "add", "quarantine.test", "--block-filetype", v); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, file, ctype string
		data              []byte
		category, reason  string // "" category: delivered
	}{
		{"EICAR in 7z", "scans.7z", "application/x-7z-compressed",
			sevenZip(t, map[string]string{"readme.txt": "see the scan", "scan.com": eicar}), "virus", "Eicar"},
		{"EICAR in FAT image", "disk.img", "application/octet-stream",
			fatImage(t, map[string]string{"setup.com": eicar}), "virus", "part 2 (disk.img) › setup.com"},
		{"exe in ISO", "documents.iso", "application/octet-stream",
			formatFixture(t, "exe.iso.gz"), "content", "docs/Invoice 2026.pdf.exe"},
		{"PDF with JavaScript", "statement.pdf", "application/pdf",
			formatFixture(t, "js-objstm.pdf"), "content", "block-filetype \"pdfjs\""},
		{"clean 7z", "notes.7z", "application/x-7z-compressed",
			sevenZip(t, map[string]string{"notes.txt": "minutes of the meeting"}), "", ""},
		{"clean PDF", "report.pdf", "application/pdf", formatFixture(t, "clean.pdf"), "", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rcpt := fmt.Sprintf("erin%d@quarantine.test", i)
			e.sendOK(t, "billing@sender.example", []string{rcpt}, withFile(c.name, rcpt, c.file, c.ctype, c.data))
			e.settle(t)
			delivered := e.deliveredWithSubject(rcpt, c.name)
			if c.category == "" {
				if len(delivered) != 1 {
					t.Fatalf("clean %s delivered %d times (quarantine: %+v)", c.file, len(delivered), e.quarantined(t, "", rcpt))
				}
				return
			}
			if len(delivered) != 0 {
				t.Fatalf("%s reached the customer server", c.name)
			}
			items := e.quarantined(t, c.category, rcpt)
			if len(items) != 1 {
				t.Fatalf("%d %s quarantine entries for %s, want 1 (all: %+v)", len(items), c.category, rcpt, e.quarantined(t, "", rcpt))
			}
			if !strings.Contains(items[0].Reason, c.reason) {
				t.Errorf("reason %q does not contain %q", items[0].Reason, c.reason)
			}
			t.Logf("quarantined: %s", items[0].Reason)
		})
	}
}
