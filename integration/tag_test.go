//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"testing"
)

const spamTag = "*** SPAM *** "

// TestSpamTagged: GTUBE to a domain whose spam action is tag is delivered
// with the Subject tagged exactly once — plain, RFC 2047-encoded (still
// decodable), already tagged (not doubled), absent (added) — with
// mailtower's verdict headers, without the sender's forged ones, and with
// the body unchanged.
func TestSpamTagged(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "tag.test", "--spam-action", "tag")

	cases := []struct {
		name        string
		subject     string // raw header value; "" = no Subject header
		wantDecoded string
	}{
		{"plain", "Cheap watches", spamTag + "Cheap watches"},
		{"RFC 2047 encoded", mime.BEncoding.Encode("utf-8", "Grüße aus Köln – Angebot"), spamTag + "Grüße aus Köln – Angebot"},
		{"RFC 2047 Q, ISO-8859-1", "=?iso-8859-1?q?Tr=E8s_bon_march=E9?=", spamTag + "Très bon marché"},
		{"already tagged", spamTag + "Cheap watches", spamTag + "Cheap watches"},
		{"no subject", "", strings.TrimSpace(spamTag)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rcpt := fmt.Sprintf("user%d@tag.test", i)
			headers := []string{"From: <spammer@sender.example>", "To: <" + rcpt + ">",
				"X-Mailtower-Verdict: clean (forged by the sender)", "X-Mailtower-Score: -999"}
			if c.subject != "" {
				headers = append(headers, "Subject: "+c.subject)
			}
			msg := message(headers, "Buy now.\n"+gtube+"\n")
			e.sendOK(t, "spammer@sender.example", []string{rcpt}, msg)
			got := e.waitDelivered(t, rcpt)

			subj := got.Header("Subject")
			if len(subj) != 1 {
				t.Fatalf("%d Subject headers %q, want 1", len(subj), subj)
			}
			decoded, err := decodeHeader(subj[0])
			if err != nil {
				t.Fatalf("Subject %q no longer decodes: %v", subj[0], err)
			}
			if strings.Contains(decoded, "=?") {
				t.Errorf("Subject %q holds an encoded word that does not decode", subj[0])
			}
			if strings.TrimSpace(decoded) != c.wantDecoded {
				t.Errorf("Subject decodes to %q, want %q (raw %q)", decoded, c.wantDecoded, subj[0])
			}
			if n := strings.Count(decoded, strings.TrimSpace(spamTag)); n != 1 {
				t.Errorf("tag appears %d times in %q, want once", n, decoded)
			}
			checkVerdictHeaders(t, got)
			if !bytes.Equal(got.Body(), bodyOf(msg)) {
				t.Errorf("tagging changed the body:\nsent %q\n got %q", bodyOf(msg), got.Body())
			}
		})
	}
}

// checkVerdictHeaders: one X-Mailtower-Verdict saying spam, a numeric
// X-Mailtower-Score of at least GTUBE's threshold, X-Mailtower-Rules
// naming GTUBE, and none of the sender's forged values.
func checkVerdictHeaders(t *testing.T, got Received) {
	t.Helper()
	verdict := got.Header("X-Mailtower-Verdict")
	if len(verdict) != 1 || !strings.Contains(strings.ToLower(verdict[0]), "spam") {
		t.Errorf("X-Mailtower-Verdict = %q, want one value saying spam", verdict)
	}
	score := got.Header("X-Mailtower-Score")
	if len(score) != 1 {
		t.Errorf("X-Mailtower-Score = %q, want one", score)
	} else if f, err := leadingNumber(score[0]); err != nil || f < 5 {
		t.Errorf("X-Mailtower-Score = %q, want a number >= 5 first", score[0])
	}
	if rules := got.Header("X-Mailtower-Rules"); len(rules) != 1 || !strings.Contains(rules[0], "GTUBE") {
		t.Errorf("X-Mailtower-Rules = %q, want one naming GTUBE", rules)
	}
	for _, h := range []string{"X-Mailtower-Verdict", "X-Mailtower-Score"} {
		for _, v := range got.Header(h) {
			if strings.Contains(v, "forged") || strings.Contains(v, "-999") {
				t.Errorf("forged %s: %s delivered", h, v)
			}
		}
	}
}

// decodeHeader decodes RFC 2047 words in utf-8, iso-8859-1 and us-ascii,
// the charsets the tests send; it fails on anything malformed.
func decodeHeader(s string) (string, error) {
	var d mime.WordDecoder
	return d.DecodeHeader(s)
}

// leadingNumber reads the number a header value starts with ("1000.0",
// "1000.0/5.0", "1000.0 (threshold 5)").
func leadingNumber(v string) (float64, error) {
	f := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '/' || r == ';' || r == ',' })
	if len(f) == 0 {
		return 0, fmt.Errorf("empty")
	}
	return strconv.ParseFloat(f[0], 64)
}
