package quarantine

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

// TestReleaseRescan: the rescan hook sees the stored message; a virus it
// finds refuses the release and turns the entry into a virus entry, and
// --force releases it; a failing rescan refuses unless --force; a clean
// rescan releases.
func TestReleaseRescan(t *testing.T) {
	body := "Subject: cheap pills\r\n\r\nBuy now. PATTERN-X\r\n"
	for _, tc := range []struct {
		name             string
		virus            string
		scanErr          error
		force            bool
		wantErr          error
		wantSent         bool
		wantCat          scan.Category
		wantReason, note string
	}{
		{name: "clean", wantSent: true, wantCat: scan.Spam, wantReason: "spam score 9", note: "scanned again: clean"},
		{name: "virus refused", virus: "Pattern-X.UNOFFICIAL", wantErr: ErrVirus, wantCat: scan.Virus,
			wantReason: "virus Pattern-X.UNOFFICIAL found on rescan before release"},
		{name: "virus forced", virus: "Pattern-X.UNOFFICIAL", force: true, wantSent: true, wantCat: scan.Virus,
			wantReason: "virus Pattern-X.UNOFFICIAL found on rescan before release", note: "(released with --force)"},
		{name: "engine down refused", scanErr: errors.New("clamd: connection refused"), wantErr: ErrRescan,
			wantCat: scan.Spam, wantReason: "spam score 9"},
		{name: "engine down forced", scanErr: errors.New("clamd: connection refused"), force: true, wantSent: true,
			wantCat: scan.Spam, wantReason: "spam score 9", note: "not scanned again (forced)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			id := put(t, s, "s@example.org", "cheap pills", body,
				Recipient{Address: "a@x.test", Category: scan.Spam, Score: 9, Reason: "spam score 9"},
				Recipient{Address: "b@x.test", Category: scan.Spam, Score: 9, Reason: "spam score 9"})
			var seen string
			opt := ReleaseOptions{By: "root", Force: tc.force, Rescan: func(_ context.Context, raw io.Reader) (string, error) {
				b, err := io.ReadAll(raw)
				seen = string(b)
				return tc.virus, errors.Join(err, tc.scanErr)
			}}
			snd := &fakeSender{}
			rel, err := s.Release(context.Background(), snd, id, opt)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if seen != body {
				t.Errorf("rescan saw %q, want the stored message", seen)
			}
			if sent := len(snd.sent) == 1; sent != tc.wantSent {
				t.Fatalf("sent %d copies, want sent=%v", len(snd.sent), tc.wantSent)
			}
			if tc.wantSent && !strings.HasSuffix(snd.sent[0].body, body) {
				t.Errorf("sent %q: the whole message must follow the rescan", snd.sent[0].body)
			}
			if !strings.Contains(rel.Rescan, tc.note) {
				t.Errorf("Rescan %q, want it to contain %q", rel.Rescan, tc.note)
			}
			items, err := s.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.Category != tc.wantCat || it.Reason != tc.wantReason {
					t.Errorf("%s: %s %q, want %s %q", it.Recipient, it.Category, it.Reason, tc.wantCat, tc.wantReason)
				}
			}
		})
	}
}
