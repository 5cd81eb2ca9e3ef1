package rules

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/mailtower/mailtower/scan"
)

// OneNote sections ([MS-ONESTORE]) carry attachments as FileDataStoreObject
// structures: a header GUID, the length, the bytes, a footer GUID. Malware
// mail uses them for a script or program behind a "click to view"
// picture; OneNote runs an attachment by its name, so the names the
// section stores (EmbeddedFileName, UTF-16 with a 4-byte length, as all
// its strings) are checked too. As strelka and Assemblyline do, the
// structures are carved by their GUIDs rather than the revision store
// walked.

// RuleOneNoteExec is the Rule of the finding about a OneNote section that
// carries an executable or script: a content verdict for every recipient,
// like MALFORMED (OneNote documents have no business carrying programs).
const RuleOneNoteExec = "ONENOTE_EXECUTABLE"

var (
	// {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}, the .one file format GUID.
	oneNoteMagic = []byte{0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d, 0xae, 0xb1, 0x53, 0x78, 0xd0, 0x29, 0x96, 0xd3}
	// {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}, FileDataStoreObject header.
	oneNoteFileData = []byte{0xe7, 0x16, 0xe3, 0xbd, 0x65, 0x26, 0x11, 0x45, 0xa4, 0xc4, 0x8d, 0x4d, 0x0b, 0x7a, 0x9e, 0xac}
)

// oneNote inspects the attachments of a OneNote section held in memory.
func (in *inspector) oneNote(idx int, data []byte, depth int) {
	where := in.files[idx].Where
	first := len(in.files)
	found := 0
	for pos := 0; in.ctx.Err() == nil; {
		i := bytes.Index(data[pos:], oneNoteFileData)
		if i < 0 {
			break
		}
		start := pos + i + 16
		pos = start
		// cbLength (8), unused (4), reserved (8), then the file data.
		if start+20 > len(data) {
			break
		}
		n := binary.LittleEndian.Uint64(data[start:])
		body := start + 20
		if n > uint64(len(data)-body) {
			in.problem(fmt.Sprintf("undecodable OneNote section at %s: attachment outside the file", where))
			break
		}
		found++
		if !in.member(where, nil, fmt.Sprintf("(embedded file %d)", found), data[body:body+int(n)], depth+1) {
			return
		}
		pos = body + int(n)
	}
	if found == 0 {
		return
	}
	for _, name := range oneNoteNames(data) {
		in.listName(where, name)
	}
	for _, f := range in.files[first:] {
		if typeMatches("executable", f.Exts) {
			in.oneNoteExec = append(in.oneNoteExec, describe(f))
		}
	}
}

// oneNoteNames finds the UTF-16LE strings with a 4-byte byte length before
// them that look like a file name: printable, one line, at most 260
// characters, ending in a dot and an extension.
func oneNoteNames(data []byte) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i+6 <= len(data) && len(out) < maxMembers; i++ {
		n := int(binary.LittleEndian.Uint32(data[i:]))
		if n < 6 || n > 520 || n%2 != 0 || i+4+n > len(data) {
			continue
		}
		if !utf16NameEnd(data[i+4 : i+4+n]) {
			continue
		}
		s := utf16LEString(data[i+4 : i+4+n])
		if !looksLikeFileName(s) || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
		i += 3 + n
	}
	return out
}

// utf16NameEnd is a quick look at the end of a UTF-16LE string, NUL
// terminator allowed: "." and at least one ASCII letter or digit.
func utf16NameEnd(b []byte) bool {
	if b[len(b)-1] == 0 && b[len(b)-2] == 0 {
		b = b[:len(b)-2]
	}
	for k := len(b) - 2; k >= 0 && k >= len(b)-12; k -= 2 {
		if b[k+1] != 0 {
			return false
		}
		if b[k] == '.' {
			return k < len(b)-2
		}
	}
	return false
}

func looksLikeFileName(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || len(s)-dot-1 < 1 || len(s)-dot-1 > 5 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	for _, r := range s[dot+1:] {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// oneNoteFinding is the content verdict about executables in OneNote
// sections, for every recipient.
func oneNoteFinding(list []string) (scan.Finding, bool) {
	if len(list) == 0 {
		return scan.Finding{}, false
	}
	return scan.Finding{Scanner: Name, Category: scan.Content, Rule: RuleOneNoteExec,
		Reason: "OneNote document carries an executable or script: " + evidence(list)}, true
}
