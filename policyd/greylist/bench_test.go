package greylist

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store"
)

// BenchmarkSave measures writing new triplets in the batches the
// Greylister flushes (about 2000), into a table that grows as in a busy
// gateway. ns/op is per triplet.
func BenchmarkSave(b *testing.B) {
	db, err := store.OpenFile(filepath.Join(b.TempDir(), "g.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	st, err := NewSQLStore(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	const batch = 2000
	ts := make([]Triplet, 0, batch)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		ts = ts[:0]
		for j := 0; j < batch && i+j < b.N; j++ {
			n++
			ts = append(ts, Triplet{Client: fmt.Sprintf("10.%d.%d.0/24", n>>16&255, n>>8&255),
				Sender: fmt.Sprintf("s%x@x%d.example", n*7919, n%97), Recipient: fmt.Sprintf("user%d@catch.example", n%1000),
				FirstSeen: now, LastSeen: now, Attempts: 1})
		}
		if err := st.Save(context.Background(), ts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
