//go:build mailtower_testclock

package cli

// A binary built with -tags mailtower_testclock (the integration
// harness's) has --now and $MAILTOWER_NOW.
func init() { testClock = true }
