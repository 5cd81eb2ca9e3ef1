package testmail

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
)

// Fixture returns the contents of the test file at path, gunzipped when
// its name ends in .gz (the format samples are stored compressed); it
// fails the test when the file cannot be read.
func Fixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err == nil && strings.HasSuffix(path, ".gz") {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(data)); err == nil {
			data, err = io.ReadAll(zr)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}
