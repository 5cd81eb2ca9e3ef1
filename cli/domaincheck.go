package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/mxcheck"
	"github.com/mailtower/mailtower/settings"
)

// resolverFor returns the system resolver, or one that asks only server
// (HOST or HOST:PORT) when set.
func resolverFor(server string) mxcheck.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(server, "53")
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

func domainCheckCmd(g *globals, newResolver func(server string) mxcheck.Resolver) *cobra.Command {
	var (
		dns     string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "check DOMAIN",
		Short: "Check that the domain's MX records point at this gateway",
		Long: "Resolve DOMAIN's MX records and compare them with this gateway's names\n" +
			"(mx_names and hostname in the configuration). Prints OK, WARN or FAIL per MX\n" +
			"with advice for the customer. Exit status: 0 for OK and WARN, 1 for FAIL or\n" +
			"when DNS cannot answer.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			gw := append(append([]string{}, cfg.MXNames...), cfg.Hostname)
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res, err := mxcheck.Check(ctx, newResolver(dns), name, gw)
			if err != nil {
				var de *mxcheck.DNSError
				if errors.As(err, &de) && ctx.Err() != nil {
					return fmt.Errorf("%s: no DNS answer within %s (is a resolver reachable? try --dns HOST or --timeout)", name, timeout)
				}
				return fmt.Errorf("%s: %w", name, err)
			}
			configured := domainConfigured(cmd.Context(), g, name)
			if g.json {
				err = printJSON(cmd.OutOrStdout(), struct {
					*mxcheck.Result
					Configured *bool `json:"configured,omitempty"`
				}{res, configured})
			} else {
				printCheck(cmd.OutOrStdout(), res, configured, colourful(cmd.OutOrStdout()))
			}
			if err == nil && res.Status == mxcheck.Fail {
				return &exitCodeError{code: 1, err: fmt.Errorf("%s: MX records do not point at this gateway", name)}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dns, "dns", "", "ask this DNS server (HOST[:PORT]) instead of the system resolver")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up on DNS after this long")
	return cmd
}

// domainConfigured reports whether mailtower knows the domain; nil when the
// database cannot be read (say, as a user without access to data_dir).
func domainConfigured(ctx context.Context, g *globals, name string) *bool {
	a, err := g.openApp(ctx)
	if err != nil {
		return nil
	}
	defer a.Close()
	_, err = a.settings.Domain(ctx, name)
	if err != nil && !errors.Is(err, settings.ErrNotFound) {
		return nil
	}
	ok := err == nil
	return &ok
}

// printCheck writes the status lines, coloured on a terminal.
func printCheck(w io.Writer, res *mxcheck.Result, configured *bool, colour bool) {
	tag := func(s mxcheck.Status) string {
		t := fmt.Sprintf("%-4s", s)
		if !colour {
			return t
		}
		return map[mxcheck.Status]string{mxcheck.OK: "\x1b[32m", mxcheck.Warn: "\x1b[33m", mxcheck.Fail: "\x1b[31m"}[s] + t + "\x1b[0m"
	}
	for _, l := range res.Lines {
		fmt.Fprintf(w, "%s  %s\n", tag(l.Status), l.Text)
	}
	if configured != nil && !*configured {
		fmt.Fprintf(w, "%s  %s is not a mailtower domain yet: mailtower domain add %s --relay HOST\n", tag(mxcheck.Warn), res.Domain, res.Domain)
	}
	fmt.Fprintf(w, "%s  %s\n", tag(res.Status), summary(res))
	for _, a := range res.Advice {
		fmt.Fprintf(w, "  - %s\n", a)
	}
	for _, r := range res.Publish {
		fmt.Fprintf(w, "      %s\n", r)
	}
}

func summary(res *mxcheck.Result) string {
	switch res.Status {
	case mxcheck.OK:
		return res.Domain + ": all MX records point at this gateway"
	case mxcheck.Warn:
		return res.Domain + ": mail can bypass this gateway"
	}
	return res.Domain + ": mail does not reach this gateway"
}

// colourful reports whether w is a terminal and NO_COLOR is unset.
func colourful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
