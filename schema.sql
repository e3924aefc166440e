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

-- migration: 3 subscriptions, invoices with gapless numbers, jobs, e-mail outbox
-- The built-in billing engine collects from the merchant's payment method:
-- 'card' succeeds; 'failing-card' is refused (demo and test data).
ALTER TABLE merchants ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'card'
    CHECK (payment_method IN ('card', 'failing-card'));
ALTER TABLE merchants ADD COLUMN language TEXT NOT NULL DEFAULT 'fr'
    CHECK (language IN ('fr', 'en'));

CREATE TABLE subscriptions (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	plan_id		INTEGER NOT NULL REFERENCES subscription_plans (id) ON DELETE RESTRICT,
	status		TEXT NOT NULL CHECK (status IN ('pending', 'trialing', 'active',
			    'past_due', 'cancelled')),
	current_period_start TEXT,
	current_period_end TEXT,
	trial_end	TEXT,
	auto_renew	INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
	cancel_at_period_end INTEGER NOT NULL DEFAULT 0
			    CHECK (cancel_at_period_end IN (0, 1)),
	cancelled_at	TEXT,
	cancellation_reason TEXT,
	stripe_subscription_id TEXT,
	failed_payments	INTEGER NOT NULL DEFAULT 0,
	first_failed_at	TEXT,
	next_retry_at	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
-- One live subscription per merchant.
CREATE UNIQUE INDEX subscriptions_live ON subscriptions (merchant_id)
    WHERE status != 'cancelled';
CREATE INDEX subscriptions_due ON subscriptions (status, current_period_end);

-- Invoices and credit notes. number is allocated from invoice_counters in
-- the transaction that issues the document; an issued document is never
-- edited (status, payment and Stripe fields aside).
CREATE TABLE invoices (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	number		TEXT NOT NULL UNIQUE,
	kind		TEXT NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice',
			    'credit_note')),
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	subscription_id	INTEGER REFERENCES subscriptions (id) ON DELETE RESTRICT,
	status		TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void',
			    'uncollectible')),
	lines		TEXT NOT NULL,
	subtotal_cents	INTEGER NOT NULL,
	tax_rate_bps	INTEGER NOT NULL,
	tax_cents	INTEGER NOT NULL,
	total_cents	INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	tax_note	TEXT,
	seller		TEXT NOT NULL,
	buyer		TEXT NOT NULL,
	period_start	TEXT,
	period_end	TEXT,
	issued_at	TEXT NOT NULL,
	due_at		TEXT NOT NULL,
	paid_at		TEXT,
	payment_attempts INTEGER NOT NULL DEFAULT 0,
	stripe_invoice_id TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX invoices_merchant ON invoices (merchant_id, issued_at);
CREATE INDEX invoices_subscription ON invoices (subscription_id, status);

CREATE TABLE invoice_counters (
	series		TEXT NOT NULL,
	year		INTEGER NOT NULL,
	last		INTEGER NOT NULL,
	PRIMARY KEY (series, year)
);

-- Durable background jobs: a claimed job that is not finished before its
-- lease ends is claimed again; finishing it and applying its effect share
-- one transaction.
CREATE TABLE jobs (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL,
	unique_key	TEXT UNIQUE,
	payload		TEXT NOT NULL DEFAULT '{}',
	state		TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',
			    'running', 'done', 'failed')),
	run_at_ms	INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0,
	max_attempts	INTEGER NOT NULL DEFAULT 5,
	locked_by	TEXT,
	locked_until_ms	INTEGER NOT NULL DEFAULT 0,
	last_error	TEXT,
	created_ms	INTEGER NOT NULL,
	updated_ms	INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at_ms);

-- E-mails to send (the support issue sends them through SMTP).
CREATE TABLE email_outbox (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	kind		TEXT NOT NULL,
	recipient	TEXT NOT NULL,
	subject		TEXT NOT NULL,
	body		TEXT NOT NULL,
	merchant_id	INTEGER REFERENCES merchants (id) ON DELETE SET NULL,
	related		TEXT,
	status		TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued',
			    'sent', 'failed')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	sent_at		TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX email_outbox_status ON email_outbox (status, id);

-- migration: 4 Stripe events seen, for webhooks applied once and in order
CREATE TABLE stripe_events (
	id		TEXT PRIMARY KEY,
	type		TEXT NOT NULL,
	created		INTEGER NOT NULL,
	object_id	TEXT,
	received_at	TEXT NOT NULL
);
-- The Stripe time of the last event applied to a subscription: an older
-- event arriving late changes nothing.
ALTER TABLE subscriptions ADD COLUMN stripe_event_created INTEGER NOT NULL DEFAULT 0;
CREATE INDEX subscriptions_stripe ON subscriptions (stripe_subscription_id);
CREATE INDEX invoices_stripe ON invoices (stripe_invoice_id);

-- migration: 5 support tickets, responses and internal notes, search
CREATE TABLE support_tickets (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	reference	TEXT NOT NULL UNIQUE,
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	requester_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	subject		TEXT NOT NULL,
	description	TEXT NOT NULL,
	category	TEXT NOT NULL CHECK (category IN ('technical', 'billing', 'account')),
	priority	TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
	status		TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open',
			    'in_progress', 'waiting_on_merchant', 'resolved', 'closed')),
	assignee_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	first_response_at TEXT,
	first_response_due_at TEXT NOT NULL,
	resolved_at	TEXT,
	closed_at	TEXT,
	time_spent_minutes INTEGER NOT NULL DEFAULT 0,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX support_tickets_merchant ON support_tickets (merchant_id, status);
CREATE INDEX support_tickets_assignee ON support_tickets (assignee_id, status);
CREATE INDEX support_tickets_status ON support_tickets (status, resolved_at);

CREATE TABLE ticket_responses (
	id		INTEGER PRIMARY KEY,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	ticket_id	INTEGER NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	author_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	author_role	TEXT NOT NULL,
	body		TEXT NOT NULL,
	internal	INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
	time_spent_minutes INTEGER NOT NULL DEFAULT 0 CHECK (time_spent_minutes >= 0),
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX ticket_responses_ticket ON ticket_responses (ticket_id, id);

-- Full-text search on subject and description. lib/tickets.c writes it in
-- the transaction that writes the ticket (the connections do not trust the
-- schema, so triggers may not touch a virtual table).
CREATE VIRTUAL TABLE support_tickets_fts USING fts5(subject, description,
    content = 'support_tickets', content_rowid = 'id');

-- migration: 6 e-mail sending: retries with backoff
ALTER TABLE email_outbox ADD COLUMN next_attempt_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE email_outbox ADD COLUMN last_error TEXT;

-- migration: 7 ids never reused, credentials that end, what merchants see of tickets
-- Every content type's id is AUTOINCREMENT: an id once given (a user, a
-- token, any audited record) is never given again, so nothing that names
-- it (a JWT, an idempotency scope, the audit log) can come to mean another
-- record. SQLite cannot add AUTOINCREMENT to a table: each is rebuilt
-- (db_migrate runs migrations with foreign keys off and checks them all
-- before committing).
CREATE TABLE subscription_plans_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO subscription_plans_new SELECT id, document_id, name, slug,
    description, price_cents, currency, interval, trial_days, features, limits,
    active, sort_order, stripe_product_id, stripe_price_id, created_at,
    updated_at, published_at FROM subscription_plans;
DROP TABLE subscription_plans;
ALTER TABLE subscription_plans_new RENAME TO subscription_plans;
CREATE INDEX subscription_plans_active ON subscription_plans (active, sort_order);

CREATE TABLE merchants_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
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
	published_at	TEXT,
	payment_method	TEXT NOT NULL DEFAULT 'card'
			    CHECK (payment_method IN ('card', 'failing-card')),
	language	TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en'))
);
INSERT INTO merchants_new SELECT id, document_id, name, slug, email, phone,
    company, vat_number, country, address, status, signup_date,
    stripe_customer_id, created_at, updated_at, published_at, payment_method,
    language FROM merchants;
DROP TABLE merchants;
ALTER TABLE merchants_new RENAME TO merchants;

-- credentials_version moves whenever what a credential stands for changes
-- (password, role, merchant, blocked): JWTs carry it, so earlier ones stop
-- working at once, and the trigger below ends the browser sessions.
CREATE TABLE users_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
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
	credentials_version INTEGER NOT NULL DEFAULT 1,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT,
	CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);
INSERT INTO users_new (id, document_id, email, username, name, password_hash,
    role, merchant_id, blocked, last_login_at, failed_logins, locked_until_ms,
    created_at, updated_at, published_at) SELECT id, document_id, email,
    username, name, password_hash, role, merchant_id, blocked, last_login_at,
    failed_logins, locked_until_ms, created_at, updated_at, published_at
    FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_merchant ON users (merchant_id);

CREATE TABLE api_tokens_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO api_tokens_new SELECT id, document_id, name, description, kind,
    token_hash, expires_at, last_used_at, created_by, created_at, updated_at,
    published_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

CREATE TABLE audit_logs_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO audit_logs_new SELECT id, document_id, actor_id, actor, actor_role,
    action, content_type, record_id, record_document_id, before, after,
    request_id, created_at, updated_at, published_at FROM audit_logs;
DROP TABLE audit_logs;
ALTER TABLE audit_logs_new RENAME TO audit_logs;
CREATE INDEX audit_logs_record ON audit_logs (content_type, record_id);

CREATE TABLE subscriptions_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	plan_id		INTEGER NOT NULL REFERENCES subscription_plans (id) ON DELETE RESTRICT,
	status		TEXT NOT NULL CHECK (status IN ('pending', 'trialing', 'active',
			    'past_due', 'cancelled')),
	current_period_start TEXT,
	current_period_end TEXT,
	trial_end	TEXT,
	auto_renew	INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
	cancel_at_period_end INTEGER NOT NULL DEFAULT 0
			    CHECK (cancel_at_period_end IN (0, 1)),
	cancelled_at	TEXT,
	cancellation_reason TEXT,
	stripe_subscription_id TEXT,
	failed_payments	INTEGER NOT NULL DEFAULT 0,
	first_failed_at	TEXT,
	next_retry_at	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT,
	stripe_event_created INTEGER NOT NULL DEFAULT 0
);
INSERT INTO subscriptions_new SELECT id, document_id, merchant_id, plan_id,
    status, current_period_start, current_period_end, trial_end, auto_renew,
    cancel_at_period_end, cancelled_at, cancellation_reason,
    stripe_subscription_id, failed_payments, first_failed_at, next_retry_at,
    created_at, updated_at, published_at, stripe_event_created FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE UNIQUE INDEX subscriptions_live ON subscriptions (merchant_id)
    WHERE status != 'cancelled';
CREATE INDEX subscriptions_due ON subscriptions (status, current_period_end);
CREATE INDEX subscriptions_stripe ON subscriptions (stripe_subscription_id);

CREATE TABLE invoices_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	number		TEXT NOT NULL UNIQUE,
	kind		TEXT NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice',
			    'credit_note')),
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	subscription_id	INTEGER REFERENCES subscriptions (id) ON DELETE RESTRICT,
	status		TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void',
			    'uncollectible')),
	lines		TEXT NOT NULL,
	subtotal_cents	INTEGER NOT NULL,
	tax_rate_bps	INTEGER NOT NULL,
	tax_cents	INTEGER NOT NULL,
	total_cents	INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	tax_note	TEXT,
	seller		TEXT NOT NULL,
	buyer		TEXT NOT NULL,
	period_start	TEXT,
	period_end	TEXT,
	issued_at	TEXT NOT NULL,
	due_at		TEXT NOT NULL,
	paid_at		TEXT,
	payment_attempts INTEGER NOT NULL DEFAULT 0,
	stripe_invoice_id TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
INSERT INTO invoices_new SELECT id, document_id, number, kind, merchant_id,
    subscription_id, status, lines, subtotal_cents, tax_rate_bps, tax_cents,
    total_cents, currency, tax_note, seller, buyer, period_start, period_end,
    issued_at, due_at, paid_at, payment_attempts, stripe_invoice_id, created_at,
    updated_at, published_at FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_new RENAME TO invoices;
CREATE INDEX invoices_merchant ON invoices (merchant_id, issued_at);
CREATE INDEX invoices_subscription ON invoices (subscription_id, status);
CREATE INDEX invoices_stripe ON invoices (stripe_invoice_id);
-- A merchant's unpaid invoices (a new subscription waits for them).
CREATE INDEX invoices_merchant_status ON invoices (merchant_id, status);

CREATE TABLE email_outbox_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	kind		TEXT NOT NULL,
	recipient	TEXT NOT NULL,
	subject		TEXT NOT NULL,
	body		TEXT NOT NULL,
	merchant_id	INTEGER REFERENCES merchants (id) ON DELETE SET NULL,
	related		TEXT,
	status		TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued',
			    'sent', 'failed')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	sent_at		TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT,
	next_attempt_ms	INTEGER NOT NULL DEFAULT 0,
	last_error	TEXT
);
INSERT INTO email_outbox_new SELECT id, document_id, kind, recipient, subject,
    body, merchant_id, related, status, attempts, sent_at, created_at,
    updated_at, published_at, next_attempt_ms, last_error FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_new RENAME TO email_outbox;
CREATE INDEX email_outbox_status ON email_outbox (status, id);

-- public_time_spent_minutes and public_updated_at are the ticket as its
-- merchant sees it: internal notes move neither (the merchant's view below
-- reads them under the usual names).
CREATE TABLE support_tickets_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	reference	TEXT NOT NULL UNIQUE,
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	requester_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	subject		TEXT NOT NULL,
	description	TEXT NOT NULL,
	category	TEXT NOT NULL CHECK (category IN ('technical', 'billing', 'account')),
	priority	TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
	status		TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open',
			    'in_progress', 'waiting_on_merchant', 'resolved', 'closed')),
	assignee_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	first_response_at TEXT,
	first_response_due_at TEXT NOT NULL,
	resolved_at	TEXT,
	closed_at	TEXT,
	time_spent_minutes INTEGER NOT NULL DEFAULT 0,
	public_time_spent_minutes INTEGER NOT NULL DEFAULT 0,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	public_updated_at TEXT NOT NULL,
	published_at	TEXT
);
INSERT INTO support_tickets_new SELECT t.id, t.document_id, t.reference,
    t.merchant_id, t.requester_id, t.subject, t.description, t.category,
    t.priority, t.status, t.assignee_id, t.first_response_at,
    t.first_response_due_at, t.resolved_at, t.closed_at, t.time_spent_minutes,
    (SELECT coalesce(sum(r.time_spent_minutes), 0) FROM ticket_responses r
	WHERE r.ticket_id = t.id AND r.internal = 0),
    t.created_at, t.updated_at,
    -- The last change was an internal note: the latest public trace instead.
    CASE WHEN t.updated_at = (SELECT max(r.created_at) FROM ticket_responses r
	WHERE r.ticket_id = t.id AND r.internal = 1)
    THEN max(t.created_at, coalesce(t.resolved_at, ''), coalesce(t.closed_at, ''),
	coalesce((SELECT max(r.created_at) FROM ticket_responses r
	WHERE r.ticket_id = t.id AND r.internal = 0), ''))
    ELSE t.updated_at END,
    t.published_at FROM support_tickets t;
DROP TABLE support_tickets;
ALTER TABLE support_tickets_new RENAME TO support_tickets;
CREATE INDEX support_tickets_merchant ON support_tickets (merchant_id, status);
CREATE INDEX support_tickets_assignee ON support_tickets (assignee_id, status);
CREATE INDEX support_tickets_status ON support_tickets (status, resolved_at);

CREATE TABLE ticket_responses_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	ticket_id	INTEGER NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id) ON DELETE RESTRICT,
	author_id	INTEGER REFERENCES users (id) ON DELETE SET NULL,
	author_role	TEXT NOT NULL,
	body		TEXT NOT NULL,
	internal	INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
	time_spent_minutes INTEGER NOT NULL DEFAULT 0 CHECK (time_spent_minutes >= 0),
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
INSERT INTO ticket_responses_new SELECT id, document_id, ticket_id, merchant_id,
    author_id, author_role, body, internal, time_spent_minutes, created_at,
    updated_at, published_at FROM ticket_responses;
DROP TABLE ticket_responses;
ALTER TABLE ticket_responses_new RENAME TO ticket_responses;
CREATE INDEX ticket_responses_ticket ON ticket_responses (ticket_id, id);

-- What a merchant reads of its tickets (lib/tickets.c names it as the
-- content type's merchant view): no figure made of internal notes.
CREATE VIEW support_tickets_as_merchant AS SELECT id, document_id, reference,
    merchant_id, requester_id, subject, description, category, priority,
    status, assignee_id, first_response_at, first_response_due_at,
    resolved_at, closed_at, public_time_spent_minutes AS time_spent_minutes,
    created_at, public_updated_at AS updated_at, published_at
    FROM support_tickets;

-- A change of what a user's credentials stand for ends them all: the
-- version in every JWT no longer matches, and the browser sessions go, in
-- the transaction of the change, whoever makes it (API, command line).
CREATE TRIGGER users_credentials_end AFTER UPDATE OF password_hash, role,
    merchant_id, blocked ON users
    WHEN old.password_hash IS NOT new.password_hash OR old.role IS NOT new.role
	OR old.merchant_id IS NOT new.merchant_id OR old.blocked IS NOT new.blocked
BEGIN
	UPDATE users SET credentials_version = credentials_version + 1
	    WHERE id = new.id;
	DELETE FROM sessions WHERE user_id = new.id;
END;

-- migration: 8 merchant backends, their deployments and the steps of each
CREATE TABLE merchant_backends (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	merchant_id	INTEGER NOT NULL REFERENCES merchants (id),
	subdomain	TEXT NOT NULL UNIQUE CHECK (length(subdomain) BETWEEN 3 AND 63),
	status		TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending',
	    'deploying', 'running', 'failed', 'stopped', 'removed')),
	-- Where its pool listens: 'local' (a unix socket beside its database)
	-- or host:port.
	placement	TEXT NOT NULL DEFAULT 'local',
	-- The shop's key, in hex: the platform presents it to read statistics.
	secret		TEXT NOT NULL CHECK (length(secret) = 64),
	health		TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown',
	    'healthy', 'degraded', 'down')),
	failures	INTEGER NOT NULL DEFAULT 0,
	last_probe_at	TEXT,
	last_status	INTEGER,
	last_latency_ms	INTEGER,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX merchant_backends_merchant ON merchant_backends (merchant_id);

CREATE TABLE backend_deployments (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	backend_id	INTEGER NOT NULL REFERENCES merchant_backends (id) ON DELETE CASCADE,
	action		TEXT NOT NULL CHECK (action IN ('deploy', 'redeploy', 'restart',
	    'stop', 'start', 'undeploy')),
	status		TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued',
	    'running', 'succeeded', 'failed')),
	message		TEXT,
	started_at	TEXT,
	finished_at	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX backend_deployments_backend ON backend_deployments (backend_id, id);

CREATE TABLE deployment_steps (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	deployment_id	INTEGER NOT NULL REFERENCES backend_deployments (id)
	    ON DELETE CASCADE,
	step		TEXT NOT NULL,
	started_at	TEXT NOT NULL,
	duration_ms	INTEGER,
	outcome		TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed',
	    'undone')),
	message		TEXT
);
CREATE INDEX deployment_steps_deployment ON deployment_steps (deployment_id, id);

-- migration: 9 health probes of merchant backends, and their figures
CREATE TABLE backend_probes (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	backend_id	INTEGER NOT NULL REFERENCES merchant_backends (id) ON DELETE CASCADE,
	at		TEXT NOT NULL,
	status		INTEGER NOT NULL,	-- the HTTP status, 0 when none came
	latency_ms	INTEGER NOT NULL,
	ok		INTEGER NOT NULL CHECK (ok IN (0, 1))
);
CREATE INDEX backend_probes_backend ON backend_probes (backend_id, at);
ALTER TABLE merchant_backends ADD COLUMN uptime_24h REAL;
ALTER TABLE merchant_backends ADD COLUMN latency_p50_ms INTEGER;
ALTER TABLE merchant_backends ADD COLUMN latency_p95_ms INTEGER;

-- migration: 10 the dashboards' windows: tickets by when they came and were resolved
CREATE INDEX support_tickets_created ON support_tickets (created_at);
CREATE INDEX support_tickets_resolved ON support_tickets (resolved_at);

-- migration: 11 Stripe for real customers: each event's payload version and
-- outcome, the tax rates made at Stripe
ALTER TABLE stripe_events ADD COLUMN api_version TEXT;
ALTER TABLE stripe_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'applied'
    CHECK (outcome IN ('applied', 'ignored', 'unmapped'));
ALTER TABLE stripe_events ADD COLUMN detail TEXT;
CREATE TABLE stripe_tax_rates (
	rate_bps	INTEGER PRIMARY KEY CHECK (rate_bps > 0),
	stripe_id	TEXT NOT NULL,
	created_at	TEXT NOT NULL
);

-- migration: 12 subscriptions started through Stripe Checkout: the session,
-- until Stripe makes the subscription
ALTER TABLE subscriptions ADD COLUMN stripe_checkout_session_id TEXT;
CREATE INDEX subscriptions_checkout ON subscriptions (stripe_checkout_session_id);

-- migration: 13 relations read both ways: what merchants see of replies, and
-- the indexes that find a merchant's or a plan's subscriptions and a user's tickets
-- What a merchant reads of the replies to its tickets (lib/tickets.c names
-- it as the content type's merchant view): never an internal note.
CREATE VIEW ticket_responses_as_merchant AS SELECT * FROM ticket_responses
    WHERE internal = 0;
CREATE INDEX subscriptions_merchant ON subscriptions (merchant_id, id);
CREATE INDEX subscriptions_plan ON subscriptions (plan_id, id);
CREATE INDEX support_tickets_requester ON support_tickets (requester_id);

-- migration: 14 the tickets list in the orders it is asked for: newest first
-- and by id, a merchant's own and everyone's, read from an index without a
-- sort; (merchant, status) gives way to (merchant, id), which serves the
-- same lookups, so a new ticket writes no more index pages than before but one
DROP INDEX support_tickets_merchant;
DROP INDEX support_tickets_created;
CREATE INDEX support_tickets_created ON support_tickets (created_at DESC);
CREATE INDEX support_tickets_merchant_created ON support_tickets
    (merchant_id, created_at DESC);
CREATE INDEX support_tickets_merchant_id ON support_tickets (merchant_id, id);
