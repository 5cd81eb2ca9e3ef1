package greylist

import (
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// keyFilter is a Bloom filter: a set that answers "maybe present" or
// "certainly absent". The Greylister keeps one over the keys its store
// holds, so that a triplet or client network seen for the first time —
// the common case under load, since every spam run brings new ones — is
// decided without a store look-up. A false "maybe" costs one look-up.
//
// add and has are safe for concurrent use (atomic word operations).
type keyFilter struct {
	words    []atomic.Uint64
	mask     uint64 // number of bits - 1; the number of bits is a power of two
	seed     maphash.Seed
	capacity int          // keys it was sized for: beyond, false positives grow
	keys     atomic.Int64 // adds that set at least one new bit (≈ distinct keys)
}

// filterHashes is the number of bits per key. With at least
// filterBitsPerKey bits per key (capacity), 7 hashes give fewer than 1%
// false positives.
const (
	filterHashes     = 7
	filterBitsPerKey = 10
)

// newKeyFilter returns an empty filter for capacity keys.
func newKeyFilter(capacity int) *keyFilter {
	capacity = max(capacity, 1024)
	nbits := uint64(1) << bits.Len64(uint64(capacity*filterBitsPerKey-1)) // next power of two
	return &keyFilter{words: make([]atomic.Uint64, nbits/64), mask: nbits - 1,
		seed: maphash.MakeSeed(), capacity: capacity}
}

// probes returns the first bit index and the step of the double-hashing
// sequence (Kirsch and Mitzenmacher) for key.
func (f *keyFilter) probes(key string) (uint64, uint64) {
	h := maphash.String(f.seed, key)
	return h, bits.RotateLeft64(h, 32) | 1
}

// add records key.
func (f *keyFilter) add(key string) {
	h, step := f.probes(key)
	fresh := false
	for range filterHashes {
		i := h & f.mask
		bit := uint64(1) << (i % 64)
		if f.words[i/64].Or(bit)&bit == 0 {
			fresh = true
		}
		h += step
	}
	if fresh {
		f.keys.Add(1)
	}
}

// has reports whether key may have been added; false is certain.
func (f *keyFilter) has(key string) bool {
	h, step := f.probes(key)
	for range filterHashes {
		i := h & f.mask
		if f.words[i/64].Load()&(uint64(1)<<(i%64)) == 0 {
			return false
		}
		h += step
	}
	return true
}

// full reports whether the filter holds more keys than it was sized for.
func (f *keyFilter) full() bool { return f.keys.Load() > int64(f.capacity) }
