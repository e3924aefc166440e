#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkout.h"
#include "clock.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "msg.h"
#include "provider.h"
#include "subscriptions.h"
#include "valid.h"
#include "invoices.h"
#include "merchants.h"
#include "plans.h"

static const char *const statuses[] = { "pending", "trialing", "active",
    "past_due", "cancelled", NULL };

static const struct field sub_fields[] = {
	ENTITY_STD_FIELDS,
	{ "merchant", "merchant_id", FT_REF, F_FILTER, 0, 0, NULL, NULL, "merchants" },
	{ "plan", "plan_id", FT_REF, F_FILTER, 0, 0, NULL, NULL,
	    "subscription_plans" },
	{ "status", "status", FT_ENUM, F_FILTER | F_SORT, 0, 0, statuses, NULL, NULL },
	{ "currentPeriodStart", "current_period_start", FT_DATETIME, F_FILTER |
	    F_SORT | F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "currentPeriodEnd", "current_period_end", FT_DATETIME, F_FILTER | F_SORT |
	    F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "trialEnd", "trial_end", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "autoRenew", "auto_renew", FT_BOOL, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "cancelAtPeriodEnd", "cancel_at_period_end", FT_BOOL, F_FILTER, 0, 0,
	    NULL, NULL, NULL },
	{ "cancelledAt", "cancelled_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "cancellationReason", "cancellation_reason", FT_STRING, F_NULLABLE, 0, 0,
	    NULL, NULL, NULL },
	{ "stripeSubscriptionId", "stripe_subscription_id", FT_STRING, F_FILTER |
	    F_NULLABLE, 0, 0, NULL, NULL, NULL },
};

static const struct relation sub_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
	{ "plan", &plans_entity, "plan_id", REL_ONE },
	{ "invoices", &invoices_entity, "subscription_id", REL_MANY },
};

const struct entity subscriptions_entity = {
	.name = "subscriptions",
	.table = "subscriptions",
	.fields = sub_fields,
	.nfields = sizeof(sub_fields) / sizeof(sub_fields[0]),
	.rels = sub_rels,
	.nrels = sizeof(sub_rels) / sizeof(sub_rels[0]),
	.scope_col = "merchant_id",
};

enum stmt_subs {
	STMT_SUB_PLAN,
	STMT_SUB_LIVE,
	STMT_SUB_INSERT,
	STMT_SUB_GET,
	STMT_SUB_DUE,
	STMT_SUB_SET_PERIOD,
	STMT_SUB_SET_DUNNING,
	STMT_SUB_CANCEL,
	STMT_SUB_OPEN_INVOICES,
	STMT_SUB_UNCOLLECTIBLE,
	STMT_SUB_CANCEL_AT_END,
	STMT_SUB_SET_PLAN,
	STMT_SUB_HAD_TRIAL,
	STMT_SUB_UNPAID,
	/* Statistics. Amounts are cents before tax; plans in other currencies
	 * than EUR are counted but not summed with euros (the platform bills
	 * in EUR). */
	STMT_SUB_STATS_STATUS,
	STMT_SUB_STATS_PLAN,
	STMT_SUB_STATS_MRR,
	STMT_SUB_STATS_TRIALS,
	STMT_SUB_STATS_CHURN,
	STMT_SUB_STATS_REVENUE,
	STMT_SUB__MAX
};

#define SUB_COLS "merchant_id, plan_id, status, current_period_start, " \
	"current_period_end, trial_end, auto_renew, cancel_at_period_end, " \
	"failed_payments, first_failed_at, next_retry_at, document_id"

static const char *const stmts[STMT_SUB__MAX] = {
	[STMT_SUB_PLAN] = "SELECT name, price_cents, currency, interval, trial_days, "
	    "active FROM subscription_plans WHERE id = ?",
	[STMT_SUB_LIVE] = "SELECT id FROM subscriptions WHERE merchant_id = ? AND "
	    "status != 'cancelled'",
	[STMT_SUB_INSERT] = "INSERT INTO subscriptions (document_id, merchant_id, "
	    "plan_id, status, current_period_start, current_period_end, trial_end, "
	    "created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?)",
	[STMT_SUB_GET] = "SELECT " SUB_COLS ", coalesce(stripe_subscription_id, '') "
	    "FROM subscriptions WHERE id = ?",
	/* Subscriptions Stripe manages are Stripe's to renew. */
	[STMT_SUB_DUE] = "SELECT id FROM subscriptions WHERE stripe_subscription_id "
	    "IS NULL AND ((status = 'trialing' AND trial_end <= ?1) OR (status = "
	    "'active' AND current_period_end <= ?1) OR (status IN ('past_due', "
	    "'pending') AND next_retry_at <= ?1)) ORDER BY id LIMIT 200",
	[STMT_SUB_SET_PERIOD] = "UPDATE subscriptions SET status = ?, "
	    "current_period_start = ?, current_period_end = ?, failed_payments = 0, "
	    "first_failed_at = NULL, next_retry_at = NULL, updated_at = ? WHERE id = ?",
	[STMT_SUB_SET_DUNNING] = "UPDATE subscriptions SET status = ?, "
	    "failed_payments = ?, first_failed_at = ?, next_retry_at = ?, "
	    "updated_at = ? WHERE id = ?",
	[STMT_SUB_CANCEL] = "UPDATE subscriptions SET status = 'cancelled', "
	    "cancelled_at = ?, cancellation_reason = coalesce(?, cancellation_reason), "
	    "next_retry_at = NULL, updated_at = ? WHERE id = ?",
	[STMT_SUB_OPEN_INVOICES] = "SELECT id FROM invoices WHERE subscription_id = ? "
	    "AND status = 'open' AND kind = 'invoice' ORDER BY id",
	[STMT_SUB_UNCOLLECTIBLE] = "UPDATE invoices SET status = 'uncollectible', "
	    "updated_at = ? WHERE subscription_id = ? AND status = 'open'",
	[STMT_SUB_CANCEL_AT_END] = "UPDATE subscriptions SET cancel_at_period_end = ?, "
	    "cancellation_reason = ?, updated_at = ? WHERE id = ?",
	[STMT_SUB_SET_PLAN] = "UPDATE subscriptions SET plan_id = ?, updated_at = ? "
	    "WHERE id = ?",
	/* No trial for a merchant that had one, or whose debts were written
	 * off after dunning. */
	[STMT_SUB_HAD_TRIAL] = "SELECT 1 FROM subscriptions WHERE merchant_id = ?1 "
	    "AND trial_end IS NOT NULL UNION ALL SELECT 1 FROM invoices WHERE "
	    "merchant_id = ?1 AND status = 'uncollectible' LIMIT 1",
	[STMT_SUB_UNPAID] = "SELECT number FROM invoices WHERE merchant_id = ? AND "
	    "kind = 'invoice' AND status = 'open' ORDER BY id LIMIT 1",
	[STMT_SUB_STATS_STATUS] =
	    "SELECT status, count(*) FROM subscriptions GROUP BY status",
	[STMT_SUB_STATS_PLAN] =
	    "SELECT p.id, p.name, p.interval, p.price_cents, "
	    "sum(s.status != 'cancelled'), sum(s.status = 'active') "
	    "FROM subscription_plans p LEFT JOIN subscriptions s ON s.plan_id = p.id "
	    "GROUP BY p.id ORDER BY p.sort_order, p.id",
	/* Monthly recurring revenue of active subscriptions: a yearly plan counts
	 * a twelfth of its price. */
	[STMT_SUB_STATS_MRR] =
	    "SELECT coalesce(sum(CASE p.interval WHEN 'year' THEN p.price_cents / 12.0 "
	    "ELSE p.price_cents END), 0), count(*) FROM subscriptions s JOIN "
	    "subscription_plans p ON p.id = s.plan_id WHERE s.status = 'active' AND "
	    "p.currency = 'EUR'",
	/* Trials ended by now, and those of them that paid an invoice since. */
	[STMT_SUB_STATS_TRIALS] =
	    "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM invoices i WHERE "
	    "i.subscription_id = s.id AND i.kind = 'invoice' AND i.status = 'paid')), 0) "
	    "FROM subscriptions s WHERE s.trial_end IS NOT NULL AND s.trial_end <= ?1",
	/* Churn over the 30 days before now: cancellations in the window over the
	 * subscriptions live when it began. */
	[STMT_SUB_STATS_CHURN] =
	    "SELECT (SELECT count(*) FROM subscriptions WHERE cancelled_at >= ?1 AND "
	    "cancelled_at < ?2), (SELECT count(*) FROM subscriptions WHERE "
	    "created_at < ?1 AND (cancelled_at IS NULL OR cancelled_at >= ?1))",
	/* Revenue: invoices paid, less credit notes, by month of payment. */
	[STMT_SUB_STATS_REVENUE] =
	    "SELECT substr(paid_at, 1, 7), sum(CASE kind WHEN 'credit_note' THEN "
	    "-subtotal_cents ELSE subtotal_cents END) FROM invoices WHERE status = 'paid' "
	    "AND paid_at >= ?1 AND currency = 'EUR' GROUP BY 1",
};

struct plan {
	char	 name[128], currency[8], interval[8];
	int64_t	 price;
	int	 trial_days, active;
};

struct sub {
	int64_t	 id, merchant, plan;
	char	 status[16], docid[32], stripe_id[128];
	int64_t	 period_start, period_end, trial_end;	/* 0: none */
	int	 auto_renew, cancel_at_end, failed;
	int64_t	 first_failed, next_retry;
};

static int64_t
col_time(sqlite3_stmt *st, int i)
{
	int64_t ms = 0;
	if (sqlite3_column_type(st, i) != SQLITE_NULL)
		clock_parse_ms(db_col_text(st, i), &ms);
	return ms;
}

static enum err
load_plan(struct db *db, int64_t id, struct plan *p)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_PLAN], "i", id);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(db, st);
	if (r == DB_ROW) {
		snprintf(p->name, sizeof(p->name), "%s", db_col_text(st, 0));
		p->price = sqlite3_column_int64(st, 1);
		snprintf(p->currency, sizeof(p->currency), "%s", db_col_text(st, 2));
		snprintf(p->interval, sizeof(p->interval), "%s", db_col_text(st, 3));
		p->trial_days = sqlite3_column_int(st, 4);
		p->active = sqlite3_column_int(st, 5);
	}
	db_done(st);
	return r == DB_ROW ? ERR_OK : r == DB_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static enum err
load_sub(struct db *db, int64_t id, struct sub *s)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_GET], "i", id);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(db, st);
	if (r == DB_ROW) {
		s->id = id;
		s->merchant = sqlite3_column_int64(st, 0);
		s->plan = sqlite3_column_int64(st, 1);
		snprintf(s->status, sizeof(s->status), "%s", db_col_text(st, 2));
		s->period_start = col_time(st, 3);
		s->period_end = col_time(st, 4);
		s->trial_end = col_time(st, 5);
		s->auto_renew = sqlite3_column_int(st, 6);
		s->cancel_at_end = sqlite3_column_int(st, 7);
		s->failed = sqlite3_column_int(st, 8);
		s->first_failed = col_time(st, 9);
		s->next_retry = col_time(st, 10);
		snprintf(s->docid, sizeof(s->docid), "%s", db_col_text(st, 11));
		snprintf(s->stripe_id, sizeof(s->stripe_id), "%s", db_col_text(st, 12));
	}
	db_done(st);
	return r == DB_ROW ? ERR_OK : r == DB_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static int64_t
period_after(int64_t start, const char *interval)
{
	return clock_add_months(start, strcmp(interval, "year") == 0 ? 12 : 1);
}

/* The date of ms in the invoices' language, for invoice lines. */
static void
day_text(int64_t ms, char out[16])
{
	char iso[25];
	clock_format_ms(ms, iso);
	msg_date(INVOICE_LANG, iso, out, 16);
}


/* Sets status and period, clearing any dunning. */
static enum err
set_period(struct db *db, int64_t id, const char *status, int64_t start,
    int64_t end, int64_t now)
{
	char a[25], b[25], n[25];
	clock_format_ms(start, a);
	clock_format_ms(end, b);
	clock_format_ms(now, n);
	return db_exec(db, stmts[STMT_SUB_SET_PERIOD], "ssssi", status, a, b, n, id);
}

/* Starts dunning after a failed first attempt at now. */
static enum err
start_dunning(struct db *db, int64_t id, const char *status, int64_t now)
{
	char f[25], nx[25], n[25];
	clock_format_ms(now, f);
	clock_format_ms(now + 1 * CLOCK_DAY_MS, nx);
	clock_format_ms(now, n);
	return db_exec(db, stmts[STMT_SUB_SET_DUNNING], "sisssi", status, (int64_t)1, f,
	    nx, n, id);
}

/* Bills a period [start, end) of plan p: issues the invoice and collects
 * it. *paid tells whether it was paid. */
static enum err
bill_period(struct db *db, const struct seller *sel, const struct sub *s,
    const struct plan *p, int64_t start, int64_t end, int64_t now, int *paid)
{
	char a[16], b[16], number[32];
	struct invoice_line line;
	struct buf desc = { 0 };
	int64_t inv;
	day_text(start, a);
	day_text(end, b);
	msg_printf(&desc, INVOICE_LANG, "INVOICE_LINE_PERIOD", p->name, a, b, NULL);
	line.description = buf_str(&desc);
	line.quantity = 1;
	line.unit_cents = p->price;
	enum err rc = invoice_issue(db, sel, s->merchant, s->id, "invoice", &line, 1,
	    p->currency, start, end, now, &inv, number);
	buf_free(&desc);
	if (rc != ERR_OK)
		return rc;
	return invoice_collect(db, inv, now, paid);
}

/* A trial or period of s ending at `at`: the subscription is cancelled
 * then when cancel is set, else the next period is invoiced and
 * collected (past due, and dunning, when unpaid). ts is now as text. */
static enum err
period_ends(struct db *db, const struct seller *sel, const struct sub *s,
    const struct plan *p, int64_t at, int cancel, int64_t now, const char *ts)
{
	int paid = 0;
	if (cancel) {
		char when[25];
		clock_format_ms(at, when);
		return db_exec(db, stmts[STMT_SUB_CANCEL], "stsi", when, "", ts, s->id);
	}
	int64_t end = period_after(at, p->interval);
	enum err rc = bill_period(db, sel, s, p, at, end, now, &paid);
	if (rc == ERR_OK)
		rc = set_period(db, s->id, paid ? "active" : "past_due", at, end, now);
	if (rc == ERR_OK && !paid)
		rc = start_dunning(db, s->id, "past_due", now);
	return rc;
}

/* One billing step of subscription id at now, in its own transaction.
 * Sets *did when something happened. */
static enum err
step(struct db *db, const struct seller *sel, int64_t id, int64_t now, int *did)
{
	struct sub s;
	struct plan p;
	enum err rc;
	int paid = 0;
	static const int retry_days[] = BILLING_RETRY_DAYS;
	char ts[25];

	*did = 0;
	if ((rc = db_begin(db)) != ERR_OK)
		return rc;
	if ((rc = load_sub(db, id, &s)) != ERR_OK ||
	    (rc = load_plan(db, s.plan, &p)) != ERR_OK)
		goto fail;
	clock_format_ms(now, ts);
	if (strcmp(s.status, "trialing") == 0 && s.trial_end && s.trial_end <= now) {
		/* The trial ends: cancelled if asked, else the first payment. */
		rc = period_ends(db, sel, &s, &p, s.trial_end, s.cancel_at_end, now, ts);
		*did = 1;
	} else if (strcmp(s.status, "active") == 0 && s.period_end && s.period_end <= now) {
		/* Renewal: the next period, invoiced and collected. */
		rc = period_ends(db, sel, &s, &p, s.period_end,
		    s.cancel_at_end || !s.auto_renew, now, ts);
		*did = 1;
	} else if ((strcmp(s.status, "past_due") == 0 || strcmp(s.status, "pending") == 0) &&
	    s.next_retry && s.next_retry <= now) {
		/* A retry: every open invoice of the subscription. */
		sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_OPEN_INVOICES], "i", id);
		int64_t open[32];
		int n = 0, all = 1;
		if (st == NULL) {
			rc = ERR_DB;
			goto fail;
		}
		while (n < 32 && db_step(db, st) == DB_ROW)
			open[n++] = sqlite3_column_int64(st, 0);
		db_done(st);
		for (int i = 0; i < n; i++) {
			if ((rc = invoice_collect(db, open[i], now, &paid)) != ERR_OK)
				goto fail;
			all &= paid;
		}
		if (all) {
			rc = set_period(db, id, "active", s.period_start, s.period_end, now);
		} else if (s.failed >= BILLING_RETRIES) {
			/* The last retry failed: the subscription ends. */
			rc = db_exec(db, stmts[STMT_SUB_CANCEL], "stsi", ts, "payment_failed", ts, id);
			if (rc == ERR_OK)
				rc = db_exec(db, stmts[STMT_SUB_UNCOLLECTIBLE], "si", ts, id);
		} else {
			char nx[25];
			clock_format_ms(s.first_failed + retry_days[s.failed] * CLOCK_DAY_MS, nx);
			char ff[25];
			clock_format_ms(s.first_failed, ff);
			rc = db_exec(db, stmts[STMT_SUB_SET_DUNNING], "sisssi", s.status,
			    (int64_t)(s.failed + 1), ff, nx, ts, id);
		}
		*did = 1;
	}
	if (rc != ERR_OK)
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

int
billing_run(struct db *db, const struct seller *sel, int64_t now)
{
	char ts[25];
	int steps = 0;
	clock_format_ms(now, ts);
	for (int pass = 0; pass < 10000; pass++) {
		int64_t ids[200];
		int n = 0, did_any = 0;
		sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_DUE], "s", ts);
		if (st == NULL)
			return -1;
		while (n < 200 && db_step(db, st) == DB_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		db_done(st);
		for (int i = 0; i < n; i++) {
			int did = 0;
			if (step(db, sel, ids[i], now, &did) != ERR_OK)
				return -1;
			steps += did;
			did_any |= did;
		}
		if (n == 0 || !did_any)
			break;
	}
	return steps;
}

static const char live_refusal[] = "This merchant already has a live "
    "subscription: change its plan, or cancel it first";

enum err
subscription_may_start(struct db *db, int64_t merchant, char why[160])
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_LIVE], "i", merchant);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(db, st);
	db_done(st);
	if (r == DB_ROW) {
		snprintf(why, 160, "%s", live_refusal);
		return ERR_CONFLICT;
	}
	if (r != DB_DONE || (st = db_bind(db, stmts[STMT_SUB_UNPAID], "i", merchant)) == NULL)
		return ERR_DB;
	if ((r = db_step(db, st)) == DB_ROW)
		snprintf(why, 160, "This merchant has an unpaid invoice (%s): it must "
		    "be paid before a new subscription", db_col_text(st, 0));
	db_done(st);
	return r == DB_ROW ? ERR_CONFLICT : r == DB_DONE ? ERR_OK : ERR_DB;
}

int
subscription_trial_days(struct db *db, int64_t merchant, int plan_trial_days)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_SUB_HAD_TRIAL], "i", merchant);
	if (st == NULL)
		return -1;
	enum db_rc r = db_step(db, st);
	db_done(st);
	return r == DB_ROW ? 0 : r == DB_DONE ? plan_trial_days : -1;
}

enum err
subscription_start(struct db *db, const struct seller *sel, int64_t merchant,
    int64_t plan, int64_t now, int64_t *id, char why[160])
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25], end[25];
	struct plan p;
	struct sub s;
	enum err rc;

	if ((rc = load_plan(db, plan, &p)) != ERR_OK ||
	    (rc = subscription_may_start(db, merchant, why)) != ERR_OK)
		return rc;
	if ((p.trial_days = subscription_trial_days(db, merchant, p.trial_days)) < 0 ||
	    id_document_new(docid) != 0)
		return ERR_DB;
	clock_format_ms(now, ts);
	int64_t period_end = p.trial_days > 0 ? now + p.trial_days * CLOCK_DAY_MS :
	    period_after(now, p.interval);
	clock_format_ms(period_end, end);
	rc = db_exec(db, stmts[STMT_SUB_INSERT], "siisssssss", docid, merchant, plan,
	    p.trial_days > 0 ? "trialing" : "pending", ts, end,
	    p.trial_days > 0 ? end : NULL, ts, ts, ts);
	if (rc == ERR_CONFLICT) {	/* the live-subscription index */
		snprintf(why, 160, "%s", live_refusal);
		return ERR_CONFLICT;
	}
	if (rc != ERR_OK)
		return ERR_DB;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	if (p.trial_days > 0)
		return ERR_OK;
	/* No trial: pending until the first invoice is paid. */
	int paid = 0;
	if ((rc = load_sub(db, *id, &s)) != ERR_OK ||
	    (rc = bill_period(db, sel, &s, &p, now, period_end, now, &paid)) != ERR_OK)
		return rc;
	return paid ? set_period(db, *id, "active", now, period_end, now) :
	    start_dunning(db, *id, "pending", now);
}

/* The handlers. */

static const cJSON *
data_or_empty(struct ctx *c)
{
	static const cJSON *empty;
	if (c->body == NULL) {
		if (empty == NULL)
			empty = cJSON_CreateObject();	/* lives for the process */
		return empty;
	}
	return crud_body_data(c);
}

/* Answers the stored subscription, auditing staff changes. */
static enum err
answer(struct ctx *c, int64_t id, int status, cJSON *before)
{
	cJSON *o = crud_read(c, &subscriptions_entity, id);
	if (o == NULL) {
		cJSON_Delete(before);
		return ERR_DB;
	}
	crud_restrict(&subscriptions_entity, c->fields, o);
	json_send_data(c->resp, status, o, NULL);
	cJSON_Delete(before);
	return ERR_OK;
}

static enum err
audit_sub(struct ctx *c, const char *action, int64_t id, const cJSON *before)
{
	return crud_audit(c, action, &subscriptions_entity, id, before);
}

/* The end of a change inside a transaction: audits it, commits, answers
 * with the subscription; on failure rolls back. Takes before. */
static enum err
commit_answer(struct ctx *c, int64_t id, cJSON *before)
{
	enum err rc;
	if ((rc = audit_sub(c, "update", id, before)) != ERR_OK ||
	    (rc = db_commit(c->db)) != ERR_OK) {
		db_rollback(c->db);
		cJSON_Delete(before);
		return rc;
	}
	return answer(c, id, 200, before);
}

/* After Stripe changed a subscription and it was stored: audit, answer. */
static enum err
stripe_done(struct ctx *c, int64_t id, cJSON *before)
{
	enum err rc;
	if ((rc = db_begin(c->db)) != ERR_OK) {
		cJSON_Delete(before);
		return rc;
	}
	return commit_answer(c, id, before);
}

/* The checks of a new subscription, whoever bills: the body {merchant,
 * plan} (a merchant for itself), the plan offered, then the local rules
 * (one live subscription, no unpaid invoice), all before anything is made
 * anywhere. Sets *merchant, *p and *trial (the days of trial the merchant
 * gets, one trial per merchant ever). */
static enum err
new_subscription(struct ctx *c, int64_t *merchant, int64_t *plan, struct plan *p,
    int *trial)
{
	const cJSON *data = crud_body_data(c);
	enum err rc;
	*merchant = *plan = 0;
	if (data == NULL)
		return ERR_VALIDATION;
	const cJSON *it;
	cJSON_ArrayForEach(it, data)
		if (strcmp(it->string, "merchant") != 0 && strcmp(it->string, "plan") != 0)
			verr_addf(&c->ve, it->string, NULL, "Invalid key %s", it->string);
	const cJSON *jm = cJSON_GetObjectItemCaseSensitive(data, "merchant");
	const cJSON *jp = cJSON_GetObjectItemCaseSensitive(data, "plan");
	if (c->caller.role == ROLE_MERCHANT) {
		/* A merchant subscribes itself, and nobody else. */
		*merchant = c->caller.merchant_id;
		if (jm && crud_ref_id(c, "merchants", jm) != *merchant)
			verr_add(&c->ve, "merchant", "a merchant subscribes only itself", jm);
	} else if (jm == NULL)
		verr_add(&c->ve, "merchant", "merchant must be defined.", NULL);
	else if ((*merchant = crud_ref_id(c, "merchants", jm)) == 0)
		verr_add(&c->ve, "merchant", "merchant does not exist", jm);
	if (jp == NULL)
		verr_add(&c->ve, "plan", "plan must be defined.", NULL);
	else if ((*plan = crud_ref_id(c, "subscription_plans", jp)) == 0)
		verr_add(&c->ve, "plan", "plan does not exist", jp);
	if (c->ve.n)
		return ERR_VALIDATION;
	if ((rc = load_plan(c->db, *plan, p)) != ERR_OK)
		return rc;
	if (!p->active) {
		verr_add(&c->ve, "plan", "this plan is not offered any more", jp);
		return ERR_VALIDATION;
	}
	char why[160];
	if ((rc = subscription_may_start(c->db, *merchant, why)) != ERR_OK) {
		if (rc == ERR_CONFLICT)
			c->err_msg = arena_strdup(&c->req->arena, why);
		return rc;
	}
	if ((*trial = subscription_trial_days(c->db, *merchant, p->trial_days)) < 0)
		return ERR_DB;
	return ERR_OK;
}

enum err
h_subscriptions_create(struct ctx *c)
{
	struct seller sel;
	struct plan p;
	int64_t merchant, plan, now = clock_now_ms(), id = 0;
	int trial;
	enum err rc;

	if ((rc = new_subscription(c, &merchant, &plan, &p, &trial)) != ERR_OK)
		return rc;
	struct stripe stripe;
	if (stripe_from_config(&stripe)) {
		/* Stripe bills: it creates the subscription, we record it. */
		if ((rc = provider_subscribe(c, &stripe, merchant, plan, trial,
		    &id)) != ERR_OK)
			return rc;
		if ((rc = db_begin(c->db)) != ERR_OK)
			return rc;
		if ((rc = audit_sub(c, "create", id, NULL)) != ERR_OK ||
		    (rc = db_commit(c->db)) != ERR_OK)
			goto fail;
		return answer(c, id, 201, NULL);
	}
	char why[160];
	seller_from_config(&sel);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = subscription_start(c->db, &sel, merchant, plan, now, &id,
	    why)) != ERR_OK) {
		if (rc == ERR_CONFLICT)	/* one started since the check above */
			c->err_msg = arena_strdup(&c->req->arena, why);
		goto fail;
	}
	if ((rc = audit_sub(c, "create", id, NULL)) != ERR_OK ||
	    (rc = db_commit(c->db)) != ERR_OK)
		goto fail;
	return answer(c, id, 201, NULL);
fail:
	db_rollback(c->db);
	return rc;
}

enum err
h_subscriptions_checkout(struct ctx *c)
{
	struct plan p;
	struct stripe stripe;
	struct checkout out;
	int64_t merchant, plan;
	int trial;
	enum err rc;

	if (!stripe_from_config(&stripe)) {
		c->err_msg = "Checkout is Stripe's: the built-in engine bills the "
		    "merchant's payment method (POST /api/subscriptions)";
		return ERR_CONFLICT;
	}
	rc = new_subscription(c, &merchant, &plan, &p, &trial);
	if (rc == ERR_CONFLICT) {
		/* The merchant's own checkout, left unfinished at Stripe's
		 * page, gives way to this one. */
		int abandoned = 0;
		enum err e = checkout_abandon(c, &stripe, merchant, &abandoned);
		if (e != ERR_OK)
			return e;
		if (abandoned)
			rc = new_subscription(c, &merchant, &plan, &p, &trial);
	}
	if (rc != ERR_OK)
		return rc;
	if ((rc = checkout_start(c, &stripe, merchant, plan, trial, &out)) != ERR_OK)
		return rc;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = audit_sub(c, "create", out.subscription, NULL)) != ERR_OK ||
	    (rc = db_commit(c->db)) != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", out.url);
	cJSON_AddStringToObject(o, "sessionId", out.session);
	cJSON_AddItemToObject(o, "subscription", crud_read(c, &subscriptions_entity,
	    out.subscription));
	json_send_data(c->resp, 201, o, NULL);
	return ERR_OK;
}

/* Loads the subscription the URL names, for the caller. */
static enum err
url_sub(struct ctx *c, struct sub *s, cJSON **before)
{
	int64_t id;
	enum err rc = crud_resolve(c, &subscriptions_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	if ((rc = load_sub(c->db, id, s)) != ERR_OK)
		return rc;
	*before = crud_read(c, &subscriptions_entity, id);
	return ERR_OK;
}

enum err
h_subscriptions_update(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	struct sub s;
	struct plan from, to;
	struct seller sel;
	cJSON *before = NULL;
	int64_t now = clock_now_ms(), plan = 0;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	/* Another merchant's subscription is not found, whatever the body. */
	int64_t rowid;
	if ((rc = crud_resolve(c, &subscriptions_entity, c->id, &rowid)) != ERR_OK)
		return rc;
	const cJSON *it;
	cJSON_ArrayForEach(it, data)
		if (strcmp(it->string, "plan") != 0)
			verr_addf(&c->ve, it->string, NULL, "Invalid key %s", it->string);
	const cJSON *jp = cJSON_GetObjectItemCaseSensitive(data, "plan");
	if (jp == NULL)
		verr_add(&c->ve, "plan", "plan must be defined.", NULL);
	else if ((plan = crud_ref_id(c, "subscription_plans", jp)) == 0)
		verr_add(&c->ve, "plan", "plan does not exist", jp);
	if (c->ve.n)
		return ERR_VALIDATION;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = url_sub(c, &s, &before)) != ERR_OK ||
	    (rc = load_plan(c->db, s.plan, &from)) != ERR_OK ||
	    (rc = load_plan(c->db, plan, &to)) != ERR_OK)
		goto fail;
	if (!to.active) {
		verr_add(&c->ve, "plan", "this plan is not offered any more", jp);
		rc = ERR_VALIDATION;
		goto fail;
	}
	if (strcmp(s.status, "active") != 0 && strcmp(s.status, "trialing") != 0) {
		ctx_error(c, "A %s subscription cannot change plan", s.status);
		rc = ERR_CONFLICT;
		goto fail;
	}
	if (strcmp(from.interval, to.interval) != 0 || strcmp(from.currency,
	    to.currency) != 0) {
		c->err_msg = "Changing between monthly and yearly plans, or currencies, "
		    "is done by cancelling at period end and subscribing again";
		rc = ERR_CONFLICT;
		goto fail;
	}
	if (plan == s.plan) {
		rc = db_commit(c->db);
		return rc == ERR_OK ? answer(c, s.id, 200, before) : rc;
	}
	struct stripe stripe;
	if (s.stripe_id[0] && stripe_from_config(&stripe)) {
		/* Stripe prorates; the call happens outside the transaction. */
		db_rollback(c->db);
		if ((rc = provider_update(c, &stripe, s.id, s.stripe_id, 0, 0, plan,
		    NULL)) != ERR_OK) {
			cJSON_Delete(before);
			return rc;
		}
		return stripe_done(c, s.id, before);
	}
	if (strcmp(s.status, "active") == 0 && s.period_end > now) {
		/* Prorated to the day: the new price for the days left, less
		 * the old price for the same days. */
		int64_t total = (s.period_end - s.period_start + CLOCK_DAY_MS / 2) /
		    CLOCK_DAY_MS;
		int64_t left = (s.period_end - now) / CLOCK_DAY_MS;
		int64_t diff = money_mul_div(to.price - from.price, left,
		    total > 0 ? total : 1);
		if (diff != 0 && left > 0) {
			char a[16], b[16], l[24], t[24], number[32];
			struct invoice_line line;
			struct buf desc = { 0 };
			int64_t inv;
			int paid = 0;
			day_text(now, a);
			day_text(s.period_end, b);
			snprintf(l, sizeof(l), "%lld", (long long)left);
			snprintf(t, sizeof(t), "%lld", (long long)total);
			msg_printf(&desc, INVOICE_LANG, "INVOICE_LINE_CHANGE", from.name, to.name,
			    l, t, a, b, NULL);
			line.description = buf_str(&desc);
			line.quantity = 1;
			line.unit_cents = diff > 0 ? diff : -diff;
			seller_from_config(&sel);
			rc = invoice_issue(c->db, &sel, s.merchant, s.id, diff > 0 ?
			    "invoice" : "credit_note", &line, 1, to.currency, now,
			    s.period_end, now, &inv, number);
			buf_free(&desc);
			if (rc == ERR_OK && diff > 0)
				rc = invoice_collect(c->db, inv, now, &paid);
			if (rc == ERR_OK && diff > 0 && !paid)
				rc = start_dunning(c->db, s.id, "past_due", now);
			if (rc != ERR_OK)
				goto fail;
		}
	}
	char ts[25];
	clock_format_ms(now, ts);
	if ((rc = db_exec(c->db, stmts[STMT_SUB_SET_PLAN], "isi", plan, ts, s.id)) != ERR_OK)
		goto fail;
	return commit_answer(c, s.id, before);
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}

enum err
h_subscriptions_cancel(struct ctx *c)
{
	const cJSON *data = data_or_empty(c);
	struct sub s;
	cJSON *before = NULL;
	char ts[25];
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	int64_t rowid;
	if ((rc = crud_resolve(c, &subscriptions_entity, c->id, &rowid)) != ERR_OK)
		return rc;
	const cJSON *imm = cJSON_GetObjectItemCaseSensitive(data, "immediately");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(data, "reason");
	const cJSON *it;
	cJSON_ArrayForEach(it, data)
		if (strcmp(it->string, "immediately") != 0 && strcmp(it->string, "reason") != 0)
			verr_addf(&c->ve, it->string, NULL, "Invalid key %s", it->string);
	if (imm && !cJSON_IsBool(imm))
		verr_add(&c->ve, "immediately", "immediately must be a `boolean` type", imm);
	if (why && !cJSON_IsNull(why) && (!cJSON_IsString(why) ||
	    strlen(why->valuestring) > 500 || !valid_text(why->valuestring, 1)))
		verr_add(&c->ve, "reason", "reason must be a text of at most 500 "
		    "characters", NULL);
	if (c->ve.n)
		return ERR_VALIDATION;
	const char *reason = cJSON_IsString(why) ? why->valuestring : NULL;
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = url_sub(c, &s, &before)) != ERR_OK)
		goto fail;
	if (strcmp(s.status, "cancelled") == 0) {
		c->err_msg = "This subscription is already cancelled";
		rc = ERR_CONFLICT;
		goto fail;
	}
	struct stripe stripe;
	if (s.stripe_id[0] && stripe_from_config(&stripe)) {
		db_rollback(c->db);
		if ((rc = provider_update(c, &stripe, s.id, s.stripe_id, cJSON_IsTrue(imm),
		    0, 0, reason)) != ERR_OK) {
			cJSON_Delete(before);
			return rc;
		}
		return stripe_done(c, s.id, before);
	}
	if (cJSON_IsTrue(imm) || strcmp(s.status, "pending") == 0)
		rc = db_exec(c->db, stmts[STMT_SUB_CANCEL], "stsi", ts, reason ? reason : "",
		    ts, s.id);
	else
		rc = db_exec(c->db, stmts[STMT_SUB_CANCEL_AT_END], "itsi", (int64_t)1,
		    reason ? reason : "", ts, s.id);
	if (rc != ERR_OK)
		goto fail;
	return commit_answer(c, s.id, before);
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}

enum err
h_subscriptions_reactivate(struct ctx *c)
{
	struct sub s;
	cJSON *before = NULL;
	char ts[25];
	int64_t now = clock_now_ms();
	enum err rc;

	clock_format_ms(now, ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = url_sub(c, &s, &before)) != ERR_OK)
		goto fail;
	if (!s.cancel_at_end || strcmp(s.status, "cancelled") == 0) {
		c->err_msg = "Only a subscription cancelled at period end can be "
		    "reactivated, before that end";
		rc = ERR_CONFLICT;
		goto fail;
	}
	struct stripe stripe;
	if (s.stripe_id[0] && stripe_from_config(&stripe)) {
		db_rollback(c->db);
		if ((rc = provider_update(c, &stripe, s.id, s.stripe_id, 0, 1, 0,
		    NULL)) != ERR_OK) {
			cJSON_Delete(before);
			return rc;
		}
		return stripe_done(c, s.id, before);
	}
	if ((rc = db_exec(c->db, stmts[STMT_SUB_CANCEL_AT_END], "itsi", (int64_t)0, "",
	    ts, s.id)) != ERR_OK)
		goto fail;
	return commit_answer(c, s.id, before);
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}

/* Statistics. Amounts are cents before tax; plans in other currencies than
 * EUR are counted but not summed with euros (the platform bills in EUR). */

cJSON *
subscriptions_stats(struct db *db, int64_t now)
{
	char ts[25], from[25];
	cJSON *o = cJSON_CreateObject();
	sqlite3_stmt *st;
	clock_format_ms(now, ts);

	cJSON *by_status = cJSON_AddObjectToObject(o, "byStatus");
	for (const char *const *s = statuses; *s; s++)
		cJSON_AddNumberToObject(by_status, *s, 0);
	if ((st = db_bind(db, stmts[STMT_SUB_STATS_STATUS], "")) == NULL)
		goto fail;
	while (db_step(db, st) == DB_ROW)
		cJSON_ReplaceItemInObject(by_status, db_col_text(st, 0),
		    cJSON_CreateNumber((double)sqlite3_column_int64(st, 1)));
	db_done(st);

	cJSON *by_plan = cJSON_AddArrayToObject(o, "byPlan");
	if ((st = db_bind(db, stmts[STMT_SUB_STATS_PLAN], "")) == NULL)
		goto fail;
	while (db_step(db, st) == DB_ROW) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "plan", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(p, "name", db_col_text(st, 1));
		cJSON_AddStringToObject(p, "interval", db_col_text(st, 2));
		cJSON_AddNumberToObject(p, "live", (double)sqlite3_column_int64(st, 4));
		cJSON_AddNumberToObject(p, "active", (double)sqlite3_column_int64(st, 5));
		cJSON_AddItemToArray(by_plan, p);
	}
	db_done(st);

	if ((st = db_bind(db, stmts[STMT_SUB_STATS_MRR], "")) == NULL ||
	    db_step(db, st) != DB_ROW)
		goto fail;
	int64_t mrr = (int64_t)(sqlite3_column_double(st, 0) + 0.5);
	int64_t paying = sqlite3_column_int64(st, 1);
	db_done(st);
	cJSON_AddStringToObject(o, "currency", "EUR");
	cJSON_AddNumberToObject(o, "mrrCents", (double)mrr);
	cJSON_AddNumberToObject(o, "arrCents", (double)(mrr * 12));
	cJSON_AddNumberToObject(o, "activeSubscriptions", (double)paying);
	cJSON_AddNumberToObject(o, "arpuCents", paying ?
	    (double)money_mul_div(mrr, 1, paying) : 0);

	if ((st = db_bind(db, stmts[STMT_SUB_STATS_TRIALS], "s", ts)) == NULL)
		goto fail;
	if (db_step(db, st) != DB_ROW)
		goto fail;
	int64_t ended = sqlite3_column_int64(st, 0), converted = sqlite3_column_int64(st, 1);
	db_done(st);
	cJSON *trials = cJSON_AddObjectToObject(o, "trials");
	cJSON_AddNumberToObject(trials, "ended", (double)ended);
	cJSON_AddNumberToObject(trials, "converted", (double)converted);
	cJSON_AddNumberToObject(o, "trialConversionRate", ended ?
	    (double)converted / (double)ended : 0);

	clock_format_ms(now - 30 * CLOCK_DAY_MS, from);
	if ((st = db_bind(db, stmts[STMT_SUB_STATS_CHURN], "ss", from, ts)) == NULL)
		goto fail;
	if (db_step(db, st) != DB_ROW)
		goto fail;
	int64_t lost = sqlite3_column_int64(st, 0), base = sqlite3_column_int64(st, 1);
	db_done(st);
	cJSON *churn = cJSON_AddObjectToObject(o, "churn");
	cJSON_AddNumberToObject(churn, "cancelled", (double)lost);
	cJSON_AddNumberToObject(churn, "liveAtStart", (double)base);
	cJSON_AddNumberToObject(o, "monthlyChurnRate", base ? (double)lost /
	    (double)base : 0);

	/* The last 12 months, this one included, oldest first, zero-filled. */
	cJSON *rev = cJSON_AddArrayToObject(o, "revenueByMonth");
	int64_t first = clock_add_months(now, -11);
	char month[25];
	clock_format_ms(first, month);
	snprintf(from, sizeof(from), "%.7s-01T00:00:00.000Z", month);
	for (int i = 0; i < 12; i++) {
		cJSON *m = cJSON_CreateObject();
		clock_format_ms(clock_add_months(first, i), month);
		month[7] = '\0';
		cJSON_AddStringToObject(m, "month", month);
		cJSON_AddNumberToObject(m, "revenueCents", 0);
		cJSON_AddItemToArray(rev, m);
	}
	if ((st = db_bind(db, stmts[STMT_SUB_STATS_REVENUE], "s", from)) == NULL)
		goto fail;
	while (db_step(db, st) == DB_ROW) {
		cJSON *m;
		cJSON_ArrayForEach(m, rev)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "month")),
			    db_col_text(st, 0)) == 0)
				cJSON_ReplaceItemInObject(m, "revenueCents", cJSON_CreateNumber(
				    (double)sqlite3_column_int64(st, 1)));
	}
	db_done(st);
	return o;
fail:
	if (st)
		db_done(st);
	cJSON_Delete(o);
	return NULL;
}

enum err
h_subscriptions_stats(struct ctx *c)
{
	cJSON *o = subscriptions_stats(c->db, clock_now_ms());
	if (o == NULL)
		return ERR_DB;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}
