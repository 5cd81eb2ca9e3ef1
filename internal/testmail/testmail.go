// Package testmail builds the hostile attachments that tests of the
// content filter send: a disguised Windows executable, zip archives, and
// base64 bodies wrapped as mailers wrap them. It is imported by tests only.
package testmail

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// PE returns the first kilobyte of a Windows executable (MZ header and
// PE signature); dll sets the DLL characteristic.
func PE(dll bool) []byte {
	b := make([]byte, 1024)
	copy(b, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	ch := uint16(0x0102)
	if dll {
		ch |= 0x2000
	}
	binary.LittleEndian.PutUint16(b[0x80+22:], ch)
	copy(b[0x200:], "This program cannot be run in DOS mode.")
	return b
}

// Zip returns a zip archive holding one file.
func Zip(name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		panic("testmail: zip in memory: " + err.Error()) // cannot happen with a bytes.Buffer
	}
	return buf.Bytes()
}

// Base64Lines encodes data as base64 in lines of 76 characters, each
// ended by eol.
func Base64Lines(data []byte, eol string) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + eol)
		enc = enc[76:]
	}
	b.WriteString(enc + eol)
	return b.String()
}
