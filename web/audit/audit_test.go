package audit

import (
	"context"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store/storetest"
)

func TestRecordAndList(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	l, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for i, e := range []Entry{
		{Actor: "bob@a.test", Action: Login, OK: true},
		{Actor: "bob@a.test", Action: Release, Target: "m1", OK: true},
		{Actor: "eve", Action: LoginFailed, Detail: "password"},
		{Actor: "root", Action: Delete, Target: "m2", OK: true},
		{Actor: "x_y", Action: "quarantine_x"},
	} {
		e.At = base.Add(time.Duration(i) * time.Minute)
		if err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		f    Filter
		want []int64
	}{
		{"all newest first", Filter{}, []int64{5, 4, 3, 2, 1}},
		{"actor", Filter{Actor: "BOB@a.test"}, []int64{2, 1}},
		{"action family", Filter{Action: "quarantine"}, []int64{4, 2}},
		{"login family includes failures", Filter{Action: "login"}, []int64{3, 1}},
		{"failed logins", Filter{Action: "login.failed"}, []int64{3}},
		{"since", Filter{Since: base.Add(3 * time.Minute)}, []int64{5, 4}},
		{"page", Filter{Before: 4, Limit: 2}, []int64{3, 2}},
	} {
		got, err := l.List(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if len(ids) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids, c.want)
			continue
		}
		for i := range ids {
			if ids[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, ids, c.want)
				break
			}
		}
	}
}
