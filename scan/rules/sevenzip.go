package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bodgit/sevenzip"
	"github.com/nwaples/rardecode/v2"
)

// maxDict bounds the decoding dictionary a RAR member may ask for
// (rardecode allocates it): larger ones are a malformed finding.
const maxDict = 64 << 20

// sevenZip inspects the members of a 7z archive held in memory: names are
// checked against file-type rules, content is unpacked within the budget
// and inspected recursively (and sent to the antivirus engines).
func (in *inspector) sevenZip(parent int, data []byte, depth int) {
	where := in.files[parent].Where
	var zr *sevenzip.Reader
	err := check7z(data)
	if err == nil {
		var zr7 *sevenzip.Reader
		zr7, err = sevenzip.NewReader(&ctxReaderAt{in.ctx, bytes.NewReader(data)}, int64(len(data)))
		zr = zr7
	}
	if err != nil {
		if errors.Is(err, errSevenZipEncryptedHeader) || encryptedErr(err) {
			in.files = append(in.files, file{Where: where + " › (encrypted file list)", Exts: map[string]bool{"encrypted": true}, Opaque: "encrypted"})
			return
		}
		in.problem(fmt.Sprintf("undecodable 7z archive at %s: %v", where, err))
		return
	}
	var declared uint64
	for _, zf := range zr.File {
		declared += zf.UncompressedSize
	}
	// Skipping through a solid stream decompresses what is skipped: the
	// declared sizes (which the reader enforces) bound the work, so an
	// archive that declares more than the budget is listed, not unpacked.
	unpack := declared <= uint64(in.budget)
	if !unpack {
		in.problem(fmt.Sprintf("%s (%s declares %d bytes)", errUnpackLimit, where, declared))
	}
	for _, zf := range zr.File {
		if in.ctx.Err() != nil {
			return
		}
		if !in.countMember() {
			return
		}
		if zf.FileInfo().IsDir() {
			continue
		}
		mwhere := where + " › " + cleanName(zf.Name)
		if !unpack || in.budget <= 0 {
			in.listOnly(mwhere, zf.Name, "")
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			if encryptedErr(err) {
				in.listOnly(mwhere, zf.Name, "encrypted")
			} else {
				in.listOnly(mwhere, zf.Name, "")
				in.readError(mwhere, err)
			}
			continue
		}
		in.inspectMember(mwhere, zf.Name, rc, int64(zf.UncompressedSize), depth)
		rc.Close()
	}
}

// errReader remembers the first error of r.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// inspectMember inspects one unpacked member; one that turns out to be
// encrypted when read (7z decrypts with an empty password and fails in
// the decompressor) is listed as opaque instead of malformed.
func (in *inspector) inspectMember(where, name string, r io.Reader, size int64, depth int) {
	n, nf := len(in.problems), len(in.files)
	er := &errReader{r: r}
	in.inspect(where, []string{name}, nil, &budgetReader{er, in}, size, depth)
	if er.err != nil && encryptedErr(er.err) {
		for _, p := range in.problems[n:] {
			delete(in.seen, p)
		}
		in.problems, in.files = in.problems[:n], in.files[:nf]
		in.listOnly(where, name, "encrypted")
	}
}

// encryptedErr reports whether err says the content is encrypted.
func encryptedErr(err error) bool {
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		return true
	}
	return isPasswordErr(err)
}

func isPasswordErr(err error) bool {
	if errors.Is(err, rardecode.ErrArchiveEncrypted) || errors.Is(err, rardecode.ErrArchivedFileEncrypted) {
		return true
	}
	return strings.Contains(strings.ToLower(err.Error()), "password")
}

// rarUnpack unpacks the members of a RAR archive whose names rarList
// already recorded: their content is inspected recursively (and sent to
// the antivirus engines). Encrypted members stay listed only.
func (in *inspector) rarUnpack(where string, data []byte, depth int) {
	rr, err := rardecode.NewReader(&ctxReaderAt{in.ctx, bytes.NewReader(data)}, rardecode.MaxDictionarySize(maxDict))
	if err != nil {
		if !isPasswordErr(err) {
			in.problem(fmt.Sprintf("undecodable RAR archive at %s: %v", where, err))
		}
		return
	}
	for in.ctx.Err() == nil {
		h, err := rr.Next()
		if err != nil {
			if err != io.EOF && !isPasswordErr(err) {
				in.problem(fmt.Sprintf("undecodable RAR archive at %s: %v", where, err))
			}
			return
		}
		if h.IsDir || h.Encrypted {
			continue
		}
		// Next skips the rest of a member; in a solid archive by
		// decompressing it, so the declared size is charged up front.
		if h.UnKnownSize || h.UnPackedSize > in.budget {
			in.problem(fmt.Sprintf("%s (%s › %s)", errUnpackLimit, where, cleanName(h.Name)))
			return
		}
		before := in.budget
		in.inspect(where+" › "+cleanName(h.Name)+" (content)", nil, nil, &budgetReader{rr, in}, h.UnPackedSize, depth)
		in.budget = min(in.budget, before-h.UnPackedSize)
	}
}
