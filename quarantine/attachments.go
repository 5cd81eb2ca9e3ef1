package quarantine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message"
)

// Part is one MIME leaf of a stored message, as `quarantine show` lists it.
type Part struct {
	// Path is the part's position ("1.2" = second part of the first part;
	// "" = the message itself when it is not multipart).
	Path     string `json:"path"`
	Type     string `json:"type"`
	Filename string `json:"filename,omitempty"`
	// Size is the decoded size in bytes (-1 when the body could not be decoded).
	Size int64 `json:"size"`
}

// maxShowDecode bounds the bytes decoded per part while listing.
const maxShowDecode = 256 << 20

// Attachments lists the leaf parts of a message with their type, file
// name and decoded size. It never gives up on bad input: what cannot be
// read is returned as problems, next to what could.
//
// It walks with go-message's Entity.Walk; message/rfc822 parts are listed
// as one part (the content filter, not this listing, looks inside them).
func Attachments(r io.Reader) ([]Part, []string) {
	var problems []string
	e, err := message.Read(bufio.NewReader(r))
	if err != nil && e == nil {
		return nil, []string{"cannot read the MIME structure: " + err.Error()}
	}
	if err != nil {
		problems = append(problems, "top level: "+err.Error())
	}
	var parts []Part
	werr := e.Walk(func(path []int, ent *message.Entity, err error) error {
		p := Part{Path: pathString(path), Size: -1}
		if err != nil {
			problems = append(problems, "part "+orTop(p.Path)+": "+err.Error())
			if ent == nil {
				return nil
			}
		}
		t, params, terr := ent.Header.ContentType()
		if strings.HasPrefix(t, "multipart/") && terr == nil {
			return nil // containers are not listed; Walk visits their parts
		}
		if t == "" {
			t = "text/plain"
		}
		if terr != nil {
			problems = append(problems, "part "+orTop(p.Path)+": Content-Type: "+terr.Error())
		}
		p.Type = t
		_, dparams, _ := ent.Header.ContentDisposition()
		p.Filename = firstNonEmpty(dparams["filename"], params["name"])
		n, err := io.Copy(io.Discard, io.LimitReader(ent.Body, maxShowDecode))
		if err != nil {
			problems = append(problems, "part "+orTop(p.Path)+": body: "+err.Error())
		} else {
			p.Size = n
		}
		parts = append(parts, p)
		return nil
	})
	if werr != nil && !errors.Is(werr, io.EOF) {
		problems = append(problems, "structure: "+werr.Error())
	}
	if len(parts) == 0 && len(problems) == 0 {
		problems = append(problems, "no part at all (an empty multipart)")
	}
	return parts, problems
}

func pathString(path []int) string {
	s := make([]string, len(path))
	for i, n := range path {
		s[i] = fmt.Sprint(n + 1)
	}
	return strings.Join(s, ".")
}

func orTop(p string) string {
	if p == "" {
		return "(top)"
	}
	return p
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
				return d
			}
			return v
		}
	}
	return ""
}

// Header returns the stored message's header block, as stored (at most
// max bytes), for `quarantine show`.
func Header(r io.Reader, max int) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, int64(max)))
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		if strings.TrimRight(line, "\r\n") == "" && (err == nil || line != "") {
			return b.String(), nil
		}
		b.WriteString(line)
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
	}
}
