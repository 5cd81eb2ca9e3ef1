package icap

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http/httputil"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// fakeServer is an in-process ICAP server: it answers OPTIONS with
// options, and RESPMOD by reading the preview (and, after 100 Continue,
// the rest) and writing the reply chosen by answer from the body it got.
type fakeServer struct {
	address string
	options string
	// answer returns the final reply for a body; previewReply, when set,
	// answers the preview instead of 100 Continue.
	answer       func(body []byte) string
	previewReply string
	// discard drops the bodies instead of recording them (benchmarks).
	discard bool

	mu       sync.Mutex
	bodies   [][]byte
	requests []string
}

const fakeOptions = "ICAP/1.0 200 OK\r\nMethods: RESPMOD, REQMOD\r\nPreview: 1024\r\nAllow: 204\r\nOptions-TTL: 3600\r\nEncapsulated: null-body=0\r\n\r\n"

func newFake(t testing.TB, answer func([]byte) string) *fakeServer {
	t.Helper()
	f := &fakeServer{options: fakeOptions, answer: answer}
	f.address = socktest.Serve(t, "tcp", f.serve)
	return f
}

func (f *fakeServer) addr() string { return "icap://" + f.address + "/virus_scan" }

var encRe = regexp.MustCompile(`res-body=(\d+)`)

func (f *fakeServer) serve(c net.Conn) {
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	h := head.String()
	f.mu.Lock()
	f.requests = append(f.requests, h)
	f.mu.Unlock()
	if strings.HasPrefix(h, "OPTIONS ") {
		io.WriteString(c, f.options)
		return
	}
	m := encRe.FindStringSubmatch(h)
	if m == nil {
		io.WriteString(c, "ICAP/1.0 400 Bad Request\r\n\r\n")
		return
	}
	n, _ := strconv.Atoi(m[1])
	if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
		return
	}
	body, ieof := readChunks(br, f.discard)
	if strings.Contains(h, "Preview:") && !ieof {
		if f.previewReply != "" {
			io.WriteString(c, f.previewReply)
			return
		}
		io.WriteString(c, "ICAP/1.0 100 Continue\r\n\r\n")
		rest, _ := readChunks(br, f.discard)
		body = append(body, rest...)
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	io.WriteString(c, f.answer(body))
}

// readChunks reads chunks up to the last one and reports "; ieof"; with
// discard it keeps nothing.
func readChunks(br *bufio.Reader, discard bool) (body []byte, ieof bool) {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return body, false
		}
		size, ext, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil {
			return body, false
		}
		if n == 0 {
			br.ReadString('\n')
			return body, strings.TrimSpace(ext) == "ieof"
		}
		if discard {
			if _, err := io.CopyN(io.Discard, br, n+2); err != nil {
				return body, false
			}
			continue
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return body, false
		}
		body = append(body, buf[:n]...)
	}
}

// virusPage is c-icap virus_scan's answer to EICAR, as recorded from
// c-icap 0.5.10 with clamd_mod.
func virusPage(headers bool) string {
	page := "<html>\n<body>\n<h1>VIRUS FOUND</h1>\n\n\nYou tried to upload/download a file that contains the virus:\n   <b> Eicar-Test.UNOFFICIAL </b>\n<br>\n</body>\n</html>\n"
	var chunked bytes.Buffer
	w := httputil.NewChunkedWriter(&chunked)
	io.WriteString(w, page)
	w.Close()
	chunked.WriteString("\r\n")
	hdr := "HTTP/1.0 403 Forbidden\r\nServer: C-ICAP\r\nContent-Type: text/html\r\n\r\n"
	icap := "ICAP/1.0 200 OK\r\nServer: C-ICAP/0.5.10\r\nConnection: close\r\nISTag: \"CI0001\"\r\n"
	if headers {
		icap += "X-Infection-Found: Type=0; Resolution=2; Threat=Eicar-Test.UNOFFICIAL;\r\n" +
			"X-Violations-Found: 1\r\n\t-\r\n\tEicar-Test.UNOFFICIAL\r\n\t0\r\n\t0\r\n"
	}
	icap += "Encapsulated: res-hdr=0, res-body=" + strconv.Itoa(len(hdr)) + "\r\n\r\n"
	return icap + hdr + chunked.String()
}
