//go:build integration

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Reply is the SMTP server's answer that ended a transaction: the reply to
// the end of DATA, or the first command that was refused.
type Reply struct {
	Stage string // "connect", "MAIL", "RCPT", "DATA" or "end of DATA"
	Code  int
	Text  string
}

func (r Reply) String() string { return fmt.Sprintf("%s: %d %s", r.Stage, r.Code, r.Text) }

// Accepted reports a 2xx reply at the end of DATA.
func (r Reply) Accepted() bool { return r.Stage == "end of DATA" && r.Code/100 == 2 }

// send delivers one message to addr and returns the server's reply. A
// refusal is a Reply, not an error: errors are for broken connections.
func send(addr, from string, to []string, data []byte) (Reply, error) {
	awaitSettingsVisible()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return Reply{Stage: "connect"}, fmt.Errorf("send to %s: %w", addr, err)
	}
	c := smtp.NewClient(conn)
	// Bounds on a hung server; scanning with spamd on a loaded machine
	// takes seconds, not minutes.
	c.CommandTimeout, c.SubmissionTimeout = 3*time.Minute, 3*time.Minute
	defer c.Close()
	if err := c.Hello("sender.example"); err != nil {
		return refusal("EHLO", err)
	}
	if err := c.Mail(from, nil); err != nil {
		return refusal("MAIL", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return refusal("RCPT", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return refusal("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return Reply{Stage: "DATA"}, fmt.Errorf("send to %s: write: %w", addr, err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return refusal("end of DATA", err)
	}
	_ = c.Quit()
	return Reply{Stage: "end of DATA", Code: 250, Text: resp.StatusText}, nil
}

// refusal turns an SMTP error reply into a Reply; anything else is an error.
func refusal(stage string, err error) (Reply, error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		text := se.Message
		// go-smtp splits the enhanced status code (RFC 3463) off the text;
		// keep it, tests check it.
		if c := se.EnhancedCode; c != smtp.NoEnhancedCode && c != (smtp.EnhancedCode{}) {
			text = fmt.Sprintf("%d.%d.%d %s", c[0], c[1], c[2], text)
		}
		return Reply{Stage: stage, Code: se.Code, Text: text}, nil
	}
	return Reply{Stage: stage}, fmt.Errorf("%s: %w", stage, err)
}

// message builds an RFC 5322 message with CRLF line ends from header
// lines ("Name: value") and a body; Date and Message-ID are added when
// missing so that spamd does not score the message for their absence.
func message(headers []string, body string) []byte {
	var b strings.Builder
	has := func(name string) bool {
		for _, h := range headers {
			if strings.HasPrefix(strings.ToLower(h), strings.ToLower(name)+":") {
				return true
			}
		}
		return false
	}
	if !has("Date") {
		b.WriteString("Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n")
	}
	if !has("Message-ID") {
		fmt.Fprintf(&b, "Message-ID: <%d.it@sender.example>\r\n", time.Now().UnixNano())
	}
	if !has("MIME-Version") {
		b.WriteString("MIME-Version: 1.0\r\n")
	}
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

// bodyOf returns the bytes after a message's header.
func bodyOf(msg []byte) []byte {
	_, body, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	return body
}

// gtube is SpamAssassin's spam test string; spamd scores it 1000.
const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
