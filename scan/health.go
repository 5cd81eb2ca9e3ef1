package scan

import "context"

// Pinger is the optional capability of a Scanner whose engine can be
// asked whether it answers without scanning anything: clamd (PING),
// spamd (PING) and rspamd (GET /ping). Daemons use it for health checks
// at start and in metrics.
type Pinger interface {
	// Ping returns nil when the engine answers as it should.
	Ping(ctx context.Context) error
}
