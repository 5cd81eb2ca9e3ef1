package gateway

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
)

func TestBuildEngines(t *testing.T) {
	scanner := func(address string) *config.Scanner {
		return &config.Scanner{Address: address, Timeout: config.Duration(7 * time.Second), OnError: "tempfail"}
	}
	tests := []struct {
		name           string
		scanners       config.Scanners
		inbound, virus []string
		wantErr        string
	}{
		{name: "none: the built-in content filter only", inbound: []string{"rules"}},
		{name: "all three", scanners: config.Scanners{Clamd: scanner("tcp:127.0.0.1:3310"),
			Spamd: scanner("127.0.0.1:783"), Rspamd: scanner("http://127.0.0.1:11333")},
			inbound: []string{"clamd", "spamd", "rspamd", "rules"}, virus: []string{"clamd"}},
		{name: "rspamd alone", scanners: config.Scanners{Rspamd: scanner("http://127.0.0.1:11333")},
			inbound: []string{"rspamd", "rules"}},
		{name: "bad rspamd address", scanners: config.Scanners{Rspamd: scanner("127.0.0.1:11333")},
			wantErr: "rspamd address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Scanners = tt.scanners
			inbound, virus, err := BuildEngines(context.Background(), testApp(t, cfg), cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var in, vi []string
			for _, e := range inbound {
				in = append(in, e.Scanner.Name())
				if e.Scanner.Name() == "rules" {
					// Built in: bounded by [limits] and the milter's
					// timeout, never skipped on error.
					if e.Timeout != 0 || e.SkipOnError || e.MaxSize != 0 {
						t.Errorf("rules engine %+v", e)
					}
					continue
				}
				if e.Timeout != 7*time.Second || e.SkipOnError {
					t.Errorf("%s: timeout %v, skip on error %v", e.Scanner.Name(), e.Timeout, e.SkipOnError)
				}
			}
			for _, e := range virus {
				vi = append(vi, e.Scanner.Name())
			}
			if !slices.Equal(in, tt.inbound) || !slices.Equal(vi, tt.virus) {
				t.Errorf("inbound %v, virus %v; want %v, %v", in, vi, tt.inbound, tt.virus)
			}
		})
	}
}
