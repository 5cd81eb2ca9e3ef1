package rules

import (
	"fmt"
	"path"
	"strings"
)

// member inspects one file cut out of a container held in memory (an
// ISO image, a TNEF blob, a PDF's or OneNote's embedded file): it counts
// as an archive member and its bytes are charged to the unpack budget.
// names are the names the container gives it, label replaces them in
// where when there are none ("embedded file 1").
func (in *inspector) member(parent string, names []string, label string, data []byte, depth int) bool {
	if in.ctx.Err() != nil {
		return false
	}
	if !in.countMember() {
		return false
	}
	if int64(len(data)) > in.budget {
		in.problem(fmt.Sprintf("%s (%s › %s)", errUnpackLimit, parent, label))
		in.budget = 0
		return false
	}
	in.budget -= int64(len(data))
	if data == nil {
		data = []byte{} // an empty file, not a stream (inspect's nil data)
	}
	where := parent + " › " + label
	if len(names) > 0 && names[0] != "" {
		where = parent + " › " + cleanName(names[0])
	}
	in.inspect(where, names, data, nil, int64(len(data)), depth)
	return true
}

// listName records a file name a container mentions without content
// (a OneNote or PDF attachment name): block-filetype rules see its
// extension.
func (in *inspector) listName(parent, name string) {
	if !in.countMember() {
		return
	}
	f := file{Where: parent + " › " + cleanName(path.Base(strings.ReplaceAll(name, "\\", "/"))), Exts: map[string]bool{}}
	for _, e := range nameExts(name) {
		f.Exts[e] = true
	}
	in.files = append(in.files, f)
}

// countMember counts one more archive member of the message: false, with
// the problem recorded, once there are more than maxMembers.
func (in *inspector) countMember() bool {
	if in.members++; in.members > maxMembers {
		in.problem(fmt.Sprintf("archive members exceed limit (%d)", maxMembers))
		return false
	}
	return true
}

// listOnly records a member whose content was not read; opaque says why
// ("encrypted", "compression method 14", or "" when it was not tried).
func (in *inspector) listOnly(where, name, opaque string) {
	f := file{Where: where, Exts: map[string]bool{}, Opaque: opaque}
	for _, e := range nameExts(name) {
		f.Exts[e] = true
	}
	if opaque == "encrypted" {
		f.Exts["encrypted"] = true
	}
	in.files = append(in.files, f)
}
