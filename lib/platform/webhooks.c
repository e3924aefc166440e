#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "invoices.h"
#include "json.h"
#include "msg.h"
#include "outbox.h"
#include "stripe.h"
#include "webhooks.h"

enum stmt_wh {
	STMT_WH_SEEN,
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
	    "object_id, received_at) VALUES (?, ?, ?, ?, ?)",
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

/* Stripe's subscription statuses in ours. */
static const char *
map_status(const char *s)
{
	static const struct { const char *stripe, *ours; } m[] = {
		{ "trialing", "trialing" }, { "active", "active" },
		{ "past_due", "past_due" }, { "unpaid", "past_due" },
		{ "incomplete", "pending" }, { "incomplete_expired", "cancelled" },
		{ "canceled", "cancelled" }, { "paused", "past_due" },
	};
	for (size_t i = 0; s && i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(s, m[i].stripe) == 0)
			return m[i].ours;
	return NULL;
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

static enum err
on_subscription(struct db *db, const char *type, const cJSON *obj, int64_t created,
    int64_t now)
{
	int64_t id, merchant, last;
	char a[25], b[25], t[25], cx[25], ts[25];
	enum err rc = find_sub(db, istr(obj, "id"), cJSON_GetObjectItem(obj, "metadata"),
	    &id, &merchant, &last);
	if (rc != ERR_OK || id == 0)
		return rc;	/* not ours: recorded as seen, nothing to do */
	if (created < last)
		return ERR_OK;	/* older than what we applied: out of order */
	const char *status = strcmp(type, "customer.subscription.deleted") == 0 ?
	    "cancelled" : map_status(istr(obj, "status"));
	if (status == NULL)
		return ERR_OK;
	clock_format_ms(now, ts);
	return db_exec(db, stmts[STMT_WH_SUB_UPDATE], "sssssisisi", istr(obj, "id"), status,
	    when(inum(obj, "current_period_start"), a),
	    when(inum(obj, "current_period_end"), b), when(inum(obj, "trial_end"), t),
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

/* The local invoice of a Stripe invoice; issued (with our number) the
 * first time Stripe tells of it. */
static enum err
local_invoice(struct db *db, const cJSON *obj, int64_t now, int64_t *inv,
    int64_t *merchant, int64_t *sub)
{
	int64_t last;
	*inv = 0;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_WH_INV_BY_STRIPE], "s", istr(obj, "id"));
	if (st == NULL)
		return ERR_DB;
	if (db_step(db, st) == DB_ROW)
		*inv = sqlite3_column_int64(st, 0);
	db_done(st);
	enum err rc = find_sub(db, istr(obj, "subscription"),
	    cJSON_GetObjectItem(obj, "subscription_details"), sub, merchant, &last);
	if (rc != ERR_OK || *inv || *sub == 0)
		return rc;
	/* Lines before tax, as Stripe computed them. */
	struct invoice_line lines[16];
	size_t n = 0;
	/* Stripe's amounts are in its unit of the currency. */
	const char *stripe_cur = istr(obj, "currency");
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "lines"),
	    "data")) {
		if (n == sizeof(lines) / sizeof(lines[0]))
			break;
		lines[n].description = istr(l, "description") ? istr(l, "description") :
		    msg(INVOICE_LANG, "INVOICE_LINE_SUBSCRIPTION");
		lines[n].quantity = 1;
		lines[n].unit_cents = stripe_amount_from(stripe_cur, inum(l, "amount"));
		n++;
	}
	if (n == 0) {
		lines[0].description = msg(INVOICE_LANG, "INVOICE_LINE_SUBSCRIPTION");
		lines[0].quantity = 1;
		lines[0].unit_cents = stripe_amount_from(stripe_cur, inum(obj, "subtotal"));
		n = 1;
	}
	struct seller sel;
	char number[32], cur[8];
	const char *c = istr(obj, "currency");
	snprintf(cur, sizeof(cur), "%s", c ? c : "eur");
	for (char *p = cur; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	seller_from_config(&sel);
	if ((rc = invoice_issue(db, &sel, *merchant, *sub, "invoice", lines, n, cur,
	    inum(obj, "period_start") * 1000, inum(obj, "period_end") * 1000, now, inv,
	    number)) != ERR_OK)
		return rc;
	return db_exec(db, stmts[STMT_WH_INV_SET_STRIPE], "si", istr(obj, "id"), *inv) ==
	    ERR_OK ? ERR_OK : ERR_DB;
}

static enum err
on_invoice(struct db *db, const char *type, const cJSON *obj, int64_t now)
{
	int64_t inv, merchant = 0, sub = 0;
	char ts[25];
	enum err rc = local_invoice(db, obj, now, &inv, &merchant, &sub);
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
		if (sqlite3_changes(db_handle(db)) == 0)
			return ERR_OK;
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
stripe_apply_event(struct db *db, const cJSON *ev, int64_t now, int *duplicate)
{
	const char *id = istr(ev, "id"), *type = istr(ev, "type");
	const cJSON *obj = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "data"), "object");
	int64_t created = inum(ev, "created");
	char ts[25];
	*duplicate = 0;
	if (id == NULL || type == NULL || !cJSON_IsObject(obj))
		return ERR_VALIDATION;
	clock_format_ms(now, ts);
	if (db_exec(db, stmts[STMT_WH_SEEN], "ssiss", id, type, created, istr(obj, "id"),
	    ts) != ERR_OK)
		return ERR_DB;
	if (sqlite3_changes(db_handle(db)) == 0) {
		*duplicate = 1;
		return ERR_OK;
	}
	if (strncmp(type, "customer.subscription.", 22) == 0 &&
	    strcmp(type, "customer.subscription.trial_will_end") != 0)
		return on_subscription(db, type, obj, created, now);
	if (strcmp(type, "customer.subscription.trial_will_end") == 0) {
		int64_t sid, merchant = 0, last;
		enum err rc = find_sub(db, istr(obj, "id"), cJSON_GetObjectItem(obj,
		    "metadata"), &sid, &merchant, &last);
		if (rc != ERR_OK || sid == 0)
			return rc;
		return notify(db, merchant, "trial_will_end", "MAIL_TRIAL_ENDING_SUBJECT",
		    "MAIL_TRIAL_ENDING_BODY", now);
	}
	if (strcmp(type, "invoice.finalized") == 0 || strcmp(type, "invoice.paid") == 0 ||
	    strcmp(type, "invoice.payment_failed") == 0)
		return on_invoice(db, type, obj, now);
	return ERR_OK;	/* other events: recorded, nothing to do */
}

enum err
h_stripe_webhook(struct ctx *c)
{
	struct stripe s;
	int duplicate = 0;
	enum err rc;
	stripe_from_config(&s);
	if (s.webhook_secret[0] == '\0') {
		c->err_msg = "Stripe webhooks are not configured";
		return ERR_UNAVAILABLE;
	}
	if (stripe_verify(s.webhook_secret, http_header(c->req, "stripe-signature"),
	    c->req->body, c->req->body_len, clock_now_ms() / 1000) != 0) {
		c->err_msg = "Invalid Stripe-Signature";
		return ERR_VALIDATION;
	}
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	rc = stripe_apply_event(c->db, c->body, clock_now_ms(), &duplicate);
	if (rc != ERR_OK) {
		db_rollback(c->db);
		if (rc == ERR_VALIDATION)
			c->err_msg = "Not a Stripe event";
		return rc;
	}
	/* 2xx only once committed: Stripe sends it again otherwise. */
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "received", 1);
	if (duplicate)
		cJSON_AddBoolToObject(o, "duplicate", 1);
	c->resp->status = 200;
	json_write(c->resp, o);
	cJSON_Delete(o);
	return ERR_OK;
}
