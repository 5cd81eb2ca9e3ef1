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
}
