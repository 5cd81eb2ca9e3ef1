//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/clamd"
	"github.com/mailtower/mailtower/scan/rspamd"
	"github.com/mailtower/mailtower/scan/spamd"
	"github.com/mailtower/mailtower/settings"
)

// The anti-virus and anti-spam test strings.
const (
	engineEICAR = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
	engineGTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
)

// engineMail builds a plain message with CRLF line ends, as Postfix hands
// it to the milter.
func engineMail(subject, body string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`Received: from mx.example.org (mx.example.org [192.0.2.7])
	by gateway.example.com (Postfix) with ESMTP id ENGTEST1
	for <bob@example.com>; Sun, 22 Nov 2026 05:00:00 +0000 (UTC)
From: Alice Example <alice@example.org>
To: Bob Example <bob@example.com>
Subject: %s
Date: Sun, 22 Nov 2026 05:00:00 +0000
Message-ID: <%d.engines@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

%s
`, subject, time.Now().UnixNano(), body), "\n", "\r\n"))
}

// engineAttachment builds a multipart message carrying data as a base64
// attachment.
func engineAttachment(name string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return []byte(strings.ReplaceAll(fmt.Sprintf(`From: Alice Example <alice@example.org>
To: Bob Example <bob@example.com>
Subject: the file you asked for
Date: Sun, 22 Nov 2026 05:00:00 +0000
Message-ID: <attach.engines@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Here it is.
--b1
Content-Type: application/octet-stream; name="%[1]s"
Content-Disposition: attachment; filename="%[1]s"
Content-Transfer-Encoding: base64

%[2]s
--b1--
`, name, strings.Join(lines, "\n")), "\n", "\r\n"))
}

var engineEnvelope = scan.Envelope{QueueID: "ENGTEST1", ClientAddr: "192.0.2.7", ClientHost: "mx.example.org",
	Helo: "mx.example.org", Sender: "alice@example.org", Recipients: []string{"bob@example.com", "carol@example.com"}}

func engineMessage(raw []byte) *scan.Message {
	return scan.NewMessage(engineEnvelope, bytes.NewReader(raw), int64(len(raw)))
}

// TestEngines scans EICAR, GTUBE and clean mail through the adapters
// against the real clamd, spamd and rspamd, each alone and all together.
func TestEngines(t *testing.T) {
	clamdTCP, clamdUnix := runClamd(t)
	spamdAddr := runSpamd(t)
	rspamdAddr := runRspamd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	clean := engineMail("lunch", "Shall we meet for lunch tomorrow at noon?\nAlice")
	gtube := engineMail("special offer", "Buy now!\n"+engineGTUBE)
	virus := engineAttachment("invoice.com", []byte(engineEICAR))

	t.Run("clamd", func(t *testing.T) {
		tests := []struct {
			name string
			raw  []byte
			want []string // virus names
		}{
			{"clean", clean, nil},
			{"gtube is no virus", gtube, nil},
			{"eicar file", []byte(engineEICAR), []string{"Eicar-Test.UNOFFICIAL"}},
			{"eicar attachment", virus, []string{"Eicar-Test.UNOFFICIAL"}},
		}
		for _, address := range []string{clamdTCP, clamdUnix} {
			s, err := clamd.New(clamd.Options{Address: address, Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range tests {
				t.Run(strings.SplitN(address, ":", 2)[0]+"/"+tt.name, func(t *testing.T) {
					got, err := s.Scan(ctx, engineMessage(tt.raw))
					if err != nil {
						t.Fatal(err)
					}
					var names []string
					for _, f := range got {
						names = append(names, f.Rule)
						if f.Category != scan.Virus || f.Reason != "virus "+f.Rule+" found by ClamAV" {
							t.Errorf("finding %+v", f)
						}
					}
					if !slices.Equal(names, tt.want) {
						t.Errorf("viruses %q, want %q", names, tt.want)
					}
				})
			}
		}
		s, err := clamd.New(clamd.Options{Address: clamdTCP, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("version", func(t *testing.T) {
			v, err := s.Version(ctx)
			if err != nil || !strings.HasPrefix(v, "ClamAV 1.") {
				t.Fatalf("Version = %q, %v", v, err)
			}
			t.Logf("clamd says %s", v)
		})
		t.Run("20 MB streamed", func(t *testing.T) {
			// Random text, then EICAR attached at the very end: a finding
			// proves clamd received the stream up to its last part.
			big := engineBigMail(20<<20, []byte(engineEICAR))
			got, err := s.Scan(ctx, engineMessage(big))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Rule != "Eicar-Test.UNOFFICIAL" {
				t.Errorf("findings %+v, want the EICAR at the end of %d bytes", got, len(big))
			}
		})
		t.Run("over StreamMaxLength", func(t *testing.T) {
			big := engineBigMail(engineStreamMax+1<<20, nil)
			got, err := s.Scan(ctx, engineMessage(big))
			if err == nil {
				t.Fatalf("a %d-byte message over clamd's StreamMaxLength scanned as %v, want an error", len(big), got)
			}
			t.Logf("error, as it must be: %v", err)
		})
	})

	t.Run("spamd", func(t *testing.T) {
		for _, user := range []string{"", "mailtower"} {
			s, err := spamd.New(spamd.Options{Address: spamdAddr, User: user, Timeout: 2 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			t.Run("gtube user="+user, func(t *testing.T) {
				f := engineScanOne(t, ctx, s, gtube)
				if f.Score < 1000 || !slices.Contains(f.Rules, "GTUBE") || !strings.HasSuffix(f.Reason, "(required 5.0)") {
					t.Errorf("finding %+v, want GTUBE's 1000 points", f)
				}
			})
			t.Run("gtube with LF line ends user="+user, func(t *testing.T) {
				// spamd takes the message as it comes; Content-length is
				// its exact byte count either way.
				f := engineScanOne(t, ctx, s, bytes.ReplaceAll(gtube, []byte("\r\n"), []byte("\n")))
				if f.Score < 1000 || !slices.Contains(f.Rules, "GTUBE") {
					t.Errorf("finding %+v, want GTUBE's 1000 points", f)
				}
			})
			t.Run("clean user="+user, func(t *testing.T) {
				f := engineScanOne(t, ctx, s, clean)
				if f.Score >= 5 || slices.Contains(f.Rules, "GTUBE") {
					t.Errorf("finding %+v, want a score below 5", f)
				}
			})
		}
	})

	t.Run("rspamd", func(t *testing.T) {
		s, err := rspamd.New(rspamd.Options{Address: rspamdAddr, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("gtube", func(t *testing.T) {
			f := engineScanOne(t, ctx, s, gtube)
			if f.Score < 15 || !slices.Contains(f.Rules, "GTUBE") || !strings.Contains(f.Reason, "action reject") {
				t.Errorf("finding %+v, want a reject on GTUBE", f)
			}
		})
		t.Run("clean", func(t *testing.T) {
			f := engineScanOne(t, ctx, s, clean)
			if f.Score >= 5 || !strings.Contains(f.Reason, "action no action") {
				t.Errorf("finding %+v, want no action", f)
			}
		})
		t.Run("envelope reaches rspamd", func(t *testing.T) {
			engineScanOne(t, ctx, s, clean)
			logPath, _ := daemonLogs.Load(rspamdAddr)
			want := []string{"qid: <ENGTEST1>", "ip: 192.0.2.7", "from: <alice@example.org>", "rcpts: <bob@example.com,carol@example.com>"}
			if !engineWaitLog(logPath.(string), want) {
				t.Errorf("rspamd's log lacks %q:\n%s", want, daemonLogTail(logPath.(string), 5))
			}
		})
	})

	t.Run("together", func(t *testing.T) {
		var engines []scan.Engine
		for _, mk := range []func() (scan.Scanner, error){
			func() (scan.Scanner, error) { return clamd.New(clamd.Options{Address: clamdTCP}) },
			func() (scan.Scanner, error) { return spamd.New(spamd.Options{Address: spamdAddr}) },
			func() (scan.Scanner, error) { return rspamd.New(rspamd.Options{Address: rspamdAddr}) },
		} {
			s, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			engines = append(engines, scan.Engine{Scanner: s, Timeout: 2 * time.Minute})
		}
		tests := []struct {
			name string
			raw  []byte
			want scan.Category
		}{
			{"clean", clean, scan.Clean},
			{"gtube", gtube, scan.Spam},
			{"eicar", virus, scan.Virus},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rep, err := scan.Run(ctx, engines, engineMessage(tt.raw), nil)
				if err != nil {
					t.Fatal(err)
				}
				for level := 1; level <= 5; level++ {
					v := scan.Decide(rep.Findings, "bob@example.com", settings.SpamThresholds[level], false)
					if v.Category != tt.want {
						t.Errorf("level %d: verdict %s (score %.1f, %s), want %s", level, v.Category, v.Score, v.Reason(), tt.want)
					}
				}
				if len(rep.Durations) != 3 {
					t.Errorf("ran %v, want all three engines", rep.Durations)
				}
				t.Logf("%s: %d findings, took %v", tt.name, len(rep.Findings), rep.Durations)
			})
		}
	})
}

// engineScanOne scans raw with s and returns its only finding.
func engineScanOne(t *testing.T, ctx context.Context, s scan.Scanner, raw []byte) scan.Finding {
	t.Helper()
	got, err := s.Scan(ctx, engineMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("findings %+v, want exactly one", got)
	}
	t.Logf("%s: score %.1f, %s, rules %v", s.Name(), got[0].Score, got[0].Reason, got[0].Rules)
	return got[0]
}

// engineBigMail makes a multipart message with a text part of about size
// bytes of random words in 76-character lines, then attach (if any) as a
// base64 attachment.
func engineBigMail(size int, attach []byte) []byte {
	r := rand.New(rand.NewSource(int64(size)))
	const letters = "abcdefghijklmnopqrstuvwxyz     "
	var b bytes.Buffer
	b.WriteString("From: alice@example.org\r\nTo: bob@example.com\r\nSubject: big\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\n")
	line := make([]byte, 76)
	for b.Len() < size {
		for i := range line {
			line[i] = letters[r.Intn(len(letters))]
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	if attach != nil {
		b.WriteString("--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x.com\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(attach) + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

// engineWaitLog waits up to 10 s for a line of the log that holds every
// one of want (rspamd logs a scan just after answering it).
func engineWaitLog(path string, want []string) bool {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(b), "\n") {
			if engineHasAll(line, want) {
				return true
			}
		}
	}
	return false
}

func engineHasAll(s string, subs []string) bool {
	for _, w := range subs {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
