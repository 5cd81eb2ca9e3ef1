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

// TestPolicySettingsFormValues: what the portal's forms show (Value) and
// offer (Choices) is what Set reads back.
func TestPolicySettingsFormValues(t *testing.T) {
	p := Policy{SpamLevel: 4, SpamAction: ActionTag, VirusAction: ActionDelete, ContentAction: ActionPass,
		MaxSize: 10_000_000, NotifyVirus: NotifyBoth, Admin: "root@example.com"}
	for _, s := range PolicySettings {
		var o Overrides
		if err := s.Set(&o, s.Value(p)); err != nil {
			t.Errorf("%s: Set(Value %q): %v", s.Name, s.Value(p), err)
		} else if got := Resolve(Policy{}, &Domain{Overrides: o}, nil); s.Value(got.Policy) != s.Value(p) {
			t.Errorf("%s: %q does not round-trip: %q", s.Name, s.Value(p), s.Value(got.Policy))
		}
		for _, c := range s.Choices {
			if err := s.Set(&o, c); err != nil {
				t.Errorf("%s: choice %q refused: %v", s.Name, c, err)
			}
		}
	}
	if len(PolicySettings[0].Choices) != 5 || PolicySettings[0].Value(p) != "4" {
		t.Errorf("spam-level: choices %v, value %q", PolicySettings[0].Choices, PolicySettings[0].Value(p))
	}
}
