package milter

import "time"

// maxApplyReserve caps the time kept back from scanning for storing the
// quarantined copy and re-injecting copies (local disk and Postfix's
// loopback listener: normally milliseconds).
const maxApplyReserve = 30 * time.Second

// decisionBudget splits the deadline of one decision ([milter] timeout,
// from the end of the message) into the end of scanning and the end of
// everything. Scanning may use all but a quarter of it, at most 30 s
// kept back, so that a scan that runs to its limit still leaves time to
// quarantine and re-inject, and the whole decision ends before Postfix's
// milter_content_timeout (which `config check` verifies is longer). Past
// the deadline the message is tempfailed; since re-injection comes last
// and is not started once the deadline has passed, a tempfail by deadline
// normally happens before any copy was queued, so the retry delivers
// nothing twice (and the quarantine recognises the retried copy).
func decisionBudget(start time.Time, total time.Duration) (scanEnd, end time.Time) {
	reserve := min(total/4, maxApplyReserve)
	return start.Add(total - reserve), start.Add(total)
}
