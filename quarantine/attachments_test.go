package quarantine

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/mimewalk"
)

func TestAttachments(t *testing.T) {
	for _, tc := range []struct {
		name, raw    string
		parts        string // path:type:filename:size, space separated
		wantProblems bool
	}{
		{"plain", "Subject: x\r\n\r\nhello\r\n", ":text/plain::7", false},
		{"attachment", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n" +
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.exe\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--b--\r\n", "1:text/plain::2 2:application/octet-stream:a.exe:2", false},
		{"unknown encoding is shown, not hidden", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
			"Content-Type: application/zip; name=z.zip\r\nContent-Transfer-Encoding: x-weird\r\n\r\nPK\r\n--b--\r\n",
			"1:application/zip:z.zip:2", true},
		{"empty multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, problems := Attachments(strings.NewReader(tc.raw), mimewalk.Limits{})
			var got []string
			for _, p := range parts {
				got = append(got, p.Path+":"+p.Type+":"+p.Filename+":"+strconv.FormatInt(p.Size, 10))
			}
			if strings.Join(got, " ") != tc.parts || (len(problems) > 0) != tc.wantProblems {
				t.Fatalf("parts %q problems %q", got, problems)
			}
		})
	}
}
