package mimewalk

import (
	"bytes"
	"fmt"
	"strings"
)

// maxUUBlocks bounds the uuencoded files taken from one text part.
const maxUUBlocks = 16

// uuBlock is one uuencoded file: "begin MODE NAME" ... "end".
type uuBlock struct {
	name   string
	data   []byte
	broken bool
	trunc  bool
}

// beginLine reads "begin 644 name" (or "begin-base64 644 name").
func beginLine(line []byte) (name string, b64, ok bool) {
	rest, found := bytes.CutPrefix(line, []byte("begin "))
	if !found {
		if rest, found = bytes.CutPrefix(line, []byte("begin-base64 ")); !found {
			return "", false, false
		}
		b64 = true
	}
	mode, name0, found := bytes.Cut(rest, []byte(" "))
	if !found || len(mode) < 3 || len(mode) > 4 {
		return "", false, false
	}
	for _, c := range mode {
		if c < '0' || c > '7' {
			return "", false, false
		}
	}
	n := strings.TrimSpace(toUTF8(string(name0)))
	return n, b64, n != ""
}

// findUU returns the uuencoded files in a text body, each decoded to at
// most limit bytes. Mail clients (Outlook, Thunderbird) show such blocks
// as attachments, so the filter must see them as files.
func findUU(body []byte, limit int64) []uuBlock {
	var out []uuBlock
	for i := 0; i < len(body) && len(out) < maxUUBlocks; {
		line, next := nextLine(body, i)
		i = next
		name, b64, ok := beginLine(line)
		if !ok {
			continue
		}
		blk := uuBlock{name: name}
		var enc []byte // base64 variant: collected, decoded at the end
		for i < len(body) {
			l, n := nextLine(body, i)
			i = n
			if b64 {
				if string(bytes.TrimSpace(l)) == "====" {
					break
				}
				enc = append(enc, l...)
				continue
			}
			if string(bytes.TrimSpace(l)) == "end" {
				break
			}
			if !uuLine(&blk, l, limit) {
				break
			}
		}
		if b64 {
			d := decodeBase64(enc, limit)
			blk.data, blk.broken, blk.trunc = d.data, d.broken != "", d.truncated
		}
		limit -= int64(len(blk.data))
		out = append(out, blk)
	}
	return out
}

// uuLine decodes one uuencoded line into blk; false ends the block.
func uuLine(blk *uuBlock, l []byte, limit int64) bool {
	if len(l) == 0 {
		return true
	}
	n := int((l[0] - ' ') & 63)
	if n == 0 {
		return true // the "`" line before "end"
	}
	l = l[1:]
	var got int
	// Missing characters at the end of a line are zeros: mail systems
	// strip the trailing spaces that encode them.
	for j := 0; got < n; j += 4 {
		var q [4]byte
		for k := 0; k < 4; k++ {
			c := byte('`')
			if j+k < len(l) {
				c = l[j+k]
			}
			if c < ' ' || c > '`' {
				blk.broken = true
			}
			q[k] = (c - ' ') & 63
		}
		for _, b := range []byte{q[0]<<2 | q[1]>>4, q[1]<<4 | q[2]>>2, q[2]<<6 | q[3]} {
			if got == n {
				break
			}
			if int64(len(blk.data)) >= limit {
				blk.trunc = true
				return false
			}
			blk.data = append(blk.data, b)
			got++
		}
	}
	return true
}

// uuParts adds the uuencoded files of the text part at idx as parts
// P.u1, P.u2, ... (plain text only: HTML does not show them).
func (w *walker) uuParts(idx int) {
	p := w.msg.Parts[idx]
	if p.MediaType != "text/plain" || !bytes.Contains(p.Body, []byte("begin")) {
		return
	}
	for k, blk := range findUU(p.Body, w.decodeBudget()) {
		path := fmt.Sprintf("%s.u%d", p.Path, k+1)
		if p.Path == "" {
			path = fmt.Sprintf("u%d", k+1)
		}
		w.decoded += int64(len(blk.data))
		if blk.broken {
			w.problem(path, "broken uuencode", true)
		}
		if blk.trunc {
			w.problem(path, "decoded size limit exceeded", true)
		}
		if w.addPart(Part{Path: path, Depth: p.Depth, MediaType: "application/octet-stream", Params: map[string]string{},
			Filename: blk.name, Names: []string{blk.name}, Body: blk.data, Truncated: blk.trunc, Attachment: true}) < 0 {
			return
		}
	}
}
