#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checkout.h"
#include "clock.h"
#include "invoices.h"
#include "json.h"
#include "metrics.h"
#include "msg.h"
#include "outbox.h"
#include "scrape.h"
#include "stripe.h"
#include "webhooks.h"

enum stmt_wh {
	STMT_WH_SEEN,
	STMT_WH_RETRY,
	STMT_WH_OUTCOME,
	STMT_WH_UNMAPPED,
	STMT_WH_SUB_BY_STRIPE,
	STMT_WH_SUB_BY_DOC,
	STMT_WH_SUB_UPDATE,
	STMT_WH_INV_BY_STRIPE,
	STMT_WH_INV_SET_STRIPE,
	STMT_WH_INV_PAID,
	STMT_WH_INV_FAILED,
	STMT_WH_SUB_STATUS,
	STMT_WH_MERCHANT,
	STMT_WH__MAX
};

static const char *const stmts[STMT_WH__MAX] = {
	[STMT_WH_SEEN] = "INSERT OR IGNORE INTO stripe_events (id, type, created, "
	    "object_id, received_at, api_version) VALUES (?, ?, ?, ?, ?, ?)",
	/* An event that could not be mapped is tried again when it comes
	 * again (Stripe retries; a fixed platform maps it). */
	[STMT_WH_RETRY] = "DELETE FROM stripe_events WHERE id = ? AND outcome = "
	    "'unmapped'",
	[STMT_WH_OUTCOME] = "UPDATE stripe_events SET outcome = ?, detail = ? WHERE id = ?",
	[STMT_WH_UNMAPPED] = "INSERT INTO stripe_events (id, type, created, object_id, "
	    "received_at, api_version, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, "
	    "'unmapped', ?) ON CONFLICT (id) DO UPDATE SET received_at = "
	    "excluded.received_at, detail = excluded.detail",
	[STMT_WH_SUB_BY_STRIPE] = "SELECT id, merchant_id, stripe_event_created FROM "
	    "subscriptions WHERE stripe_subscription_id = ?",
	[STMT_WH_SUB_BY_DOC] = "SELECT id, merchant_id, stripe_event_created FROM "
	    "subscriptions WHERE document_id = ?",
	[STMT_WH_SUB_UPDATE] = "UPDATE subscriptions SET stripe_subscription_id = ?, "
	    "status = ?, current_period_start = coalesce(?, current_period_start), "
	    "current_period_end = coalesce(?, current_period_end), trial_end = ?, "
	    "cancel_at_period_end = ?, cancelled_at = ?, stripe_event_created = ?, "
	    "updated_at = ? WHERE id = ?",
	[STMT_WH_INV_BY_STRIPE] = "SELECT id FROM invoices WHERE stripe_invoice_id = ?",
	[STMT_WH_INV_SET_STRIPE] = "UPDATE invoices SET stripe_invoice_id = ? WHERE id = ?",
	[STMT_WH_INV_PAID] = "UPDATE invoices SET status = 'paid', paid_at = ?, "
	    "payment_attempts = payment_attempts + 1, updated_at = ? WHERE id = ? AND "
	    "status = 'open'",
	[STMT_WH_INV_FAILED] = "UPDATE invoices SET payment_attempts = "
	    "payment_attempts + 1, updated_at = ? WHERE id = ? AND status = 'open'",
	[STMT_WH_SUB_STATUS] = "UPDATE subscriptions SET status = ?, updated_at = ? "
	    "WHERE id = ? AND status IN ('active', 'past_due', 'pending')",
	[STMT_WH_MERCHANT] = "SELECT email, language FROM merchants WHERE id = ?",
};

static int64_t
inum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *
istr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* Unix seconds as our ISO text into out; NULL for 0. */
static const char *
when(int64_t unix_s, char out[25])
{
	if (unix_s <= 0)
		return NULL;
	clock_format_ms(unix_s * 1000, out);
	return out;
}

/* Finds the local subscription of a Stripe one: by its Stripe id, or by
 * metadata.subscription (our documentId) when it was created elsewhere. */
static enum err
find_sub(struct db *db, const char *stripe_id, const cJSON *metadata,
    int64_t *id, int64_t *merchant, int64_t *last)
{
	*id = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *key = pass == 0 ? stripe_id : istr(metadata, "subscription");
		if (key == NULL)
			continue;
		enum err e = db_get(db, stmts[pass == 0 ? STMT_WH_SUB_BY_STRIPE :
		    STMT_WH_SUB_BY_DOC], "s", "III", key, id, merchant, last);
		if (e != ERR_NOT_FOUND)
			return e == ERR_OK ? ERR_OK : ERR_DB;
	}
	return ERR_OK;
}

/* The object at a path of keys (NULL-terminated), or NULL. */
static const cJSON *
at(const cJSON *o, ...)
{
	va_list ap;
	va_start(ap, o);
	for (const char *k = va_arg(ap, const char *); o && k; k = va_arg(ap, const char *))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	va_end(ap);
	return o;
}

/* A subscription's period: on the subscription up to 2025-02-24, on its
 * items since 2025-03-31 (Stripe moved it there). 0 when neither says. */
static int64_t
sub_period(const cJSON *obj, const char *key)
{
	int64_t v = inum(obj, key);
	if (v == 0)
		v = inum(cJSON_GetArrayItem(at(obj, "items", "data", NULL), 0), key);
	return v;
}

static enum err
on_subscription(struct db *db, const char *type, const cJSON *obj, int64_t created,
    int64_t now, struct stripe_outcome *out)
{
	int64_t id, merchant, last;
	char a[25], b[25], t[25], cx[25], ts[25];
	enum err rc = find_sub(db, istr(obj, "id"), cJSON_GetObjectItem(obj, "metadata"),
	    &id, &merchant, &last);
	if (rc != ERR_OK)
		return rc;
	if (id == 0) {
		out->ignored = "not a subscription of the platform";
		return ERR_OK;
	}
	if (created < last) {
		out->ignored = "older than the last event applied";
		return ERR_OK;
	}
	const char *status = strcmp(type, "customer.subscription.deleted") == 0 ?
	    "cancelled" : stripe_status(istr(obj, "status"));
	if (status == NULL) {
		snprintf(out->unmapped, sizeof(out->unmapped), "unknown subscription "
		    "status \"%s\"", istr(obj, "status") ? istr(obj, "status") : "");
		return ERR_OK;
	}
	int64_t start = sub_period(obj, "current_period_start");
	int64_t end = sub_period(obj, "current_period_end");
	if (strcmp(status, "cancelled") != 0 && (start == 0 || end == 0)) {
		snprintf(out->unmapped, sizeof(out->unmapped), "no current period, "
		    "neither on the subscription nor on its items");
		return ERR_OK;
	}
	clock_format_ms(now, ts);
	return db_exec(db, stmts[STMT_WH_SUB_UPDATE], "sssssisisi", istr(obj, "id"), status,
	    when(start, a), when(end, b), when(inum(obj, "trial_end"), t),
	    (int64_t)cJSON_IsTrue(cJSON_GetObjectItem(obj, "cancel_at_period_end")),
	    strcmp(status, "cancelled") == 0 ? (when(inum(obj, "canceled_at"), cx) ? cx :
	    ts) : NULL, (int64_t)created, ts, (int64_t)id) == ERR_OK ? ERR_OK : ERR_DB;
}

static enum err
notify(struct db *db, int64_t merchant, const char *kind, const char *subject_key,
    const char *body_key, int64_t now)
{
	char email[256] = "", lang[8] = "";
	enum err e = db_get(db, stmts[STMT_WH_MERCHANT], "i", "SS", merchant, email,
	    sizeof(email), lang, sizeof(lang));
	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return ERR_DB;
	if (email[0] == '\0')
		return ERR_OK;
	return outbox_queue(db, kind, email, msg(lang, subject_key), msg(lang, body_key),
	    merchant, NULL, now);
}

/* An invoice's subscription and its metadata: on the invoice up to
 * 2025-02-24, under parent.subscription_details since 2025-03-31. */
static const char *
invoice_sub(const cJSON *obj, const cJSON **metadata)
{
	const char *id = istr(obj, "subscription");
	if (id) {
		*metadata = at(obj, "subscription_details", "metadata", NULL);
		return id;
	}
	const cJSON *p = at(obj, "parent", "subscription_details", NULL);
	*metadata = at(p, "metadata", NULL);
	return istr(p, "subscription");
}

/* A line of a proration (a plan changed during a period), in either
 * version. */
static int
line_proration(const cJSON *l)
{
	return cJSON_IsTrue(at(l, "proration", NULL)) ||
	    cJSON_IsTrue(at(l, "parent", "subscription_item_details", "proration", NULL)) ||
	    cJSON_IsTrue(at(l, "parent", "invoice_item_details", "proration", NULL));
}

#define STRIPE_LINES_MAX	64

/* The local document of a Stripe invoice; issued (with our number) the
 * first time Stripe tells of it, mirroring what Stripe charged: its lines,
 * its tax, its total. A negative invoice (a credit at a downgrade) becomes
 * a credit note; an invoice of nothing (a trial's) takes no number. */
static enum err
local_invoice(struct db *db, const cJSON *obj, int64_t now, int64_t *inv,
    int64_t *merchant, int64_t *sub, struct stripe_outcome *out)
{
	int64_t last;
	const cJSON *meta = NULL;
	*inv = 0;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_WH_INV_BY_STRIPE], "s", istr(obj, "id"));
	if (st == NULL)
		return ERR_DB;
	if (db_step(db, st) == DB_ROW)
		*inv = sqlite3_column_int64(st, 0);
	db_done(st);
	const char *sid = invoice_sub(obj, &meta);
	if (sid == NULL && istr(meta, "subscription") == NULL) {
		out->ignored = "an invoice of no subscription";
		return ERR_OK;
	}
	enum err rc = find_sub(db, sid, meta, sub, merchant, &last);
	if (rc != ERR_OK || *inv)
		return rc;
	if (*sub == 0) {
		out->ignored = "not a subscription of the platform";
		return ERR_OK;
	}
	/* Amounts: Stripe's are in its unit of the currency. */
	const char *cur = istr(obj, "currency");
	const cJSON *jt = at(obj, "total", NULL), *js = at(obj, "subtotal", NULL);
	if (cur == NULL || !cJSON_IsNumber(jt) || !cJSON_IsNumber(js)) {
		snprintf(out->unmapped, sizeof(out->unmapped), "an invoice without "
		    "currency, subtotal or total");
		return ERR_OK;
	}
	int64_t total = stripe_amount_from(cur, inum(obj, "total"));
	int64_t subtotal = stripe_amount_from(cur, inum(obj, "subtotal"));
	const cJSON *jx = at(obj, "total_excluding_tax", NULL);
	int64_t tax = total - (cJSON_IsNumber(jx) ? stripe_amount_from(cur,
	    inum(obj, "total_excluding_tax")) : subtotal);
	if (total == 0) {
		out->ignored = "an invoice of nothing takes no number";
		return ERR_OK;
	}
	/* The lines as Stripe computed them, before tax; the service period
	 * is that of the subscription's lines (the invoice's own period_start
	 * and period_end are the period before), prorations aside. */
	struct invoice_line lines[STRIPE_LINES_MAX];
	size_t n = 0;
	int64_t sum = 0, ps[2] = { 0, 0 }, pe[2] = { 0, 0 };
	const cJSON *l, *data = at(obj, "lines", "data", NULL);
	if (cJSON_GetArraySize(data) > STRIPE_LINES_MAX ||
	    cJSON_IsTrue(at(obj, "lines", "has_more", NULL))) {
		snprintf(out->unmapped, sizeof(out->unmapped), "an invoice of more than "
		    "%d lines", STRIPE_LINES_MAX);
		return ERR_OK;
	}
	cJSON_ArrayForEach(l, data) {
		lines[n].description = istr(l, "description") ? istr(l, "description") :
		    msg(INVOICE_LANG, "INVOICE_LINE_SUBSCRIPTION");
		lines[n].quantity = 1;
		lines[n].unit_cents = stripe_amount_from(cur, inum(l, "amount"));
		sum += lines[n].unit_cents;
		n++;
		int k = line_proration(l);
		int64_t a = inum(at(l, "period", NULL), "start");
		int64_t b = inum(at(l, "period", NULL), "end");
		if (a > 0 && (ps[k] == 0 || a < ps[k]))
			ps[k] = a;
		if (b > pe[k])
			pe[k] = b;
	}
	if (n == 0) {
		lines[0].description = msg(INVOICE_LANG, "INVOICE_LINE_SUBSCRIPTION");
		lines[0].quantity = 1;
		lines[0].unit_cents = subtotal;
		sum = subtotal;
		n = 1;
	}
	if (sum != subtotal || subtotal + tax != total) {
		/* A discount, or lines left out: not what our invoice can say. */
		snprintf(out->unmapped, sizeof(out->unmapped), "lines of %lld, subtotal "
		    "%lld, tax %lld and total %lld do not add up (a discount?)",
		    (long long)sum, (long long)subtotal, (long long)tax, (long long)total);
		return ERR_OK;
	}
	int k = ps[0] ? 0 : 1;
	int64_t start = ps[k] ? ps[k] : inum(obj, "period_start");
	int64_t end = ps[k] ? pe[k] : inum(obj, "period_end");
	const char *kind = "invoice";
	if (total < 0) {
		kind = "credit_note";
		for (size_t i = 0; i < n; i++)
			lines[i].unit_cents = -lines[i].unit_cents;
		tax = -tax;
		total = -total;
	}
	struct seller sel;
	struct invoice_charged charged = { tax, total };
	char number[32], upper[8];
	snprintf(upper, sizeof(upper), "%s", cur);
	for (char *p = upper; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	seller_from_config(&sel);
	if ((rc = invoice_issue_charged(db, &sel, *merchant, *sub, kind, lines, n, upper,
	    start * 1000, end * 1000, now, &charged, inv, number)) != ERR_OK)
		return rc;
	return db_exec(db, stmts[STMT_WH_INV_SET_STRIPE], "si", istr(obj, "id"), *inv) ==
	    ERR_OK ? ERR_OK : ERR_DB;
}

static enum err
on_invoice(struct db *db, const char *type, const cJSON *obj, int64_t now,
    struct stripe_outcome *out)
{
	int64_t inv, merchant = 0, sub = 0;
	char ts[25];
	enum err rc = local_invoice(db, obj, now, &inv, &merchant, &sub, out);
	if (rc != ERR_OK || inv == 0)
		return rc;
	clock_format_ms(now, ts);
	sqlite3_stmt *st;
	enum db_rc r;
	if (strcmp(type, "invoice.paid") == 0) {
		/* Paid when Stripe says it was, not when its event arrived. */
		char paid[25];
		if (when(inum(cJSON_GetObjectItemCaseSensitive(obj, "status_transitions"),
		    "paid_at"), paid) == NULL)
			snprintf(paid, sizeof(paid), "%s", ts);
		if ((st = db_bind(db, stmts[STMT_WH_INV_PAID], "ssi", paid, ts, inv)) == NULL)
			return ERR_DB;
		r = db_step(db, st);
		db_done(st);
		if (r != DB_DONE)
			return ERR_DB;
	} else if (strcmp(type, "invoice.payment_failed") == 0) {
		if ((st = db_bind(db, stmts[STMT_WH_INV_FAILED], "si", ts, inv)) == NULL)
			return ERR_DB;
		r = db_step(db, st);
		db_done(st);
		if (r != DB_DONE)
			return ERR_DB;
		/* A failure told after the payment (out of order) is old news. */
		if (sqlite3_changes(db_handle(db)) == 0) {
			out->ignored = "a failure told after the payment";
			return ERR_OK;
		}
		if ((st = db_bind(db, stmts[STMT_WH_SUB_STATUS], "ssi", "past_due", ts, sub)) == NULL)
			return ERR_DB;
		r = db_step(db, st);
		db_done(st);
		if (r != DB_DONE)
			return ERR_DB;
		return notify(db, merchant, "payment_failed",
		    "MAIL_STRIPE_PAYMENT_FAILED_SUBJECT", "MAIL_STRIPE_PAYMENT_FAILED_BODY",
		    now);
	}
	return ERR_OK;
}

enum err
stripe_apply_event(struct db *db, const cJSON *ev, int64_t now,
    struct stripe_outcome *out)
{
	const char *id = istr(ev, "id"), *type = istr(ev, "type");
	const cJSON *obj = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "data"), "object");
	int64_t created = inum(ev, "created");
	char ts[25];
	enum err rc = ERR_OK;
	memset(out, 0, sizeof(*out));
	if (id == NULL || type == NULL || !cJSON_IsObject(obj))
		return ERR_VALIDATION;
	clock_format_ms(now, ts);
	if (db_exec(db, stmts[STMT_WH_RETRY], "s", id) != ERR_OK ||
	    db_exec(db, stmts[STMT_WH_SEEN], "ssisst", id, type, created, istr(obj, "id"),
	    ts, istr(ev, "api_version")) != ERR_OK)
		return ERR_DB;
	if (sqlite3_changes(db_handle(db)) == 0) {
		out->duplicate = 1;
		return ERR_OK;
	}
	if (strcmp(type, "customer.subscription.trial_will_end") == 0) {
		int64_t sid, merchant = 0, last;
		rc = find_sub(db, istr(obj, "id"), cJSON_GetObjectItem(obj, "metadata"), &sid,
		    &merchant, &last);
		if (rc == ERR_OK && sid == 0)
			out->ignored = "not a subscription of the platform";
		else if (rc == ERR_OK)
			rc = notify(db, merchant, "trial_will_end", "MAIL_TRIAL_ENDING_SUBJECT",
			    "MAIL_TRIAL_ENDING_BODY", now);
	} else if (strncmp(type, "customer.subscription.", 22) == 0)
		rc = on_subscription(db, type, obj, created, now, out);
	else if (strcmp(type, "invoice.finalized") == 0 || strcmp(type, "invoice.paid") == 0 ||
	    strcmp(type, "invoice.payment_failed") == 0)
		rc = on_invoice(db, type, obj, now, out);
	else if (strcmp(type, "checkout.session.completed") == 0 ||
	    strcmp(type, "checkout.session.expired") == 0)
		rc = checkout_on_event(db, type, obj, now, out);
	else
		out->ignored = "an event the platform does not listen to";
	if (rc != ERR_OK || out->unmapped[0])
		return rc;
	return db_exec(db, stmts[STMT_WH_OUTCOME], "sts", out->ignored ? "ignored" :
	    "applied", out->ignored, id) == ERR_OK ? ERR_OK : ERR_DB;
}

/* Keeps, in its own transaction, an event that could not be mapped (the
 * operator sees it in stripe_events and in the log), and refuses it: Stripe
 * sends it again, and a platform that learned its shape applies it. */
static enum err
refuse_unmapped(struct ctx *c, const cJSON *ev, const struct stripe_outcome *out)
{
	char ts[25];
	const char *id = istr(ev, "id"), *type = istr(ev, "type");
	const cJSON *obj = at(ev, "data", "object", NULL);
	clock_format_ms(clock_now_ms(), ts);
	fprintf(stderr, "stripe: event %s (%s, version %s) could not be mapped: %s\n", id,
	    type, istr(ev, "api_version") ? istr(ev, "api_version") : "unknown",
	    out->unmapped);
	if (db_begin(c->db) != ERR_OK)
		return ERR_DB;
	if (db_exec(c->db, stmts[STMT_WH_UNMAPPED], "ssissts", id, type, inum(ev, "created"),
	    istr(obj, "id"), ts, istr(ev, "api_version"), out->unmapped) != ERR_OK) {
		db_rollback(c->db);
		return ERR_DB;
	}
	if (db_commit(c->db) != ERR_OK)
		return ERR_DB;
	ctx_error(c, "Stripe event %s (%s) could not be mapped: %s", id, type,
	    out->unmapped);
	return ERR_VALIDATION;
}

enum err
h_stripe_webhook(struct ctx *c)
{
	struct stripe s;
	struct stripe_outcome out;
	enum err rc;
	stripe_from_config(&s);
	if (s.webhook_secret[0] == '\0') {
		c->err_msg = "Stripe webhooks are not configured";
		return ERR_UNAVAILABLE;
	}
	if (stripe_verify(s.webhook_secret, http_header(c->req, "stripe-signature"),
	    c->req->body, c->req->body_len, clock_now_ms() / 1000) != 0) {
		metrics_add(MX_WEBHOOK_REFUSED, 1);
		c->err_msg = "Invalid Stripe-Signature";
		return ERR_VALIDATION;
	}
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	rc = stripe_apply_event(c->db, c->body, clock_now_ms(), &out);
	if (rc != ERR_OK || out.unmapped[0]) {
		db_rollback(c->db);
		if (rc != ERR_DB)
			metrics_add(MX_WEBHOOK_REFUSED, 1);
		if (rc == ERR_VALIDATION)
			c->err_msg = "Not a Stripe event";
		return rc != ERR_OK ? rc : refuse_unmapped(c, c->body, &out);
	}
	/* 2xx only once committed: Stripe sends it again otherwise. */
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;
	metrics_add(out.duplicate ? MX_WEBHOOK_DUPLICATE : MX_WEBHOOK_APPLIED, 1);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "received", 1);
	if (out.duplicate)
		cJSON_AddBoolToObject(o, "duplicate", 1);
	c->resp->status = 200;
	json_write(c->resp, o);
	cJSON_Delete(o);
	return ERR_OK;
}
