-- The platform's database, as versioned migrations.
-- Each "-- migration: N" section runs once, in its own transaction, when the
-- database's user_version is below N; a re-run upgrades and never loses data.
-- Never edit a released migration: add a new one.

-- migration: 1 subscription plans, idempotency keys
CREATE TABLE subscription_plans (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	name		TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	slug		TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
	description	TEXT,
	price_cents	INTEGER NOT NULL CHECK (price_cents >= 0),
	currency	TEXT NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
	interval	TEXT NOT NULL DEFAULT 'month' CHECK (interval IN ('month', 'year')),
	trial_days	INTEGER NOT NULL DEFAULT 0 CHECK (trial_days BETWEEN 0 AND 365),
	features	TEXT NOT NULL DEFAULT '[]',
	limits		TEXT NOT NULL DEFAULT '{}',
	active		INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	sort_order	INTEGER NOT NULL DEFAULT 0,
	stripe_product_id TEXT,
	stripe_price_id	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX subscription_plans_active ON subscription_plans (active, sort_order);

-- A POST with an Idempotency-Key: the first answer, replayed for 24 h.
-- scope is the caller's identity once accounts exist ('' until then).
CREATE TABLE idempotency_keys (
	scope		TEXT NOT NULL DEFAULT '',
	key		TEXT NOT NULL,
	method		TEXT NOT NULL,
	path		TEXT NOT NULL,
	request_hash	TEXT NOT NULL,
	status		INTEGER NOT NULL,
	content_type	TEXT,
	body		TEXT NOT NULL,
	created_ms	INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);

-- migration: 2 merchants, users, API tokens, browser sessions, audit log
CREATE TABLE merchants (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	name		TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	slug		TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
	email		TEXT NOT NULL UNIQUE COLLATE NOCASE,
	phone		TEXT,
	company		TEXT,
	vat_number	TEXT,
	country		TEXT NOT NULL DEFAULT 'FR' CHECK (length(country) = 2),
	address		TEXT,
	status		TEXT NOT NULL DEFAULT 'active'
			    CHECK (status IN ('active', 'suspended', 'closed')),
	signup_date	TEXT,
	stripe_customer_id TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);

CREATE TABLE users (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	email		TEXT NOT NULL UNIQUE COLLATE NOCASE,
	username	TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name		TEXT,
	password_hash	TEXT NOT NULL,
	role		TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'merchant')),
	merchant_id	INTEGER REFERENCES merchants (id) ON DELETE RESTRICT,
	blocked		INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
	last_login_at	TEXT,
	failed_logins	INTEGER NOT NULL DEFAULT 0,
	locked_until_ms	INTEGER NOT NULL DEFAULT 0,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT,
	CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);
CREATE INDEX users_merchant ON users (merchant_id);

-- Only the SHA-256 of a token is kept; the secret is shown once.
CREATE TABLE api_tokens (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	name		TEXT NOT NULL UNIQUE,
	description	TEXT,
	kind		TEXT NOT NULL CHECK (kind IN ('read-only', 'full-access')),
	token_hash	TEXT NOT NULL UNIQUE,
	expires_at	TEXT,
	last_used_at	TEXT,
	created_by	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);

-- Browser sessions: the cookie holds a random id, the table its SHA-256.
CREATE TABLE sessions (
	id_hash		TEXT PRIMARY KEY,
	user_id		INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf		TEXT NOT NULL,
	created_ms	INTEGER NOT NULL,
	expires_ms	INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- What admins, agents and API tokens changed: who, what, when, before/after.
CREATE TABLE audit_logs (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	actor_id	INTEGER,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	action		TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
	content_type	TEXT NOT NULL,
	record_id	INTEGER,
	record_document_id TEXT,
	before		TEXT,
	after		TEXT,
	request_id	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX audit_logs_record ON audit_logs (content_type, record_id);
