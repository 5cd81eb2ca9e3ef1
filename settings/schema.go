package settings

// migrations is the settings component's schema, append-only.
// settings_generation is bumped by triggers on every change, so that
// caches in other processes (the daemon, while the CLI edits) notice.
var migrations = []string{
	`CREATE TABLE domains (
		name TEXT PRIMARY KEY,
		relay TEXT NOT NULL,
		catch_all INTEGER NOT NULL DEFAULT 0,
		spam_level INTEGER, spam_action TEXT, virus_action TEXT, content_action TEXT,
		max_size INTEGER, notify_virus TEXT, admin TEXT,
		created INTEGER NOT NULL
	);
	CREATE TABLE domain_relay_nets (
		domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
		cidr TEXT NOT NULL,
		PRIMARY KEY (domain, cidr)
	);
	CREATE TABLE users (
		address TEXT PRIMARY KEY,
		domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
		spam_level INTEGER, spam_action TEXT, virus_action TEXT, content_action TEXT,
		max_size INTEGER, notify_virus TEXT, admin TEXT,
		created INTEGER NOT NULL
	);
	CREATE INDEX users_domain ON users(domain);
	CREATE TABLE settings_generation (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL);
	INSERT INTO settings_generation (id, gen) VALUES (1, 0);
	CREATE TRIGGER domains_ins AFTER INSERT ON domains BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER domains_upd AFTER UPDATE ON domains BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER domains_del AFTER DELETE ON domains BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER nets_ins AFTER INSERT ON domain_relay_nets BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER nets_del AFTER DELETE ON domain_relay_nets BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER users_upd AFTER UPDATE ON users BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER users_del AFTER DELETE ON users BEGIN UPDATE settings_generation SET gen = gen + 1; END;`,
	// The relay's TLS policy (TLSPolicy; '' = the global default).
	`ALTER TABLE domains ADD COLUMN tls TEXT NOT NULL DEFAULT ''`,
}

// ruleMigrations is the schema of the rules table (component "rules").
var ruleMigrations = []string{
	`CREATE TABLE rules (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		scope_kind TEXT NOT NULL CHECK (scope_kind IN ('global', 'domain', 'user')),
		scope TEXT NOT NULL,
		kind TEXT NOT NULL,
		value TEXT NOT NULL,
		comment TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL,
		UNIQUE (scope_kind, scope, kind, value)
	);
	CREATE INDEX rules_scope ON rules(scope_kind, scope);
	CREATE TRIGGER rules_ins AFTER INSERT ON rules BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER rules_upd AFTER UPDATE ON rules BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER rules_del AFTER DELETE ON rules BEGIN UPDATE settings_generation SET gen = gen + 1; END;`,
}
