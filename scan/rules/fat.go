package rules

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// FAT12/16/32 volume images (.img, as Windows mounts them with a double
// click): the directory tree is walked from the boot sector's BIOS
// parameter block; every file is a member named by its long (VFAT) and
// its short name. Cluster chains are followed at most as many steps as
// the volume has clusters, directories are read once each.

// fatVolume is the geometry of a FAT volume held in memory.
type fatVolume struct {
	data        []byte
	clusterSize int
	fatOff      int
	dataOff     int // byte offset of cluster 2
	clusters    int
	bits        int // 12, 16 or 32
	rootOff     int // fixed root directory (FAT12/16)
	rootLen     int
	rootCluster uint32 // FAT32
}

// detectFAT reports a FAT boot sector with a plausible parameter block.
func detectFAT(b []byte) bool {
	if len(b) < 512 || b[510] != 0x55 || b[511] != 0xaa || (b[0] != 0xeb && b[0] != 0xe9) {
		return false
	}
	if string(b[54:57]) != "FAT" && string(b[82:87]) != "FAT32" {
		return false
	}
	_, err := fatGeometry(b)
	return err == nil
}

func fatGeometry(b []byte) (*fatVolume, error) {
	bps := int(binary.LittleEndian.Uint16(b[11:]))
	spc := int(b[13])
	rsv := int(binary.LittleEndian.Uint16(b[14:]))
	nfats := int(b[16])
	rootEnt := int(binary.LittleEndian.Uint16(b[17:]))
	tot := int(binary.LittleEndian.Uint16(b[19:]))
	fatsz := int(binary.LittleEndian.Uint16(b[22:]))
	if tot == 0 {
		tot = int(binary.LittleEndian.Uint32(b[32:]))
	}
	if fatsz == 0 {
		fatsz = int(binary.LittleEndian.Uint32(b[36:]))
	}
	if bps < 512 || bps > 4096 || bps&(bps-1) != 0 || spc == 0 || spc&(spc-1) != 0 || rsv == 0 || nfats == 0 || nfats > 4 || fatsz == 0 {
		return nil, fmt.Errorf("bad parameter block")
	}
	v := &fatVolume{clusterSize: bps * spc, fatOff: rsv * bps}
	rootSectors := (rootEnt*32 + bps - 1) / bps
	first := rsv + nfats*fatsz + rootSectors
	if tot <= first {
		return nil, fmt.Errorf("bad parameter block")
	}
	v.clusters = (tot - first) / spc
	v.rootOff, v.rootLen = (rsv+nfats*fatsz)*bps, rootEnt*32
	v.dataOff = first * bps
	switch {
	case v.clusters < 4085:
		v.bits = 12
	case v.clusters < 65525:
		v.bits = 16
	default:
		v.bits = 32
		v.rootCluster = binary.LittleEndian.Uint32(b[44:])
	}
	return v, nil
}

// next returns the cluster after c in its chain, or 0 at its end.
func (v *fatVolume) next(c uint32) uint32 {
	var n, eoc uint32
	switch v.bits {
	case 12:
		off := v.fatOff + int(c) + int(c)/2
		if off+2 > len(v.data) {
			return 0
		}
		n = uint32(binary.LittleEndian.Uint16(v.data[off:]))
		if c%2 == 1 {
			n >>= 4
		}
		n, eoc = n&0xfff, 0xff8
	case 16:
		off := v.fatOff + 2*int(c)
		if off+2 > len(v.data) {
			return 0
		}
		n, eoc = uint32(binary.LittleEndian.Uint16(v.data[off:])), 0xfff8
	default:
		off := v.fatOff + 4*int(c)
		if off+4 > len(v.data) {
			return 0
		}
		n, eoc = binary.LittleEndian.Uint32(v.data[off:])&0x0fffffff, 0x0ffffff8
	}
	if n < 2 || n >= eoc || int(n) >= v.clusters+2 {
		return 0
	}
	return n
}

// chain reads the clusters from c on, up to limit bytes, at most one pass
// over the volume's clusters.
func (v *fatVolume) chain(c uint32, limit int) []byte {
	var out []byte
	for steps := 0; c >= 2 && steps <= v.clusters && len(out) < limit; steps++ {
		off := v.dataOff + int(c-2)*v.clusterSize
		if off+v.clusterSize > len(v.data) {
			break
		}
		out = append(out, v.data[off:off+v.clusterSize]...)
		c = v.next(c)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// fat inspects the files of a FAT volume image held in memory.
func (in *inspector) fat(idx int, data []byte, depth int) {
	where := in.files[idx].Where
	v, err := fatGeometry(data)
	if err != nil {
		in.problem(fmt.Sprintf("undecodable FAT image at %s: %v", where, err))
		return
	}
	v.data = data
	// Directory bytes are copied out of the image: they are charged to
	// the unpack budget, so chains that overlap cannot multiply the work.
	readDir := func(c uint32) []byte {
		b := v.chain(c, int(max(in.budget, 0)))
		in.budget -= int64(len(b))
		return b
	}
	root := data[min(v.rootOff, len(data)):min(v.rootOff+v.rootLen, len(data))]
	if v.bits == 32 {
		root = readDir(v.rootCluster)
	}
	type dir struct {
		b     []byte
		path  string
		level int
	}
	queue := []dir{{b: root}}
	seen := map[uint32]bool{}
	for len(queue) > 0 && in.ctx.Err() == nil {
		if in.budget <= 0 {
			in.problem(errUnpackLimit.Error())
			return
		}
		d := queue[0]
		queue = queue[1:]
		for _, e := range fatEntries(d.b) {
			full := strings.TrimPrefix(d.path+"/"+e.name, "/")
			if e.dir {
				if !seen[e.cluster] && d.level < isoMaxLevel && len(seen) < maxMembers {
					seen[e.cluster] = true
					queue = append(queue, dir{b: readDir(e.cluster), path: full, level: d.level + 1})
				}
				continue
			}
			if int64(e.size) > in.budget {
				in.problem(fmt.Sprintf("%s (%s › %s)", errUnpackLimit, where, cleanName(full)))
				return
			}
			names := []string{full, e.short}
			if !in.member(where, names, full, v.chain(e.cluster, int(e.size)), depth+1) {
				return
			}
		}
	}
}

// fatEntry is one directory entry.
type fatEntry struct {
	name, short string
	dir         bool
	cluster     uint32
	size        uint32
}

// fatEntries reads the 32-byte entries of a directory, joining VFAT long
// name entries to the short entry after them.
func fatEntries(b []byte) []fatEntry {
	var out []fatEntry
	var long []uint16
	for i := 0; i+32 <= len(b) && len(out) < maxMembers; i += 32 {
		e := b[i : i+32]
		switch {
		case e[0] == 0:
			return out
		case e[0] == 0xe5:
			long = nil
			continue
		case e[11] == 0x0f: // long name piece; pieces come last first
			var part []uint16
			for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
				for k := r[0]; k < r[1]; k += 2 {
					part = append(part, binary.LittleEndian.Uint16(e[k:]))
				}
			}
			long = append(part, long...)
			continue
		case e[11]&0x08 != 0: // volume label
			long = nil
			continue
		}
		// Windows NT keeps an all-lower-case base or extension as flags.
		short, ext := strings.TrimRight(string(e[0:8]), " "), strings.TrimRight(string(e[8:11]), " ")
		if e[12]&0x08 != 0 {
			short = strings.ToLower(short)
		}
		if e[12]&0x10 != 0 {
			ext = strings.ToLower(ext)
		}
		if ext != "" {
			short += "." + ext
		}
		name := short
		if len(long) > 0 {
			for k, c := range long {
				if c == 0 || c == 0xffff {
					long = long[:k]
					break
				}
			}
			name = string(utf16.Decode(long))
		}
		long = nil
		if short == "." || short == ".." {
			continue
		}
		cluster := uint32(binary.LittleEndian.Uint16(e[26:])) | uint32(binary.LittleEndian.Uint16(e[20:]))<<16
		out = append(out, fatEntry{name: name, short: short, dir: e[11]&0x10 != 0, cluster: cluster, size: binary.LittleEndian.Uint32(e[28:])})
	}
	return out
}
