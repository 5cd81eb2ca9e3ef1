package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

func userPasswdCmd(g *globals) *cobra.Command {
	var hash bool
	cmd := &cobra.Command{
		Use:   "passwd LOGIN",
		Short: "Set the password of a user (web portal and SMTP submission) or of an admin login",
		Long: "Set the password of LOGIN: a user address (`mailtower user add`), which then logs in to the portal\n" +
			"and sends mail on the submission ports 587 and 465 (docs/submission.md), or a login made an admin\n" +
			"or domain admin (`mailtower admin add`). The password is read from standard input (first line),\n" +
			"or prompted for twice on a terminal; at least 10 characters. --hash reads an existing argon2id or\n" +
			"bcrypt hash instead (import from another system; bcrypt is replaced by argon2id at the first login).\n" +
			"A new password ends the login's sessions and digest links.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, acc, al, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			login := account.NormalizeLogin(args[0])
			if err := passwdLoginExists(ctx, a, acc, login); err != nil {
				return err
			}
			secret, err := readSecret(cmd, hash)
			if err != nil {
				return err
			}
			if hash {
				err = acc.SetPasswordHash(ctx, login, secret)
			} else {
				err = acc.SetPassword(ctx, login, secret)
			}
			if errors.Is(err, account.ErrWeakSecret) {
				return usageErr("%v", err)
			}
			if err != nil {
				return err
			}
			auditCLI(ctx, al, audit.Password, login, "set")
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s set\n", login)
			return nil
		},
	}
	cmd.Flags().BoolVar(&hash, "hash", false, "read an argon2id or bcrypt hash instead of a password")
	return cmd
}

// passwdLoginExists accepts a known user address or a login with a role.
func passwdLoginExists(ctx context.Context, a *app, acc *account.Store, login string) error {
	if _, err := acc.Principal(ctx, login); err == nil {
		return nil
	}
	if _, err := a.settings.User(ctx, login); err == nil {
		return nil
	} else if !errors.Is(err, settings.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%s: no such user or admin: add it with `mailtower user add %s` or `mailtower admin add %s`", login, login, login)
}

// readSecret reads a password (or a hash) from a terminal without echo,
// asking twice, or else the first line of standard input.
func readSecret(cmd *cobra.Command, hash bool) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !hash {
		fmt.Fprint(cmd.ErrOrStderr(), "new password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(cmd.ErrOrStderr(), "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", usageErr("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageErr("no password on standard input")
	}
	return line, nil
}
