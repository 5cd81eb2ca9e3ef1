package milter

import (
	"fmt"
	"testing"

	milter "github.com/d--j/go-milter"
)

// TestServerHeaderFieldsNeedNoReply: the listener tells the MTA not to
// wait for a reply to each header field (a round trip per field with
// Postfix), and still refuses a message with more fields than the limit,
// with 552 at the end of the message.
func TestServerHeaderFieldsNeedNoReply(t *testing.T) {
	f := newFixture(t)
	const limit = 20
	srv, err := Listen(f.filter, ServerOptions{Network: "tcp", Address: "127.0.0.1:0",
		MaxMemory: 200 << 10, MaxBody: 1 << 30, MaxHeaders: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	client := milter.NewClient("tcp", srv.Addr(), milter.WithActions(milter.AllClientSupportedActionMasks))
	for _, c := range []struct {
		fields int
		want   string // "" = accepted
	}{{limit, ""}, {limit + 1, "552 5.3.4 Maximum allowed header lines (20) exceeded."}, {limit + 50, "552 5.3.4 Maximum allowed header lines (20) exceeded."}} {
		t.Run(fmt.Sprint(c.fields, " fields"), func(t *testing.T) {
			s, err := client.Session(milter.NewMacroBag())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !s.ProtocolOption(milter.OptNoHeaderReply) {
				t.Error("negotiated a reply to every header field (OptNoHeaderReply not set)")
			}
			act, err := headerMessage(s, c.fields)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.want == "" && act.Type != milter.ActionAccept && act.Type != milter.ActionContinue:
				t.Errorf("%d fields: action %v %q, want accepted", c.fields, act.Type, act.SMTPReply)
			case c.want != "" && (act.Type != milter.ActionRejectWithCode || act.SMTPReply != c.want):
				t.Errorf("%d fields: action %v %q, want %q", c.fields, act.Type, act.SMTPReply, c.want)
			}
		})
	}
}

// headerMessage sends one message with n header fields (From, To,
// Subject, Date, Message-ID, then X-Filler fields) through s.
func headerMessage(s *milter.ClientSession, n int) (*milter.Action, error) {
	if _, err := s.Conn("client.example", milter.FamilyInet, 25, "192.0.2.1"); err != nil {
		return nil, err
	}
	if _, err := s.Helo("client.example"); err != nil {
		return nil, err
	}
	if _, err := s.Mail("<sender@example.org>", ""); err != nil {
		return nil, err
	}
	if _, err := s.Rcpt("<bob@pass.test>", ""); err != nil {
		return nil, err
	}
	if _, err := s.DataStart(); err != nil {
		return nil, err
	}
	fields := [][2]string{{"From", " sender@example.org"}, {"To", " bob@pass.test"}, {"Subject", " fields"},
		{"Date", " Sun, 22 Nov 2026 06:00:00 +0000"}, {"Message-ID", " <fields@example.org>"}}
	for i := len(fields); i < n; i++ {
		fields = append(fields, [2]string{"X-Filler", fmt.Sprint(" ", i)})
	}
	for _, h := range fields[:n] {
		act, err := s.HeaderField(h[0], h[1], nil)
		if err != nil {
			return nil, err
		}
		if act.Type != milter.ActionContinue {
			return act, nil // refused at this field
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		return nil, err
	}
	if _, err := s.BodyChunk([]byte("hello\r\n")); err != nil {
		return nil, err
	}
	_, act, err := s.End()
	return act, err
}
