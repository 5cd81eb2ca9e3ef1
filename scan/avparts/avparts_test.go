package avparts

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/rules"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// fakeAV finds EICAR only when it is the whole content, as a hash
// signature does; it records what it was given.
type fakeAV struct {
	mu      sync.Mutex
	scanned []string
	failOn  string // content that makes the engine fail
}

func (f *fakeAV) Name() string { return "fakeav" }

func (f *fakeAV) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	return f.ScanContent(ctx, msg.Reader(), msg.Size(), msg.Envelope.QueueID)
}

func (f *fakeAV) ScanContent(_ context.Context, r io.Reader, size int64, _ string) ([]scan.Finding, error) {
	b, err := io.ReadAll(r)
	if err != nil || int64(len(b)) != size {
		return nil, errors.New("short read")
	}
	f.mu.Lock()
	f.scanned = append(f.scanned, string(b))
	f.mu.Unlock()
	if f.failOn != "" && string(b) == f.failOn {
		return nil, errors.New("engine broke")
	}
	if strings.TrimRight(string(b), "\r\n") == eicar {
		return []scan.Finding{{Scanner: "fakeav", Category: scan.Virus, Rule: "Eicar-Test", Reason: "virus Eicar-Test found"}}, nil
	}
	return nil, nil
}

var limits = rules.DefaultLimits

func msg(s string) *scan.Message {
	s = strings.ReplaceAll(s, "\n", "\r\n")
	return scan.NewMessage(scan.Envelope{QueueID: "Q1"}, strings.NewReader(s), int64(len(s)))
}

func attachment(name string, data []byte) string {
	return "Content-Type: application/octet-stream; name=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(data) + "\n"
}

func zipOf(t *testing.T, name string, data []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScan(t *testing.T) {
	head := "From: a@example.org\nTo: b@example.net\nSubject: x\nMIME-Version: 1.0\n"
	inner := "Content-Type: multipart/mixed; boundary=\"b2\"\n\n--b2\n" + attachment("e.com", []byte(eicar)) + "--b2--\n"
	nested := head + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: message/rfc822\n" +
		"Content-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte(inner)) + "\n--b1--\n"
	zipped := head + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n" +
		attachment("a.zip", zipOf(t, "dir/e.com", []byte(eicar))) + "--b1--\n"
	twice := head + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n" + attachment("a.bin", []byte("same bytes")) +
		"--b1\n" + attachment("b.bin", []byte("same bytes")) + "--b1--\n"
	tests := []struct {
		name      string
		raw       string
		lim       rules.Limits
		wantWhere string // "" = clean
	}{
		{"plain text", head + "\nhello\n", limits, ""},
		{"EICAR in base64 message/rfc822", nested, limits, "in part 1.1.1 (e.com)"},
		{"EICAR in a zip member", zipped, limits, "in part 1 (a.zip) › dir/e.com"},
		{"zip member past the unpack budget", zipped, rules.Limits{Unpacked: 10, Decoded: 64_000_000, ArchiveDepth: 4}, ""},
		{"identical parts", twice, limits, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			av := &fakeAV{}
			got, err := New(av, tt.lim).Scan(context.Background(), msg(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantWhere == "" && len(got) != 0:
				t.Fatalf("findings %+v, want none", got)
			case tt.wantWhere != "" && (len(got) != 1 || !strings.HasSuffix(got[0].Reason, tt.wantWhere)):
				t.Fatalf("findings %+v, want one ending %q", got, tt.wantWhere)
			}
			seen := map[string]bool{}
			for _, s := range av.scanned {
				if seen[s] {
					t.Errorf("%.40q scanned twice", s)
				}
				seen[s] = true
			}
			if !seen[strings.ReplaceAll(tt.raw, "\n", "\r\n")] {
				t.Error("the raw message was not scanned")
			}
		})
	}
}

func TestRawAndPartFindingOnce(t *testing.T) {
	// The engine finds EICAR in the raw message (a bare EICAR body) and in
	// its only leaf: one finding, the raw message's.
	av := &fakeAV{}
	got, err := New(av, limits).Scan(context.Background(), scan.NewMessage(scan.Envelope{}, strings.NewReader(eicar), int64(len(eicar))))
	if err != nil || len(got) != 1 || got[0].Reason != "virus Eicar-Test found" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestPartErrorIsEngineError(t *testing.T) {
	av := &fakeAV{failOn: "broken part"}
	raw := "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
		attachment("a.bin", []byte("broken part")) + "--b--\n"
	got, err := New(av, limits).Scan(context.Background(), msg(raw))
	if err == nil || !strings.Contains(err.Error(), "part 1 (a.bin)") || got != nil {
		t.Fatalf("got %+v, %v; want an error naming the part", got, err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := New(&fakeAV{}, limits).Scan(ctx, msg("Subject: x\n\nhello\n"))
	if err == nil {
		t.Fatalf("cancelled scan returned %+v and no error", got)
	}
}
