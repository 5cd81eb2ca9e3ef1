package rules

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/testmail"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/settings/settingstest"
)

func fakePE(dll bool) []byte { return testmail.PE(dll) }

// zipEntry is one member of a test zip.
type zipEntry struct {
	name      string
	data      []byte
	encrypted bool // set the "encrypted" flag (content stays plain)
}

// makeZip builds a zip archive in memory.
func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.encrypted {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, Flags: 1,
				CRC32: crc32.ChecksumIEEE(e.data), CompressedSize64: uint64(len(e.data)), UncompressedSize64: uint64(len(e.data))})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeBomb builds a zip of n members, each a deflate stream of size zero
// bytes (about size/1000 compressed): n*size bytes unpacked.
func makeBomb(t testing.TB, n int, size int64) []byte { return makeZeros(t, n, size, size) }

// makeZeros is makeBomb with a declared member size that may lie.
func makeZeros(t testing.TB, n int, size, declared int64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zero := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for left := size; left > 0; left -= int64(len(zero)) {
		chunk := zero[:min(int64(len(zero)), left)]
		fw.Write(chunk)
		crc.Write(chunk)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < n; i++ {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("zeros%03d.bin", i), Method: zip.Deflate,
			CRC32: crc.Sum32(), CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(declared)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	zw.Close()
	return buf.Bytes()
}

// attachment is one attached file of a test message.
type attachment struct {
	name, ctype string
	data        []byte
}

// message builds a multipart/mixed message with a text part and attachments.
func message(subject, text string, atts ...attachment) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: sender@example.net\r\nTo: a@example.com\r\nSubject: %s\r\nMIME-Version: 1.0\r\n", subject)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(text + "\r\n")
	for _, a := range atts {
		fmt.Fprintf(&b, "--=_b\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", a.ctype, a.name, a.name)
		b.WriteString(testmail.Base64Lines(a.data, "\r\n"))
	}
	b.WriteString("--=_b--\r\n")
	return []byte(b.String())
}

// newStore opens a settings store in a temporary directory with rules.
func newStore(t testing.TB, rules ...settings.Rule) *settings.SQLStore {
	t.Helper()
	st, _ := settingstest.Open(t)
	for _, r := range rules {
		if _, err := st.AddRule(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func rule(scope string, kind settings.RuleKind, value string) settings.Rule {
	sc, err := settings.ParseScope(scope)
	if err != nil {
		panic(err)
	}
	return settings.Rule{Scope: sc, Kind: kind, Value: value}
}

func newScanner(t testing.TB, lim Limits, rules ...settings.Rule) *Scanner {
	st := newStore(t, rules...)
	return New(st, st.Generation, lim)
}

func scanRaw(t testing.TB, s *Scanner, raw []byte, rcpts ...string) []scan.Finding {
	t.Helper()
	if len(rcpts) == 0 {
		rcpts = []string{"a@example.com"}
	}
	msg := scan.NewMessage(scan.Envelope{Sender: "sender@example.net", Recipients: rcpts}, bytes.NewReader(raw), int64(len(raw)))
	f, err := s.Scan(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
