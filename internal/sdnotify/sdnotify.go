// Package sdnotify tells systemd about the daemon's state (sd_notify(3)):
// READY=1 once the listeners are up (Type=notify units), RELOADING=1 and
// STOPPING=1 around reloads and shutdown. Without $NOTIFY_SOCKET it does
// nothing.
package sdnotify

import (
	"fmt"
	"net"
	"os"
)

// The states mailtower reports.
const (
	Ready     = "READY=1"
	Reloading = "RELOADING=1"
	Stopping  = "STOPPING=1"
)

// Notify sends state to systemd; it returns nil when not run by systemd.
func Notify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' { // abstract namespace
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}
