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
