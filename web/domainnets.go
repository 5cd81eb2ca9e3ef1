package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// A domain's relay networks: the customer's own servers, allowed to send
// outbound mail through the gateway as the domain. Added and removed as
// `mailtower domain set D --relay-net` does, with its checks: a network
// broader than /16 (IPv4) or /48 (IPv6) is refused, and only an admin
// may insist (the form's force box, `--force` of the CLI), since anyone
// in such a network could send as the domain and relay anywhere.

// relayNetAdd adds the posted network to the path's domain.
func (s *Server) relayNetAdd(w http.ResponseWriter, r *http.Request, c *call) {
	force := c.p.Admin && r.PostFormValue("force") == "1"
	s.changeRelayNets(w, r, c, "add relay network", func(nets []netip.Prefix, p netip.Prefix) ([]netip.Prefix, error) {
		if err := settings.CheckRelayNetBreadth(p); err != nil && !force {
			if c.p.Admin {
				return nil, fmt.Errorf("%w; tick the box to accept it anyway", err)
			}
			return nil, fmt.Errorf("%w; only an admin can accept a network this broad", err)
		}
		if slices.Contains(nets, p) {
			return nets, nil
		}
		return append(nets, p), nil
	})
}

// relayNetRemove removes the posted network of the path's domain.
func (s *Server) relayNetRemove(w http.ResponseWriter, r *http.Request, c *call) {
	s.changeRelayNets(w, r, c, "remove relay network", func(nets []netip.Prefix, p netip.Prefix) ([]netip.Prefix, error) {
		i := slices.Index(nets, p)
		if i < 0 {
			return nil, settings.ErrNotFound
		}
		return slices.Delete(nets, i, i+1), nil
	})
}

// changeRelayNets parses the posted network (settings.ParseRelayNet, as
// the CLI) and stores change's list for the domain in the path, which the
// caller administers; every attempt is audited.
func (s *Server) changeRelayNets(w http.ResponseWriter, r *http.Request, c *call, what string,
	change func([]netip.Prefix, netip.Prefix) ([]netip.Prefix, error)) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	raw := strings.TrimSpace(r.PostFormValue("net"))
	p, err := settings.ParseRelayNet(raw)
	if err == nil {
		err = s.d.Settings.UpdateDomain(r.Context(), d.Name, func(d *settings.Domain) error {
			nets, err := change(slices.Clone(d.RelayNets), p)
			d.RelayNets = nets
			return err
		})
	}
	detail := what + " " + raw
	if err == nil {
		detail = what + " " + p.String()
	} else {
		detail += " (refused: " + err.Error() + ")"
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name, Detail: detail, OK: err == nil})
	s.domainChanged(w, r, c, d.Name, "#relaynets", err)
}
