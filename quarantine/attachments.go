package quarantine

import (
	"bufio"
	"io"
	"strings"

	"github.com/mailtower/mailtower/mimewalk"
)

// Part is one MIME entity of a stored message, as `quarantine show` lists it.
type Part struct {
	// Path is the part's position as mimewalk numbers it ("1.2" = second
	// part of the first part; "" = the message itself when it is not
	// multipart; "2.1" = the message inside a message/rfc822 part 2).
	Path     string `json:"path"`
	Type     string `json:"type"`
	Filename string `json:"filename,omitempty"`
	// Size is the decoded size in bytes; Truncated says the decoding
	// stopped at a limit (the part is larger).
	Size      int64 `json:"size"`
	Truncated bool  `json:"truncated,omitempty"`
	// Attachment is set for parts a mail client shows as a file.
	Attachment bool `json:"attachment,omitempty"`
}

// Attachments lists the leaf parts of a message with their type, file
// name and decoded size, walked with mimewalk (the content filter's
// walker, so the listing shows what was inspected) within lim. It never
// gives up on bad input: every irregularity comes back as a problem, and
// "(malformed)" marks those the content filter treats as malformed.
func Attachments(r io.Reader, lim mimewalk.Limits) ([]Part, []string) {
	m, err := mimewalk.Walk(r, lim)
	if err != nil {
		return nil, []string{"cannot read the message: " + err.Error()}
	}
	var parts []Part
	for _, p := range m.Parts {
		if strings.HasPrefix(p.MediaType, "multipart/") {
			continue // containers: their parts are listed
		}
		parts = append(parts, Part{Path: p.Path, Type: p.MediaType, Filename: p.Filename, Size: int64(len(p.Body)),
			Truncated: p.Truncated, Attachment: p.Attachment})
	}
	var problems []string
	for _, p := range m.Problems {
		s := "part " + orTop(p.Path) + ": " + p.Reason
		if p.Malformed {
			s += " (malformed)"
		}
		problems = append(problems, s)
	}
	if len(parts) == 0 && len(problems) == 0 {
		problems = append(problems, "no part at all (an empty multipart)")
	}
	return parts, problems
}

func orTop(p string) string {
	if p == "" {
		return "(top)"
	}
	return p
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
