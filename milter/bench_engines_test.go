package milter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/heuristics"
	"github.com/mailtower/mailtower/scan/rules"
	"github.com/mailtower/mailtower/settings"
)

// useBuiltinEngines replaces the fixture's engines by the built-in ones,
// configured as `serve` configures them by default.
func useBuiltinEngines(b *testing.B, f *fixture) {
	ctx := context.Background()
	lim := rules.DefaultLimits
	for _, r := range []settings.Rule{
		{Scope: settings.Scope{Kind: settings.ScopeGlobal}, Kind: settings.BlockFiletype, Value: "exe"},
		{Scope: settings.Scope{Kind: settings.ScopeGlobal}, Kind: settings.BlockContent, Value: "(?i)wire the money today"},
	} {
		if _, err := f.settings.AddRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	tok := bayes.NewTokenizer(bayes.Limits{MaxTokens: bayes.DefaultLimits.MaxTokens, MaxText: bayes.DefaultLimits.MaxText,
		Walk: lim.Walk()})
	st, err := bayes.Open(ctx, f.db, tok)
	if err != nil {
		b.Fatal(err)
	}
	for i, class := range []bayes.Class{bayes.ClassHam, bayes.ClassSpam} {
		for j := 0; j < 5; j++ {
			words := []string{"meeting agenda minutes project", "cheap pills winner casino"}[i]
			msg := fmt.Sprintf("Subject: %s %d\r\n\r\n%s number %d\r\n", words, j, strings.Repeat(words+" ", 20), j)
			feat, err := tok.Tokenize(strings.NewReader(msg))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Learn(ctx, class, []bayes.Doc{{Digest: feat.Digest, Tokens: feat.Tokens}}, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := *f.filter.rt.Load()
	rt.Engines = []scan.Engine{
		{Scanner: rules.New(f.settings, f.settings.Generation, lim)},
		{Scanner: heuristics.New(heuristics.Options{Walk: lim.Walk(), Log: quiet})},
		{Scanner: bayes.NewScanner(st, bayes.ScannerOptions{MinSpam: 5, MinHam: 5, Log: quiet})},
	}
	f.filter.Reload(&rt)
}
