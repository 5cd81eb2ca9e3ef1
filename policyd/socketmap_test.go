package policyd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/settings"
)

func TestSocketmapLookup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct{ req, want string }{
		{"domains valid.example", "OK valid.example"},
		{"domains VALID.example.", "OK valid.example"},
		{"domains other.example", "NOTFOUND "},
		{"domains .valid.example", "NOTFOUND "},
		{"domains a@valid.example", "NOTFOUND "},
		{"transport valid.example", "OK smtp:[mx.valid.example]:25"},
		{"transport catch.example", "OK smtp:[10.0.0.1]:2525"},
		{"transport bob@valid.example", "OK smtp:[mx.valid.example]:25"}, // Postfix asks with the address
		{"transport anyone@Catch.Example", "OK smtp:[10.0.0.1]:2525"},
		{"transport x@other.example", "NOTFOUND "},
		{"transport *", "NOTFOUND "},
		{"transport other.example", "NOTFOUND "},
		{"recipients bob@valid.example", "OK OK"},
		{"recipients bob+x@valid.example", "OK OK"},
		{`recipients "Bob"@valid.example`, "OK OK"}, // quoted dot-atom: the same user
		{`transport "bob"@valid.example`, "OK smtp:[mx.valid.example]:25"},
		{"recipients sales@valid.example", "OK OK"},
		{"recipients nobody@valid.example", "NOTFOUND "},
		{"recipients @valid.example", "NOTFOUND "},
		{"recipients anyone@catch.example", "OK OK"},
		{"recipients @catch.example", "OK OK"},
		// A callout domain's recipients are checked by the policy daemon.
		{"recipients anyone@callout.example", "OK OK"},
		{"recipients @callout.example", "NOTFOUND "},
		{"recipients x@other.example", "NOTFOUND "},
		{"recipients postmaster", "NOTFOUND "},
		{"virtual x@y", `PERM unknown map "virtual"`},
		{"domains", `PERM want "name key"`},
		{"domains ", `PERM want "name key"`},
	} {
		if got := f.d.Socketmap.Lookup(ctx, []byte(tc.req)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.req, got, tc.want)
		}
	}
}

func TestSocketmapSeesNewDomainWithoutRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if got := f.d.Socketmap.Lookup(ctx, []byte("domains new.example")); got != "NOTFOUND " {
		t.Fatalf("before: %q", got)
	}
	if err := f.st.AddDomain(ctx, settings.Domain{Name: "new.example", Relay: "[192.0.2.80]"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
	if got := f.d.Socketmap.Lookup(ctx, []byte("transport new.example")); got != "OK smtp:[192.0.2.80]" {
		t.Fatalf("after add: %q", got)
	}
}

func TestSocketmapConnection(t *testing.T) {
	f := newFixture(t)
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.d.Socketmap.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for _, tc := range []struct{ send, want string }{
		{"21:domains valid.example,", "OK valid.example"},
		{"23:transport valid.example,", "OK smtp:[mx.valid.example]:25"},
		{"31:recipients nobody@valid.example,", "NOTFOUND "},
		{"x:junk,", "PERM malformed netstring"},
	} {
		io.WriteString(c, tc.send)
		got, err := ReadNetstring(br, 1000)
		if err != nil || string(got) != tc.want {
			t.Fatalf("%q: got %q, %v; want %q", tc.send, got, err, tc.want)
		}
	}
	if _, err := ReadNetstring(br, 1000); !errors.Is(err, io.EOF) && !errors.Is(err, ErrNetstring) {
		t.Fatalf("connection should be closed after a framing error: %v", err)
	}
}

func TestReadNetstring(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"5:hello,", "hello", nil},
		{"0:,", "", nil},
		{"", "", io.EOF},
		{"05:hello,", "", ErrNetstring},
		{":x,", "", ErrNetstring},
		{"5:hello;", "", ErrNetstring},
		{"5:hel", "", ErrNetstring},
		{"99999999999:x", "", ErrNetstring},
		{"-1:x,", "", ErrNetstring},
		{"3", "", ErrNetstring},
	} {
		got, err := ReadNetstring(bufio.NewReader(strings.NewReader(tc.in)), 100)
		if !errors.Is(err, tc.err) || (err == nil && string(got) != tc.want) {
			t.Errorf("%q: got %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// With the settings unreadable (the database down), the routing and TLS
// tables answer with what they knew, so that queued mail keeps going out;
// recipients, and domains never looked up, get TEMP: new mail waits.
func TestSocketmapRoutesFromCacheWhileSettingsUnreadable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.verifyTLS(ctx, "valid.example")
	for _, req := range []string{"transport valid.example", "domains valid.example", "domains other.example", "tls valid.example"} {
		f.d.Socketmap.Lookup(ctx, []byte(req))
	}
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Second) // past the cached generation
	for _, tc := range []struct{ req, want string }{
		{"transport bob@valid.example", "OK smtp:[mx.valid.example]:25"},
		{"domains valid.example", "OK valid.example"},
		{"domains other.example", "NOTFOUND "},
		{"tls [mx.valid.example]", "OK verify"},
		{"domains catch.example", "TEMP settings look-up failed"},
		{"recipients bob@valid.example", "TEMP settings look-up failed"},
	} {
		if got := f.d.Socketmap.Lookup(ctx, []byte(tc.req)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.req, got, tc.want)
		}
	}
}
