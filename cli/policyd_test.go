package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRuleImportGreylistAliasCommands(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "example.com", "--relay", "mx.example.net")
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(users, []byte("# staff\nalice@example.com\nBob@Example.com\nalice@example.com\nx@other.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string // substrings of the output
		code int      // exit code; 0 = success
	}{
		{[]string{"user", "import", users, "--domain", "example.com"},
			[]string{"2 users added to example.com, 2 lines skipped", "line 4: alice@example.com: duplicate of line 2", "line 5: x@other.example: not an address of example.com"}, 0},
		{[]string{"user", "import", users}, []string{"--domain D is required"}, 2},
		{[]string{"user", "import", "/nonexistent", "--domain", "example.com"}, []string{"/nonexistent"}, 1},
		{[]string{"rule", "add", "global", "--block-ip", "198.51.100.7/24", "--comment", "botnet"}, []string{"rule 1 added: global block-ip 198.51.100.0/24"}, 0},
		{[]string{"rule", "add", "bob@example.com", "--allow-sender", "@Shop.example"}, []string{"rule 2 added: bob@example.com allow-sender @shop.example"}, 0},
		{[]string{"rule", "add", "example.com", "--block-content", "(?i)viagra"}, []string{"rule 3 added"}, 0},
		{[]string{"rule", "add", "example.com", "--block-sender", "a@b.example", "--block-ip", "192.0.2.1"}, []string{"exactly one of"}, 2},
		{[]string{"rule", "add", "example.com"}, []string{"give exactly one of"}, 2},
		{[]string{"rule", "add", "example.com", "--block-ip", "nonsense"}, []string{`"nonsense"`}, 2},
		{[]string{"rule", "add", "unknown.example", "--block-ip", "192.0.2.1"}, []string{"unknown.example"}, 1},
		{[]string{"rule", "list"}, []string{"198.51.100.0/24", "botnet", "@shop.example", "(?i)viagra"}, 0},
		{[]string{"rule", "list", "--kind", "nope"}, []string{`--kind "nope"`}, 2},
		{[]string{"rule", "remove", "3"}, []string{"rule 3 removed"}, 0},
		{[]string{"rule", "remove", "3"}, []string{"rule 3: not found"}, 1},
		{[]string{"rule", "remove", "x"}, []string{`"x" is not a rule id`}, 2},
		{[]string{"greylist", "allow", "203.0.113.9", "192.0.2.0/24", "--comment", "partner"},
			[]string{"203.0.113.9/32 allowed", "192.0.2.0/24 allowed"}, 0},
		{[]string{"greylist", "allow", "bogus"}, []string{`"bogus"`}, 2},
		{[]string{"greylist", "list"}, []string{"192.0.2.0/24", "partner"}, 0},
		{[]string{"greylist", "allow", "--remove", "203.0.113.9"}, []string{"203.0.113.9/32 no longer allowed"}, 0},
		{[]string{"greylist", "allow", "--remove", "203.0.113.9"}, []string{"not found"}, 1},
		{[]string{"greylist", "clear"}, []string{"--all"}, 2},
		{[]string{"greylist", "clear", "--client", "192.0.2.1"}, []string{"cleared 0 greylist entries (192.0.2.1)"}, 0},
		{[]string{"alias", "add", "sales@example.com", "--target", "alice@example.com"}, []string{"alias sales@example.com added"}, 0},
		{[]string{"alias", "add", "sales@nowhere.example"}, []string{"nowhere.example"}, 1},
		{[]string{"alias", "list"}, []string{"sales@example.com", "alice@example.com"}, 0},
		{[]string{"alias", "remove", "Sales@Example.com"}, []string{"alias sales@example.com removed"}, 0},
		{[]string{"alias", "remove", "sales@example.com"}, []string{"not found"}, 1},
	} {
		out, err := run(t, cfg, tc.args...)
		code := 0
		if err != nil {
			code = 1
			var ec *exitCodeError
			if errors.As(err, &ec) {
				code = ec.code
			}
			out += err.Error()
		}
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	var rules []struct {
		ID    int64  `json:"id"`
		Kind  string `json:"kind"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, cfg, "rule", "list", "bob@example.com", "--json")), &rules); err != nil ||
		len(rules) != 1 || rules[0].Kind != "allow-sender" {
		t.Errorf("rule list bob@example.com --json: %+v %v", rules, err)
	}
	var gl greylistView
	if err := json.Unmarshal([]byte(mustRun(t, cfg, "greylist", "list", "--json")), &gl); err != nil ||
		len(gl.Allowed) != 1 || gl.Triplets == nil {
		t.Errorf("greylist list --json: %+v %v", gl, err)
	}
}
