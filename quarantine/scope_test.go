package quarantine

import (
	"context"
	"errors"
	"testing"
)

// TestScope is the table of who may see what: a scope reaches its own
// recipients and domains in List and GetScoped, and another recipient's
// message id is ErrNotFound, as if it did not exist.
func TestScope(t *testing.T) {
	s, _ := newStore(t)
	ids := fill(t, s) // bob@a.test (Invoice, Weekly), carol@b.test (Your), dave@a.test (Payroll)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		scope *Scope
		list  string // subjects' first words listed
		get   []bool // GetScoped allowed, per id
	}{
		{"admin (nil scope)", nil, "Payroll Weekly Your Invoice", []bool{true, true, true, true}},
		{"user bob", &Scope{Recipients: []string{"Bob@A.test"}}, "Weekly Invoice", []bool{true, false, true, false}},
		{"user carol", &Scope{Recipients: []string{"carol@b.test"}}, "Your", []bool{false, true, false, false}},
		{"domain admin of a.test", &Scope{Recipients: []string{"admin@c.test"}, Domains: []string{"A.TEST"}},
			"Payroll Weekly Invoice", []bool{true, false, true, true}},
		{"domain admin of b.test", &Scope{Domains: []string{"b.test"}}, "Your", []bool{false, true, false, false}},
		{"empty scope sees nothing", &Scope{}, "", []bool{false, false, false, false}},
		{"unknown user", &Scope{Recipients: []string{"eve@a.test"}}, "", []bool{false, false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := s.List(ctx, Filter{Scope: tc.scope})
			if err != nil {
				t.Fatal(err)
			}
			if got := firstWords(items); got != tc.list {
				t.Errorf("list %q, want %q", got, tc.list)
			}
			if n, _ := s.Count(ctx, Filter{Scope: tc.scope}); n != len(items) {
				t.Errorf("count %d, list %d", n, len(items))
			}
			for i, id := range ids {
				got, err := s.GetScoped(ctx, id, tc.scope)
				if tc.get[i] != (err == nil) {
					t.Errorf("GetScoped(message %d) = %v, want allowed=%v", i, err, tc.get[i])
				}
				if err != nil && !errors.Is(err, ErrNotFound) {
					t.Errorf("GetScoped(message %d): %v, want ErrNotFound", i, err)
				}
				for _, it := range got {
					if !tc.scope.Allows(it.Recipient) {
						t.Errorf("GetScoped(message %d) returned %s outside the scope", i, it.Recipient)
					}
				}
			}
		})
	}
}
