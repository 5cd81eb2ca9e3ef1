package settings

import (
	"reflect"
	"testing"
)

// Every override has exactly one descriptor: a field added to Overrides
// without its line in PolicySettings fails here.
func TestPolicySettingsCoverOverrides(t *testing.T) {
	valid := map[string]string{"spam-level": "4", "spam-action": "tag", "virus-action": "delete",
		"content-action": "pass", "max-size": "10MB", "notify-virus": "both", "admin": "Root@Example.COM"}
	var o Overrides
	for _, s := range PolicySettings {
		if err := s.Set(&o, valid[s.Name]); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
	}
	v := reflect.ValueOf(o)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsNil() {
			t.Errorf("Overrides.%s has no PolicySetting", v.Type().Field(i).Name)
		}
	}
	if len(PolicySettings) != v.NumField() {
		t.Errorf("%d settings for %d overrides", len(PolicySettings), v.NumField())
	}
	r := Resolve(base, &Domain{Overrides: o}, nil)
	want := map[string]string{"spam-level": "4 (strict (score >= 3.5))", "spam-action": "tag", "virus-action": "delete",
		"content-action": "pass", "max-size": "10MB", "notify-virus": "both", "admin": "root@example.com"}
	for _, s := range PolicySettings {
		if got := s.Show(r.Policy); got != want[s.Name] || r.Sources[s.Name] != FromDomain {
			t.Errorf("%s = %q from %s; want %q from domain", s.Name, got, r.Sources[s.Name], want[s.Name])
		}
		s.Clear(&o)
	}
	if o != (Overrides{}) {
		t.Errorf("Clear left %+v", o)
	}
}

// Bad values are refused with the reason.
func TestPolicySettingsRefuse(t *testing.T) {
	for name, bad := range map[string]string{"spam-level": "9", "spam-action": "reject", "virus-action": "pass",
		"max-size": "0", "notify-virus": "sender", "admin": "nobody"} {
		for _, s := range PolicySettings {
			if s.Name == name {
				var o Overrides
				if err := s.Set(&o, bad); err == nil {
					t.Errorf("%s %q accepted", name, bad)
				}
			}
		}
	}
}
