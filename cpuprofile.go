//go:build mailtower_cpuprofile

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// A binary built with -tags mailtower_cpuprofile (for load tests, never
// shipped) writes a CPU profile to $MAILTOWER_CPUPROFILE while it runs:
//
//	go tool pprof -top mailtower FILE
func init() {
	path := os.Getenv("MAILTOWER_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mailtower: cpu profile %s: %v\n", path, err)
		return
	}
	stopProfile = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
