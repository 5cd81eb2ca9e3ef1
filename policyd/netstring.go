package policyd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrNetstring marks input that is not a netstring: the stream cannot be
// resynchronised and the connection is closed.
var ErrNetstring = errors.New("bad netstring")

// ReadNetstring reads one netstring "LEN:DATA," (D. J. Bernstein's
// netstrings, as used by Postfix socketmap_table(5)) of at most max
// bytes of data. io.EOF means a clean end before a netstring started.
func ReadNetstring(br *bufio.Reader, max int) ([]byte, error) {
	n, digits := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && digits == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%w: %v", ErrNetstring, err)
		}
		if c == ':' {
			break
		}
		if c < '0' || c > '9' || (digits == 1 && n == 0) {
			// Not a digit, or a leading zero (forbidden by the spec).
			return nil, fmt.Errorf("%w: unexpected byte %q in length", ErrNetstring, c)
		}
		n = n*10 + int(c-'0')
		digits++
		if n > max {
			return nil, fmt.Errorf("%w: length over %d", ErrNetstring, max)
		}
	}
	if digits == 0 {
		return nil, fmt.Errorf("%w: empty length", ErrNetstring)
	}
	data := make([]byte, n+1)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("%w: short data: %v", ErrNetstring, err)
	}
	if data[n] != ',' {
		return nil, fmt.Errorf("%w: missing trailing comma", ErrNetstring)
	}
	return data[:n], nil
}

// WriteNetstring writes data as a netstring and flushes.
func WriteNetstring(w *bufio.Writer, data string) error {
	w.WriteString(strconv.Itoa(len(data)))
	w.WriteByte(':')
	w.WriteString(data)
	w.WriteByte(',')
	return w.Flush()
}
