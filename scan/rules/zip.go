package rules

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// zip inspects the members of a zip archive held in memory; parent is the
// index of the archive's own file, which learns Office/Java/Android
// container types from the member names.
func (in *inspector) zip(parent int, data []byte, depth int) {
	where := in.files[parent].Where
	if n, ok := zipEntries(data); ok && n >= maxMembers {
		in.problem(fmt.Sprintf("archive has too many members (%d) at %s", n, where))
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		in.problem(fmt.Sprintf("undecodable zip archive at %s: %v", where, err))
		return
	}
	var declared uint64
	for _, zf := range zr.File {
		declared += zf.UncompressedSize64
	}
	if declared > uint64(in.budget) {
		in.problem(fmt.Sprintf("%s (%s declares %d bytes)", errUnpackLimit, where, declared))
	}
	for _, e := range containerExts(zr.File) {
		in.files[parent].Exts[e] = true
	}
	for _, zf := range zr.File {
		if in.ctx.Err() != nil {
			return
		}
		if in.budget <= 0 {
			in.problem(errUnpackLimit.Error())
			return
		}
		if !in.countMember() {
			return
		}
		if zf.Mode().IsDir() {
			continue
		}
		mwhere := where + " › " + cleanName(zf.Name)
		opaque := ""
		switch {
		case zf.Flags&1 != 0:
			opaque = "encrypted"
		case zf.Method != zip.Store && zf.Method != zip.Deflate:
			opaque = fmt.Sprintf("compression method %d", zf.Method)
		}
		if opaque != "" {
			in.listOnly(mwhere, zf.Name, opaque)
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			in.readError(mwhere, err)
			continue
		}
		in.inspect(mwhere, []string{zf.Name}, nil, &budgetReader{rc, in}, int64(zf.UncompressedSize64), depth)
		rc.Close()
	}
}

// zipEntries reads the entry count of the end-of-central-directory record
// (APPNOTE 4.3.16) without parsing the directory; 0xFFFF (zip64) counts as
// many.
func zipEntries(data []byte) (int, bool) {
	from := max(0, len(data)-(1<<16)-22)
	i := bytes.LastIndex(data[from:], []byte("PK\x05\x06"))
	if i < 0 || from+i+12 > len(data) {
		return 0, false
	}
	return int(binary.LittleEndian.Uint16(data[from+i+10 : from+i+12])), true
}

// containerExts names the zip-based formats by their member names.
func containerExts(files []*zip.File) []string {
	has := map[string]bool{}
	macro := false
	for _, f := range files {
		n := strings.ToLower(f.Name)
		top, _, _ := strings.Cut(n, "/")
		has[n], has[top+"/"] = true, true
		if strings.HasSuffix(n, "vbaproject.bin") {
			macro = true
		}
	}
	var out []string
	if has["[content_types].xml"] {
		for dir, ext := range map[string]string{"word/": "doc", "xl/": "xls", "ppt/": "ppt"} {
			if has[dir] {
				out = append(out, ext+"x")
				if macro {
					out = append(out, ext+"m", "macro")
				}
			}
		}
	}
	if has["meta-inf/manifest.mf"] {
		out = append(out, "jar")
	}
	if has["androidmanifest.xml"] && has["classes.dex"] {
		out = append(out, "apk")
	}
	return out
}
