#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "clock.h"
#include "crypto.h"
#include "crud.h"
#include "dashboard.h"
#include "json.h"
#include "merchants.h"
#include "subscriptions.h"
#include "tickets.h"

enum stmt_dashboard {
	STMT_DB_MERCHANTS,
	STMT_DB_HEALTH,
	STMT_DB_BACKENDS,
	STMT_DB_MERCHANT,
	STMT_DB_SUBSCRIPTION,
	STMT_DB_INVOICES,
	STMT_DB_OPEN_TICKETS,
	STMT_DB_TICKETS,
	STMT_DB_SHOPS,
	STMT_DB__MAX
};

static const char *const stmts[STMT_DB__MAX] = {
	[STMT_DB_MERCHANTS] = "SELECT count(*) FROM merchants",
	/* Shops that should be serving: running ones, by health. */
	[STMT_DB_HEALTH] = "SELECT health, count(*) FROM merchant_backends WHERE "
	    "status = 'running' GROUP BY 1",
	[STMT_DB_BACKENDS] = "SELECT id, subdomain, status, health, last_latency_ms, "
	    "latency_p50_ms, latency_p95_ms, uptime_24h FROM merchant_backends WHERE "
	    "status != 'removed' ORDER BY subdomain LIMIT 1000",
	[STMT_DB_MERCHANT] = "SELECT id, document_id, name, slug, status FROM "
	    "merchants WHERE id = ?",
	/* The live subscription, else the latest one. */
	[STMT_DB_SUBSCRIPTION] = "SELECT s.id, s.document_id, s.status, "
	    "s.current_period_end, s.trial_end, s.cancel_at_period_end, s.auto_renew, "
	    "p.id, p.name, p.price_cents, p.currency, p.interval FROM subscriptions s "
	    "JOIN subscription_plans p ON p.id = s.plan_id WHERE s.merchant_id = ? "
	    "ORDER BY s.status = 'cancelled', s.id DESC LIMIT 1",
	[STMT_DB_INVOICES] = "SELECT id, document_id, number, kind, status, "
	    "total_cents, currency, issued_at, due_at FROM invoices WHERE "
	    "merchant_id = ? ORDER BY issued_at DESC, id DESC LIMIT 12",
	[STMT_DB_OPEN_TICKETS] = "SELECT count(*) FROM support_tickets WHERE "
	    "merchant_id = ? AND status NOT IN ('resolved', 'closed')",
	/* As the merchant sees them: internal notes move nothing. */
	[STMT_DB_TICKETS] = "SELECT id, document_id, reference, subject, status, "
	    "priority, updated_at FROM support_tickets_as_merchant WHERE "
	    "merchant_id = ? ORDER BY updated_at DESC, id DESC LIMIT 10",
	[STMT_DB_SHOPS] = "SELECT id, document_id, subdomain, status, health, "
	    "last_latency_ms, uptime_24h, secret FROM merchant_backends WHERE "
	    "merchant_id = ? AND status != 'removed' ORDER BY id",
};

static const char *const healths[] = { "healthy", "degraded", "down", "unknown" };

/* Adds n to o as k, or null when the column is NULL. */
static void
add_int_or_null(cJSON *o, const char *k, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)sqlite3_column_int64(st, col));
}

/* The support part: open tickets (every status but resolved and closed),
 * SLA breaches of the last 30 days, tickets created and resolved by week
 * over 12 weeks, each by the stats route's own code. */
static int
support(struct db *db, int64_t now, cJSON *kpis, cJSON *o)
{
	char from[25], to[25], week_from[25];
	clock_format_ms(now, to);
	clock_format_ms(now - 30 * CLOCK_DAY_MS, from);
	clock_format_ms(now - 84 * CLOCK_DAY_MS, week_from);
	cJSON *backlog = tickets_backlog_by_status(db);
	cJSON *sla = tickets_sla_breaches(db, from, to, to);
	double open = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, backlog)
		if (strcmp(s->string, "resolved") != 0 && strcmp(s->string, "closed") != 0)
			open += s->valuedouble;
	cJSON_AddNumberToObject(kpis, "openTickets", open);
	cJSON_AddNumberToObject(kpis, "slaBreaches30d",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(sla, "answeredLate")) +
	    cJSON_GetNumberValue(cJSON_GetObjectItem(sla, "openPastDue")));
	cJSON_AddItemToObject(o, "ticketsByWeek", tickets_by_week(db, week_from, to));
	cJSON_Delete(backlog);
	cJSON_Delete(sla);
	return 0;
}

/* Billing: merchants, live subscriptions, MRR, this month's revenue, the
 * revenue of the last 12 months. */
static int
billing(struct db *db, int64_t now, cJSON *kpis, cJSON *o)
{
	int64_t merchants = 0;
	cJSON *stats = subscriptions_stats(db, now);
	if (stats == NULL || db_get(db, stmts[STMT_DB_MERCHANTS], "", "I", &merchants) !=
	    ERR_OK) {
		cJSON_Delete(stats);
		return -1;
	}
	const cJSON *by = cJSON_GetObjectItem(stats, "byStatus");
	cJSON *rev = cJSON_DetachItemFromObject(stats, "revenueByMonth");
	cJSON_AddNumberToObject(kpis, "merchants", (double)merchants);
	cJSON_AddNumberToObject(kpis, "activeSubscriptions",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(by, "active")));
	cJSON_AddNumberToObject(kpis, "trialingSubscriptions",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(by, "trialing")));
	cJSON_AddNumberToObject(kpis, "mrrCents",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(stats, "mrrCents")));
	cJSON_AddNumberToObject(kpis, "revenueThisMonthCents", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(rev, cJSON_GetArraySize(rev) - 1),
	    "revenueCents")));
	cJSON_AddStringToObject(kpis, "currency", "EUR");
	cJSON_AddItemToObject(o, "revenueByMonth", rev);
	cJSON_Delete(stats);
	return 0;
}

/* The shops: running ones by health, and each one's state and latency. */
static int
shops(struct db *db, cJSON *kpis, cJSON *o)
{
	cJSON *h = cJSON_AddObjectToObject(kpis, "backends");
	for (size_t i = 0; i < sizeof(healths) / sizeof(healths[0]); i++)
		cJSON_AddNumberToObject(h, healths[i], 0);
	sqlite3_stmt *st = db_bind(db, stmts[STMT_DB_HEALTH], "");
	if (st == NULL)
		return -1;
	while (db_step(db, st) == DB_ROW)
		cJSON_ReplaceItemInObjectCaseSensitive(h, db_col_text(st, 0),
		    cJSON_CreateNumber((double)sqlite3_column_int64(st, 1)));
	db_done(st);
	cJSON *list = cJSON_AddArrayToObject(o, "backends");
	if ((st = db_bind(db, stmts[STMT_DB_BACKENDS], "")) == NULL)
		return -1;
	while (db_step(db, st) == DB_ROW) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "id", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(b, "subdomain", db_col_text(st, 1));
		cJSON_AddStringToObject(b, "status", db_col_text(st, 2));
		cJSON_AddStringToObject(b, "health", db_col_text(st, 3));
		add_int_or_null(b, "lastLatencyMs", st, 4);
		add_int_or_null(b, "latencyP50Ms", st, 5);
		add_int_or_null(b, "latencyP95Ms", st, 6);
		add_int_or_null(b, "uptime24hPercent", st, 7);
		cJSON_AddItemToArray(list, b);
	}
	db_done(st);
	return 0;
}

/* Adds column col of st's row to o as k: a number, a string, or null. */
static void
add_col(cJSON *o, const char *k, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		cJSON_AddNullToObject(o, k);
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		cJSON_AddNumberToObject(o, k, sqlite3_column_double(st, col));
		break;
	default:
		cJSON_AddStringToObject(o, k, db_col_text(st, col));
	}
}

/* Adds the rows of statement which (merchant bound) to array a, each
 * column under the name in keys (NULL: left out). Returns 0 or -1. */
static int
add_rows(struct db *db, int which, int64_t merchant, cJSON *a,
    const char *const *keys, int ncols)
{
	sqlite3_stmt *st = db_bind(db, stmts[which], "i", merchant);
	if (st == NULL)
		return -1;
	enum db_rc r;
	while ((r = db_step(db, st)) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		for (int i = 0; i < ncols; i++)
			if (keys[i])
				add_col(o, keys[i], st, i);
		cJSON_AddItemToArray(a, o);
	}
	db_done(st);
	return r == DB_DONE ? 0 : -1;
}

/* The subscription as its merchant sees it, or null. */
static int
merchant_subscription(struct db *db, int64_t merchant, cJSON *o)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_DB_SUBSCRIPTION], "i", merchant);
	if (st == NULL)
		return -1;
	enum db_rc r = db_step(db, st);
	if (r == DB_ROW) {
		cJSON *s = cJSON_AddObjectToObject(o, "subscription");
		static const char *const keys[] = { "id", "documentId", "status",
		    "currentPeriodEnd", "trialEnd" };
		for (int i = 0; i < 5; i++)
			add_col(s, keys[i], st, i);
		int ending = sqlite3_column_int(st, 5) || !sqlite3_column_int(st, 6);
		const char *status = db_col_text(st, 2);
		cJSON_AddBoolToObject(s, "cancelAtPeriodEnd", sqlite3_column_int(st, 5));
		/* When it renews next: never once cancelled or set to end. */
		if (!ending && strcmp(status, "cancelled") != 0 &&
		    strcmp(status, "pending") != 0)
			add_col(s, "nextRenewal", st, 3);
		else
			cJSON_AddNullToObject(s, "nextRenewal");
		cJSON *p = cJSON_AddObjectToObject(s, "plan");
		static const char *const pk[] = { "id", "name", "priceCents", "currency",
		    "interval" };
		for (int i = 0; i < 5; i++)
			add_col(p, pk[i], st, 7 + i);
	} else
		cJSON_AddNullToObject(o, "subscription");
	db_done(st);
	return r == DB_ROW || r == DB_DONE ? 0 : -1;
}

/* The merchant's shops, and the statistics of its first running one
 * (asked of the shop itself, with its key, outside any transaction):
 * {"available": false} when it cannot give them. */
static int
merchant_shops(struct db *db, int64_t merchant, cJSON *o)
{
	char sub[64] = "", key[65] = "";
	cJSON *list = cJSON_AddArrayToObject(o, "backends");
	sqlite3_stmt *st = db_bind(db, stmts[STMT_DB_SHOPS], "i", merchant);
	if (st == NULL)
		return -1;
	enum db_rc r;
	while ((r = db_step(db, st)) == DB_ROW) {
		cJSON *b = cJSON_CreateObject();
		static const char *const keys[] = { "id", "documentId", "subdomain",
		    "status", "health", "lastLatencyMs", "uptime24hPercent" };
		for (int i = 0; i < 7; i++)
			add_col(b, keys[i], st, i);
		cJSON_AddItemToArray(list, b);
		if (*sub == '\0' && strcmp(db_col_text(st, 3), "running") == 0) {
			snprintf(sub, sizeof(sub), "%s", db_col_text(st, 2));
			snprintf(key, sizeof(key), "%s", db_col_text(st, 7));
		}
	}
	db_done(st);
	if (r != DB_DONE)
		return -1;
	cJSON *stats = *sub ? monitor_shop_stats(sub, key) : NULL;
	crypto_wipe(key, sizeof(key));
	if (stats == NULL)
		stats = cJSON_CreateObject();
	cJSON_AddBoolToObject(stats, "available", cJSON_GetArraySize(stats) > 0);
	if (*sub)
		cJSON_AddStringToObject(stats, "subdomain", sub);
	else
		cJSON_AddNullToObject(stats, "subdomain");
	cJSON_AddItemToObject(o, "shop", stats);
	return 0;
}

cJSON *
dashboard_merchant(struct db *db, int64_t merchant, int64_t now)
{
	static const char *const mkeys[] = { "id", "documentId", "name", "slug",
	    "status" };
	static const char *const ikeys[] = { "id", "documentId", "number", "kind",
	    "status", "totalCents", "currency", "issuedAt", "dueAt" };
	static const char *const tkeys[] = { "id", "documentId", "reference",
	    "subject", "status", "priority", "updatedAt" };
	char ts[25];
	int64_t open = 0;
	cJSON *o = cJSON_CreateObject(), *found = cJSON_CreateArray();
	clock_format_ms(now, ts);
	cJSON_AddStringToObject(o, "generatedAt", ts);
	if (add_rows(db, STMT_DB_MERCHANT, merchant, found, mkeys, 5) != 0 ||
	    cJSON_GetArraySize(found) != 1)
		goto fail;
	cJSON_AddItemToObject(o, "merchant", cJSON_DetachItemFromArray(found, 0));
	if (merchant_subscription(db, merchant, o) != 0 ||
	    add_rows(db, STMT_DB_INVOICES, merchant, cJSON_AddArrayToObject(o,
	    "invoices"), ikeys, 9) != 0 ||
	    db_get(db, stmts[STMT_DB_OPEN_TICKETS], "i", "I", merchant, &open) != ERR_OK)
		goto fail;
	cJSON *t = cJSON_AddObjectToObject(o, "tickets");
	cJSON_AddNumberToObject(t, "open", (double)open);
	if (add_rows(db, STMT_DB_TICKETS, merchant, cJSON_AddArrayToObject(t, "recent"),
	    tkeys, 7) != 0 || merchant_shops(db, merchant, o) != 0)
		goto fail;
	cJSON_Delete(found);
	return o;
fail:
	cJSON_Delete(found);
	cJSON_Delete(o);
	return NULL;
}

enum err
h_dashboard_merchant(struct ctx *c)
{
	int64_t id = 0;
	/* As the caller may see it: another merchant's answers 404. */
	enum err rc = crud_resolve(c, &merchants_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	cJSON *o = dashboard_merchant(c->db, id, clock_now_ms());
	if (o == NULL)
		return ERR_DB;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}

/* The figures last computed for each role, kept by this process until the
 * data changes (the database's change stamp) or, since some depend on the
 * clock (past due, this month), DASHBOARD_KEEP_MS passes. */
#define DASHBOARD_KEEP_MS	10000
static struct kept {
	uint64_t	 stamp;
	int64_t		 at;
	char		*json;
} kept[2];

static cJSON *compute_platform(struct db *db, unsigned role, int64_t now);

cJSON *
dashboard_platform(struct db *db, unsigned role, int64_t now)
{
	struct kept *k = &kept[role == ROLE_ADMIN ? 0 : 1];
	uint64_t stamp = db_change_stamp(db);
	if (k->json && k->stamp == stamp && now >= k->at && now - k->at < DASHBOARD_KEEP_MS)
		return cJSON_Parse(k->json);
	cJSON *o = compute_platform(db, role, now);
	if (o != NULL) {
		free(k->json);
		k->json = cJSON_PrintUnformatted(o);
		k->stamp = stamp;
		k->at = now;
	}
	return o;
}

static cJSON *
compute_platform(struct db *db, unsigned role, int64_t now)
{
	char ts[25];
	cJSON *o = cJSON_CreateObject();
	clock_format_ms(now, ts);
	cJSON_AddStringToObject(o, "generatedAt", ts);
	cJSON *kpis = cJSON_AddObjectToObject(o, "kpis");
	int rc = 0;
	if (role == ROLE_ADMIN)
		rc = billing(db, now, kpis, o);
	if (rc == 0)
		rc = support(db, now, kpis, o);
	if (rc == 0 && role == ROLE_ADMIN)
		rc = shops(db, kpis, o);
	if (rc != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

enum err
h_dashboard_platform(struct ctx *c)
{
	cJSON *o = dashboard_platform(c->db, c->caller.role, clock_now_ms());
	if (o == NULL)
		return ERR_DB;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}
