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

// readStream reads one message, or an mbox when the first line starts
// with "From " (RFC 4155).
func readStream(name string, r io.Reader, fn func(Message) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
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

// readMbox splits an mbox: a line starting with "From " at the start of
// the file or after an empty line begins a message; ">From " lines
// (mboxrd quoting, any number of '>') lose one '>'.
func readMbox(name string, br *bufio.Reader, fn func(Message) error) error {
	var msg []byte
	n := 0
	pending := false // a message has begun
	prevEmpty := true
	emit := func(last bool) error {
		if !pending {
			return nil
		}
		n++
		nm := name
		if n > 1 || !last {
			nm = name + ":" + strconv.Itoa(n)
		}
		// The empty line before the next separator belongs to the mbox.
		switch {
		case bytes.HasSuffix(msg, []byte("\r\n\r\n")):
			msg = msg[:len(msg)-2]
		case bytes.HasSuffix(msg, []byte("\n\n")):
			msg = msg[:len(msg)-1]
		}
		err := fn(Message{Name: nm, Data: msg})
		msg = nil
		return err
	}
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
			switch {
			case prevEmpty && bytes.HasPrefix(line, []byte("From ")):
				if err := emit(false); err != nil {
					return err
				}
				pending = true
			case isQuotedFrom(line):
				msg = append(msg, line[1:]...)
			default:
				msg = append(msg, line...)
			}
			prevEmpty = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if errors.Is(err, io.EOF) {
			return emit(true)
		}
		if err != nil {
			return fn(Message{Name: fmt.Sprintf("%s:%d", name, n+1), Err: err})
		}
	}
}

func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}
