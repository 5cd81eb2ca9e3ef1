package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/combine"
)

// CombinerFile is the fitted combiner model in data_dir; without it the
// shipped model (combine.DefaultModel) decides.
const CombinerFile = "combiner.json"

// SetCombiner makes the spam verdicts of this process use the combiner:
// the model in data_dir/combiner.json when there is one, else the
// shipped one. A model that cannot be read is an error: the admin put it
// there, and scoring without it would silently change every verdict.
func SetCombiner(cfg *config.Config, log *slog.Logger) error {
	path := filepath.Join(cfg.DataDir, CombinerFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		scan.SetCombiner(combine.DefaultModel())
		return nil
	case err != nil:
		return fmt.Errorf("combiner: %w", err)
	}
	m, err := combine.Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if log != nil {
		log.Info("combiner model loaded", "path", path, "spam", m.Spam, "ham", m.Ham)
	}
	scan.SetCombiner(m)
	return nil
}
