package bayes

// migrations is the bayes component's schema, append-only.
//
// bayes_tokens holds per-token counts keyed by the token's 64-bit hash;
// last_seen (Unix seconds) is when a message holding it was last learned,
// for Prune. bayes_messages records every learned message by its content
// digest with its token hashes (packed little-endian uint64s), so that
// re-learning is idempotent and Forget is exact; remembered marks a
// message released with "remember" (a not-spam signature).
// bayes_state holds the learned message counts and a generation bumped on
// every change, so that readers in other processes refresh their cache.
var migrations = []string{
	`CREATE TABLE bayes_tokens (
		id INTEGER PRIMARY KEY,
		spam INTEGER NOT NULL DEFAULT 0,
		ham INTEGER NOT NULL DEFAULT 0,
		last_seen INTEGER NOT NULL
	);
	CREATE TABLE bayes_messages (
		digest BLOB PRIMARY KEY,
		class TEXT NOT NULL CHECK (class IN ('spam', 'ham')),
		remembered INTEGER NOT NULL DEFAULT 0,
		learned INTEGER NOT NULL,
		tokens BLOB NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX bayes_messages_remembered ON bayes_messages(remembered) WHERE remembered = 1;
	CREATE TABLE bayes_state (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		nspam INTEGER NOT NULL,
		nham INTEGER NOT NULL,
		generation INTEGER NOT NULL
	);
	INSERT INTO bayes_state (id, nspam, nham, generation) VALUES (1, 0, 0, 0);`,
	// bayes_feedback records every release learned as ham (LearnFeedback):
	// the sender's key (FeedbackKey) and when, for the per-sender cap, and
	// the combiner's evidence of the message as it was caught, which the
	// next `learn fit` adds to its ham.
	`CREATE TABLE bayes_feedback (
		digest BLOB PRIMARY KEY,
		sender TEXT NOT NULL,
		learned INTEGER NOT NULL,
		evidence BLOB
	) WITHOUT ROWID;
	CREATE INDEX bayes_feedback_sender ON bayes_feedback(sender, learned);`,
}
