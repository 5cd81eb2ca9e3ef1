package cli

// envNow fixes the clock of the quarantine commands in test builds (tests
// of retention and purge); the hidden --now flag does the same.
const envNow = "MAILTOWER_NOW"

// testClock enables --now and $MAILTOWER_NOW. It is false in the
// production binary: a clock override there would let `quarantine
// release` take over a release in progress (a "releasing" row looks
// stale) or release expired items. Test builds turn it on: the cli
// package's tests, and binaries built with -tags mailtower_testclock
// (the integration harness).
var testClock = false
