-- The database of a shop backend (shop-fcgi), one file per merchant under
-- var/merchants/<subdomain>/. Numbered migrations, as schema.sql.

-- migration: 1 products, orders, and the web layer's own tables
CREATE TABLE products (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	name		TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
	slug		TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
	description	TEXT,
	price_cents	INTEGER NOT NULL CHECK (price_cents >= 0),
	currency	TEXT NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
	stock		INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
	active		INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	sort_order	INTEGER NOT NULL DEFAULT 0,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX products_listed ON products (active, sort_order, id);

CREATE TABLE orders (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	document_id	TEXT NOT NULL UNIQUE CHECK (length(document_id) = 24),
	reference	TEXT UNIQUE,
	customer_name	TEXT NOT NULL CHECK (length(customer_name) BETWEEN 1 AND 120),
	customer_email	TEXT NOT NULL CHECK (length(customer_email) BETWEEN 3 AND 254),
	status		TEXT NOT NULL DEFAULT 'placed'
	    CHECK (status IN ('placed', 'paid', 'shipped', 'cancelled')),
	total_cents	INTEGER NOT NULL CHECK (total_cents >= 0),
	currency	TEXT NOT NULL DEFAULT 'EUR',
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	published_at	TEXT
);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_lines (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id	INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id	INTEGER NOT NULL REFERENCES products (id),
	name		TEXT NOT NULL,
	quantity	INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
	unit_cents	INTEGER NOT NULL CHECK (unit_cents >= 0),
	amount_cents	INTEGER NOT NULL CHECK (amount_cents >= 0)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);

-- The dispatcher's idempotency keys and the audit log of owner changes, as
-- the platform's (lib/web/idem.c, lib/web/audit.c).
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

CREATE TABLE audit_logs (
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
CREATE INDEX audit_logs_record ON audit_logs (content_type, record_id);
