package rules

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ISO 9660 (ECMA-119) images, the "mount and click" containers of
// malware mail: the primary volume descriptor's directory tree and, when
// present, the Joliet tree (the long Unicode names Windows shows) are
// walked; every file is a member. The image is in memory and every
// offset is checked against it; directories are visited once each, so a
// directory that contains itself ends the walk.

const (
	isoSector   = 2048
	isoMaxLevel = 32 // directory nesting walked (ECMA-119 allows 8)
)

// isoDir is a directory still to be read.
type isoDir struct {
	extent, size uint32
	path         string
	level        int
}

// iso inspects the files of an ISO 9660 image held in memory.
func (in *inspector) iso(idx int, data []byte, depth int) {
	where := in.files[idx].Where
	roots, udf := isoRoots(data)
	if len(roots) == 0 {
		if udf {
			in.files[idx].Opaque = "UDF file system not read"
			return
		}
		in.problem(fmt.Sprintf("undecodable ISO image at %s: no volume descriptor", where))
		return
	}
	byExtent := map[uint32]int{} // file extent → index in in.files
	visited := map[uint32]bool{}
	for _, root := range roots {
		queue := []isoDir{root}
		for len(queue) > 0 && in.ctx.Err() == nil {
			d := queue[0]
			queue = queue[1:]
			if visited[d.extent] || d.level > isoMaxLevel {
				continue
			}
			visited[d.extent] = true
			if len(visited) > maxMembers {
				in.problem(fmt.Sprintf("archive members exceed limit (%d)", maxMembers))
				return
			}
			sub, ok := in.isoDir(where, data, d, byExtent, depth)
			if !ok {
				return
			}
			queue = append(queue, sub...)
		}
	}
}

// isoRoots reads the volume descriptors from sector 16 on: the root
// directory of the primary volume (names in ECMA-119 d-characters) and of
// a Joliet supplementary volume (UTF-16BE names). udf reports a UDF
// volume recognition sequence.
func isoRoots(data []byte) (roots []isoDir, udf bool) {
	for s := 16; s < 16+64; s++ {
		off := s * isoSector
		if off+isoSector > len(data) {
			break
		}
		vd := data[off : off+isoSector]
		switch string(vd[1:6]) {
		case "CD001":
		case "BEA01", "NSR02", "NSR03", "TEA01":
			udf = true
			continue
		default:
			return roots, udf
		}
		switch vd[0] {
		case 255: // terminator; UDF descriptors may follow it
			continue
		case 1:
			roots = append(roots, isoRoot(vd, ""))
		case 2:
			if esc := string(vd[88:91]); esc == "%/@" || esc == "%/C" || esc == "%/E" {
				roots = append([]isoDir{isoRoot(vd, "joliet")}, roots...)
			}
		}
	}
	return roots, udf
}

func isoRoot(vd []byte, kind string) isoDir {
	r := vd[156 : 156+34]
	return isoDir{extent: binary.LittleEndian.Uint32(r[2:]), size: binary.LittleEndian.Uint32(r[10:]), path: kind}
}

// isoDir reads the records of one directory: files are inspected (a file
// seen in the other tree only adds its name), subdirectories returned.
func (in *inspector) isoDir(where string, data []byte, d isoDir, byExtent map[uint32]int, depth int) ([]isoDir, bool) {
	start := int64(d.extent) * isoSector
	if start+int64(d.size) > int64(len(data)) {
		in.problem(fmt.Sprintf("undecodable ISO image at %s: directory outside the image", where))
		return nil, false
	}
	joliet := strings.HasPrefix(d.path, "joliet")
	dir := data[start : start+int64(d.size)]
	var sub []isoDir
	for pos := 0; pos < len(dir); {
		n := int(dir[pos])
		if n == 0 { // records do not cross sectors: go on at the next one
			pos = (pos/isoSector + 1) * isoSector
			continue
		}
		if n < 34 || pos+n > len(dir) || 33+int(dir[pos+32]) > n {
			in.problem(fmt.Sprintf("undecodable ISO image at %s: bad directory record", where))
			return nil, false
		}
		r := dir[pos : pos+n]
		pos += n
		raw := r[33 : 33+int(r[32])]
		if len(raw) == 1 && raw[0] <= 1 {
			continue // "." and ".."
		}
		name := isoName(raw, joliet)
		extent, size := binary.LittleEndian.Uint32(r[2:]), binary.LittleEndian.Uint32(r[10:])
		if r[25]&0x02 != 0 {
			sub = append(sub, isoDir{extent: extent, size: size, path: d.path + "/" + name, level: d.level + 1})
			continue
		}
		full := strings.TrimPrefix(strings.TrimPrefix(d.path, "joliet"), "/")
		if full != "" {
			full += "/"
		}
		full += name
		if i, ok := byExtent[extent]; ok && size > 0 {
			for _, e := range nameExts(name) {
				in.files[i].Exts[e] = true
			}
			continue
		}
		off := int64(extent) * isoSector
		if off+int64(size) > int64(len(data)) {
			in.problem(fmt.Sprintf("undecodable ISO image at %s: %s outside the image", where, cleanName(full)))
			return nil, false
		}
		byExtent[extent] = len(in.files)
		if !in.member(where, []string{full}, full, data[off:off+int64(size)], depth+1) {
			return nil, false
		}
	}
	return sub, true
}

// isoName decodes a file identifier: UTF-16BE in a Joliet tree, with
// the version (";1") and an empty extension's dot removed.
func isoName(raw []byte, joliet bool) string {
	name := string(raw)
	if joliet {
		u := make([]uint16, len(raw)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(raw[2*i:])
		}
		name = string(utf16.Decode(u))
	}
	if i := strings.LastIndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	return strings.TrimSuffix(name, ".")
}
