#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "dashboard.h"
#include "json.h"
#include "subscriptions.h"
#include "tickets.h"

enum stmt_dashboard {
	STMT_DB_MERCHANTS,
	STMT_DB_HEALTH,
	STMT_DB_BACKENDS,
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
 * over 12 weeks. */
static int
support(struct db *db, int64_t now, cJSON *kpis, cJSON *o)
{
	char from[25], to[25], week_from[25];
	clock_format_ms(now, to);
	clock_format_ms(now - 30 * CLOCK_DAY_MS, from);
	clock_format_ms(now - 84 * CLOCK_DAY_MS, week_from);
	cJSON *month = tickets_stats(db, from, to, to);
	cJSON *weeks = tickets_stats(db, week_from, to, to);
	if (month == NULL || weeks == NULL) {
		cJSON_Delete(month);
		cJSON_Delete(weeks);
		return -1;
	}
	double open = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(month, "backlog"),
	    "status"))
		if (strcmp(s->string, "resolved") != 0 && strcmp(s->string, "closed") != 0)
			open += s->valuedouble;
	const cJSON *sla = cJSON_GetObjectItem(month, "slaBreaches");
	cJSON_AddNumberToObject(kpis, "openTickets", open);
	cJSON_AddNumberToObject(kpis, "slaBreaches30d",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(sla, "answeredLate")) +
	    cJSON_GetNumberValue(cJSON_GetObjectItem(sla, "openPastDue")));
	cJSON_AddItemToObject(o, "ticketsByWeek",
	    cJSON_DetachItemFromObject(weeks, "byWeek"));
	cJSON_Delete(month);
	cJSON_Delete(weeks);
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

cJSON *
dashboard_platform(struct db *db, unsigned role, int64_t now)
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
