package mirror

// migrations is the mirror component's schema, append-only.
//
// One entries row per stored copy: one delivered copy of a message for
// the recipients of one domain. Only what an admin needs to find the copy
// is in plaintext: time, envelope sender and recipients, size and a hash
// of the Message-ID. Subject, header and body exist only inside the
// encrypted file. One replays row per replay, so a second replay says so.
var migrations = []string{
	`CREATE TABLE mirror_entries (
		id TEXT PRIMARY KEY,
		domain TEXT NOT NULL,
		received INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		sender TEXT NOT NULL,
		recipients TEXT NOT NULL,
		size INTEGER NOT NULL,
		stored_size INTEGER NOT NULL,
		message_id_hash TEXT NOT NULL,
		path TEXT NOT NULL
	);
	CREATE INDEX mirror_entries_domain ON mirror_entries(domain, received);
	CREATE INDEX mirror_entries_expires ON mirror_entries(expires);
	CREATE TABLE mirror_replays (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		entry_id TEXT NOT NULL REFERENCES mirror_entries(id) ON DELETE CASCADE,
		at INTEGER NOT NULL,
		by TEXT NOT NULL,
		recipients TEXT NOT NULL
	);
	CREATE INDEX mirror_replays_entry ON mirror_replays(entry_id);`,
}
