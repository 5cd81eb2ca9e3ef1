package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

// extraFlags are the domain-only safety nets: the encrypted replay cache
// (--mirror-days, --mirror-key, --mirror-escrow; docs/mirror.md) and the
// recipient check (--verify-recipients; docs/callout.md).
type extraFlags struct {
	mirrorDays   string
	mirrorKey    string
	mirrorEscrow string
	verify       string
}

func (f *extraFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mirrorDays, "mirror-days", "", fmt.Sprintf("keep an encrypted copy of delivered mail this many days for replay (1-%d; 0 turns the mirror off)", settings.MaxMirrorDays))
	cmd.Flags().StringVar(&f.mirrorKey, "mirror-key", "", "the customer's age public key (age1…, from age-keygen) the mirror encrypts to")
	cmd.Flags().StringVar(&f.mirrorEscrow, "mirror-escrow", "", "an operator's age public key the mirror also encrypts to (\"none\" removes it)")
	cmd.Flags().StringVar(&f.verify, "verify-recipients", "", "how unknown recipients are checked: list (users and aliases) or callout (ask the customer's server)")
}

// apply writes the flags that were given into d.
func (f *extraFlags) apply(cmd *cobra.Command, d *settings.Domain) error {
	if cmd.Flags().Changed("verify-recipients") {
		m, err := settings.ParseVerifyMode(f.verify)
		if err != nil {
			return usageErr("--verify-recipients: %v", err)
		}
		d.VerifyRecipients = m
	}
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	if !changed("mirror-days") && !changed("mirror-key") && !changed("mirror-escrow") {
		return nil
	}
	m := settings.Mirror{}
	if d.Mirror != nil {
		m = *d.Mirror
	}
	if changed("mirror-days") {
		n, err := settings.ParseMirrorDays(f.mirrorDays)
		if err != nil {
			return usageErr("--mirror-days: %v", err)
		}
		if n == 0 {
			if changed("mirror-key") || changed("mirror-escrow") {
				return usageErr("--mirror-days 0 turns the mirror off: give no key with it")
			}
			d.Mirror = nil
			return nil
		}
		m.Days = n
	}
	if changed("mirror-key") {
		if _, err := settings.ParseMirrorKey(f.mirrorKey); err != nil {
			return usageErr("--mirror-key: %v", err)
		}
		m.Recipient = f.mirrorKey
	}
	if changed("mirror-escrow") {
		m.Escrow = f.mirrorEscrow
		if f.mirrorEscrow == "none" || f.mirrorEscrow == "" {
			m.Escrow = ""
		} else if _, err := settings.ParseMirrorKey(f.mirrorEscrow); err != nil {
			return usageErr("--mirror-escrow: %v", err)
		}
	}
	if m.Days == 0 || m.Recipient == "" {
		return usageErr("domain %s: the mirror needs both --mirror-days N and --mirror-key age1… (the customer's public key)", d.Name)
	}
	d.Mirror = &m
	return nil
}

// mirrorView is a domain's mirror in `domain show`.
type mirrorView struct {
	Days   int    `json:"days"`
	Key    string `json:"key"`
	Escrow string `json:"escrow,omitempty"`
}

func viewMirror(m *settings.Mirror) *mirrorView {
	if m == nil {
		return nil
	}
	return &mirrorView{Days: m.Days, Key: m.Recipient, Escrow: m.Escrow}
}

// String is the mirror's line in `domain show`.
func (m *mirrorView) String() string {
	if m == nil {
		return "off"
	}
	s := fmt.Sprintf("%d days, to %s", m.Days, m.Key)
	if m.Escrow != "" {
		s += " and escrow " + m.Escrow
	}
	return s
}
