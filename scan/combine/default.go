package combine

import (
	_ "embed" // the shipped model
	"sync"
)

// defaultJSON is the shipped model, fitted by scripts/eval.sh (FIT=1) on
// the older two thirds of the evaluation corpus (docs/spam-engine.md).
//
//go:embed default.json
var defaultJSON []byte

var defaultModel = sync.OnceValue(func() *Model {
	m, err := Parse(defaultJSON)
	if err != nil {
		panic("combine: the shipped default.json: " + err.Error())
	}
	return m
})

// DefaultModel returns a copy of the shipped model: safe before any
// learning (no heuristic rule, nor all of them that fire together on
// ordinary mail, reaches level 3 alone).
func DefaultModel() *Model {
	m := *defaultModel()
	m.Weights = make(map[string]float64, len(defaultModel().Weights))
	for k, v := range defaultModel().Weights {
		m.Weights[k] = v
	}
	return &m
}
