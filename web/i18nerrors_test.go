package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/settings"
)

// TestDutchErrors: the refusals of the settings checks that forms show
// have Dutch text (the patterns of i18nerrors.go still match them).
func TestDutchErrors(t *testing.T) {
	policy := func(name, v string) error {
		for _, s := range settings.PolicySettings {
			if s.Name == name {
				var o settings.Overrides
				return fmt.Errorf("%s: %w", name, s.Set(&o, v))
			}
		}
		t.Fatalf("no setting %s", name)
		return nil
	}
	_, errAge := quarantine.ParseAge("huge")
	_, errNet := settings.ParseRelayNet("not a net")
	errBroad := fmt.Errorf("%w; only an admin can accept a network this broad", settings.CheckRelayNetBreadth(netip.MustParsePrefix("10.0.0.0/8")))
	_, errDays := settings.ParseMirrorDays("91")
	_, errSecret := mirrorKey("mirror key", "AGE-SECRET-KEY-1XYZ")
	_, errKey := mirrorKey("mirror key", "age1notakey")
	_, errVerify := settings.ParseVerifyMode("maybe")
	for _, err := range []error{policy("spam-level", "9"), policy("spam-action", "bounce"), policy("max-size", "huge"),
		policy("notify-virus", "all"), fmt.Errorf("spam retention: %w", errAge), errNet, errBroad, errDays, errSecret, errKey, errVerify,
		fmt.Errorf("add user: %w", errors.New("x@b.test is not an address of a.test")), errors.New("unknown sort")} {
		if err == nil {
			t.Fatal("a check accepted a bad value")
		}
		nl := localError("nl", err)
		for _, english := range []string{"want", "such as", "broader", "only an admin", "secret key", "not an address", "unknown"} {
			if strings.Contains(nl, english) {
				t.Errorf("%q in Dutch: %q", err, nl)
				break
			}
		}
		if en := localError("en", err); en != err.Error() {
			t.Errorf("English changed: %q", en)
		}
	}
}

// TestDutchFormRefusal: a refused form shows the reason in Dutch to a
// Dutch browser.
func TestDutchFormRefusal(t *testing.T) {
	p := newPortal(t)
	boss := p.login("boss@a.test")
	boss.do("POST", "/lang", url.Values{"lang": {"nl"}})
	code, page, _ := boss.do("POST", "/domains/a.test/relaynets", url.Values{"net": {"10.0.0.0/8"}})
	if code != http.StatusBadRequest || !strings.Contains(page, "relaynetwerk 10.0.0.0/8 is ruimer dan /16") {
		t.Fatalf("%d\n%s", code, page)
	}
}
