package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultReinject is the re-injection listener's default address: a unix
// socket that Postfix's master creates in the public directory of its
// queue (mode 0710, group postdrop), so that only root, Postfix and the
// members of group postdrop (the mailtower user is one) can reach it.
const DefaultReinject = "unix:/var/spool/postfix/public/mailtower-reinject"

var reinjectName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseReinject reads [reinject] smtp: "unix:QUEUE_DIRECTORY/public/NAME"
// (a socket Postfix's master creates for a master.cf service NAME of type
// unix), or "HOST:PORT" with HOST a loopback address (127.0.0.1 or ::1;
// Postfix then accepts only that client address). It returns Go's network
// and address.
func ParseReinject(s string) (network, address string, err error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if !filepath.IsAbs(path) || filepath.Clean(path) != path {
			return "", "", fmt.Errorf("%q: want an absolute, clean path", s)
		}
		if filepath.Base(filepath.Dir(path)) != "public" || !reinjectName.MatchString(filepath.Base(path)) {
			return "", "", fmt.Errorf("%q: want unix:QUEUE_DIRECTORY/public/NAME (Postfix's master makes "+
				"the socket of a master.cf unix service there, e.g. %s)", s, DefaultReinject)
		}
		return "unix", path, nil
	}
	network, address, err = hostPort("tcp", s)
	if err != nil {
		return "", "", fmt.Errorf("%w: want unix:QUEUE_DIRECTORY/public/NAME or HOST:PORT", err)
	}
	host := strings.Trim(address[:strings.LastIndexByte(address, ':')], "[]")
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() || ip.Zone() != "" {
		return "", "", fmt.Errorf("%q: the host must be a loopback address (127.0.0.1 or ::1): "+
			"mail sent here is not scanned", s)
	}
	return network, address, nil
}
