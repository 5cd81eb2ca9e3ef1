package rules

import (
	"context"

	"github.com/mailtower/mailtower/mimewalk"
)

// EachFile calls fn with the decoded content of every leaf of m (every
// reading of its structure, text parts included) and of every archive
// member inside them, opened as the content filter opens archives: within
// lim's unpack budget and nesting depth and the member count limit. Members
// past a limit are skipped (the content filter reports the message as
// malformed for them). where names the file as in the content filter's
// reasons: "part 2 (a.zip) › dir/setup.exe". fn returning false stops the
// walk, and so does ctx.
func EachFile(ctx context.Context, m *mimewalk.Message, lim Limits, fn func(where string, data []byte) bool) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	in := newInspector(ctx, lim)
	in.emit = func(where string, data []byte) {
		if !fn(where, data) {
			stop()
		}
	}
	for _, p := range m.Parts {
		if ctx.Err() != nil {
			return
		}
		if p.Body != nil {
			in.inspect(partWhere(p), p.Names, p.Body, nil, int64(len(p.Body)), 0)
		}
	}
}

// newInspector starts the inspection of one message within lim.
func newInspector(ctx context.Context, lim Limits) *inspector {
	decoded := int64(lim.Decoded)
	if decoded <= 0 {
		decoded = mimewalk.DefaultMaxPartBytes
	}
	return &inspector{ctx: ctx, budget: int64(lim.Unpacked), maxDepth: lim.ArchiveDepth,
		bufCap: min(int64(lim.Unpacked), decoded)}
}
