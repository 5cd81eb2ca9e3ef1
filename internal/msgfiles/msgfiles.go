// Package msgfiles finds the messages named on a command line: single
// message files, directories (recursively) and mbox files, or standard
// input, so that `mailtower scan` and `mailtower learn` read them alike.
package msgfiles

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Message is one message found, or the error that kept it from being read.
type Message struct {
	// Name is the file path; "PATH:N" for the Nth message (from 1) of an
	// mbox holding more than one; "-" for standard input.
	Name string
	// Data is the raw message without an mbox "From " separator line.
	Data []byte
	// Err is set when the message or file could not be read.
	Err error
}

// ErrStop ends a Walk early without an error.
var ErrStop = errors.New("msgfiles: stop")

// Walk calls fn for every message under paths, in order; directories are
// walked recursively in lexical order (symbolic links to files are read,
// links to directories are not followed) and "-" reads standard input. A
// file that cannot be read is reported to fn as a Message with Err, and
// the walk goes on. fn's error ends the walk (ErrStop quietly).
func Walk(paths []string, stdin io.Reader, fn func(Message) error) error {
	for _, p := range paths {
		var err error
		if p == "-" {
			err = readStream("-", stdin, fn)
		} else {
			err = walkPath(p, fn)
		}
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func walkPath(root string, fn func(Message) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fn(Message{Name: path, Err: err})
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// A link to a file is read; links to directories are not
			// followed (loops).
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return fn(Message{Name: path, Err: err})
		}
		defer f.Close()
		return readStream(path, f, fn)
	})
}

// utf8BOM is the byte-order mark some Windows tools write at the start of
// a text file; it is never part of a message (RFC 5322 text is ASCII).
var utf8BOM = []byte("\xEF\xBB\xBF")

// readStream reads one message, or an mbox when the first line starts
// with "From " (RFC 4155). A leading UTF-8 byte-order mark is dropped.
func readStream(name string, r io.Reader, fn func(Message) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	head, err := br.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		return fn(Message{Name: name, Err: err})
	}
	if !bytes.Equal(head, []byte("From ")) {
		data, err := io.ReadAll(br)
		return fn(Message{Name: name, Data: data, Err: err})
	}
	return readMbox(name, br, fn)
}

// mboxSplitter cuts an mbox into messages, one line at a time.
type mboxSplitter struct {
	name    string
	fn      func(Message) error
	msg     []byte
	n       int
	pending bool   // a message has begun
	held    []byte // a "From " line not after an empty line, undecided
}

// readMbox splits an mbox: a line starting with "From " begins a message
// at the start of the file, after an empty line, or (as Python's mailbox
// and MimeKit read it) right after another message's last line when the
// next line is a header field: mbox files written with Content-Length
// headers carry no empty line before the separator. A "From " line in a
// body followed by anything else stays body text. ">From " lines (mboxrd
// quoting, any number of '>') lose one '>'.
func readMbox(name string, br *bufio.Reader, fn func(Message) error) error {
	s := &mboxSplitter{name: name, fn: fn}
	prevEmpty := true
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: keep reading it whole.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			if e := s.line(line, prevEmpty); e != nil {
				return e
			}
			prevEmpty = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if errors.Is(err, io.EOF) {
			s.msg = append(s.msg, s.held...)
			return s.emit(true)
		}
		if err != nil {
			return fn(Message{Name: fmt.Sprintf("%s:%d", name, s.n+1), Err: err})
		}
	}
}

// line takes one line of the mbox (with its line end).
func (s *mboxSplitter) line(line []byte, prevEmpty bool) error {
	if s.held != nil {
		held := s.held
		s.held = nil
		if isFieldLine(line) {
			if err := s.emit(false); err != nil {
				return err
			}
			s.pending = true
		} else {
			s.msg = append(s.msg, held...)
		}
		prevEmpty = false
	}
	switch {
	case bytes.HasPrefix(line, []byte("From ")) && (prevEmpty || !s.pending):
		if err := s.emit(false); err != nil {
			return err
		}
		s.pending = true
	case bytes.HasPrefix(line, []byte("From ")):
		s.held = append([]byte(nil), line...)
	case isQuotedFrom(line):
		s.msg = append(s.msg, line[1:]...)
	default:
		s.msg = append(s.msg, line...)
	}
	return nil
}

// emit hands the message read so far to fn.
func (s *mboxSplitter) emit(last bool) error {
	if !s.pending {
		return nil
	}
	s.n++
	nm := s.name
	if s.n > 1 || !last {
		nm = s.name + ":" + strconv.Itoa(s.n)
	}
	msg := s.msg
	// The empty line before the next separator belongs to the mbox.
	switch {
	case bytes.HasSuffix(msg, []byte("\r\n\r\n")):
		msg = msg[:len(msg)-2]
	case bytes.HasSuffix(msg, []byte("\n\n")):
		msg = msg[:len(msg)-1]
	}
	s.msg = nil
	return s.fn(Message{Name: nm, Data: msg})
}

// isFieldLine reports whether line starts a header field: a name of
// printable US-ASCII without white space, then a colon (RFC 5322 2.2).
func isFieldLine(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case c < 33 || c > 126:
			return false
		}
	}
	return false
}

func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}
