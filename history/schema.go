package history

// migrations is the history component's schema, append-only.
//
// One messages row per message the milter decided (stage "data") or per
// recipient the policy daemon refused at RCPT (stage "rcpt"); one
// recipients row per recipient with its verdict, action and the last
// delivery status Postfix logged for it; one deliveries row per delivery
// attempt read from Postfix's log (for every queue id, known or not: the
// milter's row may be committed after Postfix delivered, and a released
// copy's queue id is linked later); events for what happened later
// (release); the follower's position in the log.
//
// The recipients rows carry copies of the message's time and sender so
// that every search walks one index in time order and stops after a page
// (see search.go); the ids (INTEGER PRIMARY KEY) break ties and make the
// keyset cursor.
var migrations = []string{
	`CREATE TABLE history_messages (
		id INTEGER PRIMARY KEY,
		received INTEGER NOT NULL,
		stage TEXT NOT NULL CHECK (stage IN ('data', 'rcpt')),
		queue_id TEXT NOT NULL,
		client_addr TEXT NOT NULL,
		client_name TEXT NOT NULL,
		helo TEXT NOT NULL,
		sender TEXT NOT NULL,
		header_from TEXT NOT NULL,
		subject TEXT NOT NULL,
		message_id TEXT NOT NULL,
		size INTEGER NOT NULL,
		score REAL NOT NULL,
		findings TEXT NOT NULL,
		outbound INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX history_messages_received ON history_messages(received);
	CREATE INDEX history_messages_queue ON history_messages(queue_id);
	CREATE INDEX history_messages_msgid ON history_messages(message_id);

	CREATE TABLE history_recipients (
		id INTEGER PRIMARY KEY,
		message INTEGER NOT NULL REFERENCES history_messages(id) ON DELETE CASCADE,
		received INTEGER NOT NULL,
		recipient TEXT NOT NULL,
		domain TEXT NOT NULL,
		sender TEXT NOT NULL,
		sender_domain TEXT NOT NULL,
		verdict TEXT NOT NULL,
		action TEXT NOT NULL,
		reason TEXT NOT NULL,
		score REAL NOT NULL,
		threshold REAL NOT NULL,
		sender_allowed INTEGER NOT NULL DEFAULT 0,
		quarantine_id TEXT NOT NULL DEFAULT '',
		delivery_queue_id TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT '',
		status_time INTEGER
	);
	CREATE INDEX history_recipients_message ON history_recipients(message);
	CREATE INDEX history_recipients_received ON history_recipients(received);
	CREATE INDEX history_recipients_rcpt ON history_recipients(recipient, received);
	CREATE INDEX history_recipients_domain ON history_recipients(domain, received);
	CREATE INDEX history_recipients_sender ON history_recipients(sender, received);
	CREATE INDEX history_recipients_sender_domain ON history_recipients(sender_domain, received);
	CREATE INDEX history_recipients_verdict ON history_recipients(verdict, received);
	CREATE INDEX history_recipients_status ON history_recipients(status, received);
	CREATE INDEX history_recipients_delivery ON history_recipients(delivery_queue_id, recipient);
	CREATE INDEX history_recipients_quarantine ON history_recipients(quarantine_id);
	CREATE INDEX history_recipients_score ON history_recipients(score);

	CREATE VIRTUAL TABLE history_fts USING fts4(content="history_messages", subject, tokenize=unicode61);
	CREATE TRIGGER history_fts_ins AFTER INSERT ON history_messages BEGIN
		INSERT INTO history_fts (docid, subject) VALUES (new.id, new.subject);
	END;
	CREATE TRIGGER history_fts_del BEFORE DELETE ON history_messages BEGIN
		DELETE FROM history_fts WHERE docid = old.id;
	END;
	INSERT INTO history_fts (history_fts) VALUES ('automerge=8');

	CREATE TABLE history_deliveries (
		id INTEGER PRIMARY KEY,
		time INTEGER NOT NULL,
		queue_id TEXT NOT NULL,
		recipient TEXT NOT NULL,
		orig_to TEXT NOT NULL,
		service TEXT NOT NULL,
		relay TEXT NOT NULL,
		delay REAL NOT NULL,
		delays TEXT NOT NULL,
		dsn TEXT NOT NULL,
		status TEXT NOT NULL,
		reply TEXT NOT NULL,
		remote_id TEXT NOT NULL
	);
	CREATE INDEX history_deliveries_queue ON history_deliveries(queue_id, recipient);
	CREATE INDEX history_deliveries_time ON history_deliveries(time);

	CREATE TABLE history_events (
		id INTEGER PRIMARY KEY,
		message INTEGER NOT NULL REFERENCES history_messages(id) ON DELETE CASCADE,
		time INTEGER NOT NULL,
		kind TEXT NOT NULL,
		recipient TEXT NOT NULL,
		queue_id TEXT NOT NULL,
		detail TEXT NOT NULL
	);
	CREATE INDEX history_events_message ON history_events(message);

	CREATE TABLE history_log_position (
		name TEXT PRIMARY KEY,
		inode INTEGER NOT NULL,
		offset INTEGER NOT NULL,
		head TEXT NOT NULL,
		updated INTEGER NOT NULL
	);`,

	// Migration 2: the searches that combine filters. A page walks one
	// (column, time) index and stops after 100 matches; when a second
	// filter matches few of the first's rows (a large domain's viruses
	// that were deferred: none), that walk read the whole domain
	// (seconds at 10 million rows). These give the common pairs of a
	// domain admin's and an admin's searches their own index, and a
	// domain's listing by score its order.
	`CREATE INDEX history_recipients_domain_verdict ON history_recipients(domain, verdict, received);
	CREATE INDEX history_recipients_domain_status ON history_recipients(domain, status, received);
	CREATE INDEX history_recipients_status_verdict ON history_recipients(status, verdict, received);
	CREATE INDEX history_recipients_domain_score ON history_recipients(domain, score);`,
}
