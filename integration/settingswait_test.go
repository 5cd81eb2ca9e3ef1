//go:build integration

package integration

import (
	"slices"
	"sync/atomic"
	"time"
)

// settingsVisibleAfter is how long a settings change takes, at most, to
// reach a running gateway: the daemons read the settings generation at
// most once a second (internal/gateway generationTTL), plus a margin.
const settingsVisibleAfter = 1200 * time.Millisecond

// lastSettingsChange is when a CLI command last changed settings the
// running daemons cache (UnixNano; 0: never).
var lastSettingsChange atomic.Int64

// settingsCommands are the CLI commands that write cached settings.
var settingsCommands = []string{"domain", "user", "alias", "rule", "admin"}

// readOnlySubcommands change nothing.
var readOnlySubcommands = []string{"list", "show", "check", "stats"}

// noteSettingsChange records args when they may have changed settings:
// a settings command other than a read, or a release that remembers the
// sender as allowed.
func noteSettingsChange(args []string) {
	changes := slices.Contains(args, "--remember")
	if len(args) >= 2 && slices.Contains(settingsCommands, args[0]) && !slices.Contains(readOnlySubcommands, args[1]) {
		changes = true
	}
	if changes {
		settingsChanged()
	}
}

// settingsChanged records that settings may have changed just now (a
// CLI command, or a browser step on the portal).
func settingsChanged() { lastSettingsChange.Store(time.Now().UnixNano()) }

// awaitSettingsVisible returns once the last settings change is visible
// to the running daemons, so a message sent next meets the new settings,
// as it would for an admin who waits the documented second.
func awaitSettingsVisible() {
	if at := lastSettingsChange.Load(); at != 0 {
		time.Sleep(time.Until(time.Unix(0, at).Add(settingsVisibleAfter)))
	}
}
