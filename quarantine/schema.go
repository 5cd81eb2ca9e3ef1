package quarantine

// migrations is the quarantine component's schema, append-only.
//
// One messages row per stored message (the file and its envelope), one
// items row per quarantined recipient: releasing or deleting is per
// recipient, and so is retention (a virus kept 14 days, spam 30).
var migrations = []string{
	`CREATE TABLE quarantine_messages (
		id TEXT PRIMARY KEY,
		queue_id TEXT NOT NULL,
		sender TEXT NOT NULL,
		client_addr TEXT NOT NULL,
		client_host TEXT NOT NULL,
		helo TEXT NOT NULL,
		subject TEXT NOT NULL,
		header_from TEXT NOT NULL,
		size INTEGER NOT NULL,
		received INTEGER NOT NULL,
		path TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		findings TEXT NOT NULL
	);
	CREATE TABLE quarantine_items (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		message_id TEXT NOT NULL REFERENCES quarantine_messages(id) ON DELETE CASCADE,
		recipient TEXT NOT NULL,
		recipient_domain TEXT NOT NULL,
		category TEXT NOT NULL CHECK (category IN ('virus', 'spam', 'content')),
		reason TEXT NOT NULL,
		score REAL NOT NULL,
		received INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		state TEXT NOT NULL DEFAULT 'quarantined' CHECK (state IN ('quarantined', 'released', 'deleted')),
		state_changed INTEGER,
		state_by TEXT
	);
	CREATE INDEX quarantine_items_message ON quarantine_items(message_id);
	CREATE INDEX quarantine_items_received ON quarantine_items(received);
	CREATE INDEX quarantine_items_cat_received ON quarantine_items(category, received);
	CREATE INDEX quarantine_items_recipient ON quarantine_items(recipient, received);
	CREATE INDEX quarantine_items_domain ON quarantine_items(recipient_domain, received);
	CREATE INDEX quarantine_items_expires ON quarantine_items(expires);
	CREATE INDEX quarantine_messages_sender ON quarantine_messages(sender);`,

	// Migration 2 (tooling: search, release, delete, purge):
	//
	//   - quarantine_items is rebuilt to allow the state "releasing": a release
	//     moves rows quarantined -> releasing (committed) before talking to
	//     Postfix and releasing -> released after Postfix's 250, so that a
	//     crash in between leaves a visible, recoverable row (see release.go).
	//     It also gets copies of the message's sender and size: sorting a
	//     page by them then walks one index whose entries end in the item id
	//     (the tie-breaker), instead of sorting the whole join (seconds at a
	//     million rows).
	//   - quarantine_messages gets seq, a stable integer key for the FTS4 index
	//     (rowids of tables without INTEGER PRIMARY KEY may change on VACUUM),
	//     and file_removed, set when delete or purge removed the file on
	//     purpose (a file missing without it is reported by purge).
	//   - quarantine_fts indexes subject, envelope sender and From header; FTS4
	//     is compiled into go-sqlite3 without build tags. Triggers keep it in
	//     step with quarantine_messages whatever the writer.
	//   - quarantine_domain_retention held per-domain retention overrides
	//     (seconds; NULL = the [defaults] value); they belong to settings
	//     now (domain_retention), which moved its rows there.
	//   - quarantine_gone remembers purged message ids for a while, so that
	//     release of a purged id says "expired and purged" instead of "unknown".
	`
	CREATE TABLE quarantine_items_v2 (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		message_id TEXT NOT NULL REFERENCES quarantine_messages(id) ON DELETE CASCADE,
		recipient TEXT NOT NULL,
		recipient_domain TEXT NOT NULL,
		category TEXT NOT NULL CHECK (category IN ('virus', 'spam', 'content')),
		reason TEXT NOT NULL,
		score REAL NOT NULL,
		received INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		state TEXT NOT NULL DEFAULT 'quarantined' CHECK (state IN ('quarantined', 'releasing', 'released', 'deleted')),
		state_changed INTEGER,
		state_by TEXT,
		sender TEXT NOT NULL DEFAULT '',
		size INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO quarantine_items_v2 SELECT i.id, i.message_id, i.recipient, i.recipient_domain, i.category, i.reason,
		i.score, i.received, i.expires, i.state, i.state_changed, i.state_by, m.sender, m.size
		FROM quarantine_items i JOIN quarantine_messages m ON m.id = i.message_id;
	DROP TABLE quarantine_items;
	ALTER TABLE quarantine_items_v2 RENAME TO quarantine_items;
	CREATE INDEX quarantine_items_message ON quarantine_items(message_id);
	CREATE INDEX quarantine_items_received ON quarantine_items(received);
	CREATE INDEX quarantine_items_cat_received ON quarantine_items(category, received);
	CREATE INDEX quarantine_items_recipient ON quarantine_items(recipient, received);
	CREATE INDEX quarantine_items_domain ON quarantine_items(recipient_domain, received);
	CREATE INDEX quarantine_items_expires ON quarantine_items(expires);
	CREATE INDEX quarantine_items_releasing ON quarantine_items(state) WHERE state = 'releasing';
	CREATE INDEX quarantine_items_score ON quarantine_items(score);
	CREATE INDEX quarantine_items_size ON quarantine_items(size);
	CREATE INDEX quarantine_items_sender ON quarantine_items(sender);

	ALTER TABLE quarantine_messages ADD COLUMN seq INTEGER;
	ALTER TABLE quarantine_messages ADD COLUMN file_removed INTEGER NOT NULL DEFAULT 0;
	UPDATE quarantine_messages SET seq = rowid;
	CREATE UNIQUE INDEX quarantine_messages_seq ON quarantine_messages(seq);
	CREATE INDEX quarantine_messages_path ON quarantine_messages(path);

	CREATE VIRTUAL TABLE quarantine_fts USING fts4(subject, sender, header_from, tokenize=unicode61);
	INSERT INTO quarantine_fts (docid, subject, sender, header_from)
		SELECT seq, subject, sender, header_from FROM quarantine_messages;
	CREATE TRIGGER quarantine_fts_ins AFTER INSERT ON quarantine_messages BEGIN
		UPDATE quarantine_messages SET seq = (SELECT IFNULL(MAX(seq), 0) + 1 FROM quarantine_messages) WHERE id = new.id;
		INSERT INTO quarantine_fts (docid, subject, sender, header_from)
			VALUES ((SELECT seq FROM quarantine_messages WHERE id = new.id), new.subject, new.sender, new.header_from);
	END;
	CREATE TRIGGER quarantine_fts_del AFTER DELETE ON quarantine_messages BEGIN
		DELETE FROM quarantine_fts WHERE docid = old.seq;
	END;

	CREATE TABLE quarantine_domain_retention (
		domain TEXT PRIMARY KEY,
		virus INTEGER, spam INTEGER, content INTEGER
	);
	CREATE TABLE quarantine_gone (
		message_id TEXT PRIMARY KEY,
		expired INTEGER NOT NULL,
		purged INTEGER NOT NULL
	);
	CREATE INDEX quarantine_gone_purged ON quarantine_gone(purged);`,

	// Migration 3: merge the FTS4 index a little on every write
	// (automerge=8, stored in the index itself) instead of in one go: a
	// one-go merge of the segments of a large index holds the write lock
	// for seconds and would stall the milter's Put.
	`INSERT INTO quarantine_fts (quarantine_fts) VALUES ('automerge=8');`,

	// Migration 4: dedupe_key recognises a message retried after a
	// temporary failure (new queue id, same envelope and content) so that
	// it is not stored twice (see DedupeWindow). Rows from before have ''.
	`ALTER TABLE quarantine_messages ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
	CREATE INDEX quarantine_messages_dedupe ON quarantine_messages(dedupe_key, received) WHERE dedupe_key != '';`,
	// Migration 5: the DSN parameters (RFC 3461) of the original
	// transaction, so that a release keeps what the sender asked for:
	// RET and ENVID per message, NOTIFY and ORCPT per recipient ("" = none).
	`ALTER TABLE quarantine_messages ADD COLUMN dsn_ret TEXT NOT NULL DEFAULT '';
	ALTER TABLE quarantine_messages ADD COLUMN dsn_envid TEXT NOT NULL DEFAULT '';
	ALTER TABLE quarantine_items ADD COLUMN dsn_notify TEXT NOT NULL DEFAULT '';
	ALTER TABLE quarantine_items ADD COLUMN dsn_orcpt TEXT NOT NULL DEFAULT '';`,
	// Migration 6: the portal lists one domain sorted by score, sender or
	// size. With only the one-column sort indexes SQLite reads every row
	// of the domain and sorts them (seconds at a million); these walk the
	// domain's rows in sort order and stop after a page.
	`CREATE INDEX quarantine_items_domain_score ON quarantine_items(recipient_domain, score);
	CREATE INDEX quarantine_items_domain_sender ON quarantine_items(recipient_domain, sender);
	CREATE INDEX quarantine_items_domain_size ON quarantine_items(recipient_domain, size);`,
}
