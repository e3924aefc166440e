#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "tickets.h"
#include "valid.h"

/* Support statistics over [from, to): see README for each figure. */

static const char *const backlog_cols[3] = { "status", "priority", "category" };
enum stmt_tstats {
	STMT_TS_BACKLOG_STATUS,		/* the order of backlog_cols */
	STMT_TS_BACKLOG_PRIORITY,
	STMT_TS_BACKLOG_CATEGORY,
	STMT_TS_FIRST,
	STMT_TS_RESOLUTION,
	STMT_TS_LATE,
	STMT_TS_OVERDUE,
	STMT_TS_AGENTS,
	STMT_TS_WEEKS,
	STMT_TS__MAX
};

/* Every statement takes ?1 from and ?2 to; ?3 is now. */
static const char *const stmts[STMT_TS__MAX] = {
	/* Not closed, named so that the status index serves it. */
	[STMT_TS_BACKLOG_STATUS] = "SELECT status, count(*) FROM support_tickets "
	    "WHERE status IN ('open', 'in_progress', 'waiting_on_merchant', 'resolved') "
	    "GROUP BY 1",
	[STMT_TS_BACKLOG_PRIORITY] = "SELECT priority, count(*) FROM support_tickets "
	    "WHERE status IN ('open', 'in_progress', 'waiting_on_merchant', 'resolved') "
	    "GROUP BY 1",
	[STMT_TS_BACKLOG_CATEGORY] = "SELECT category, count(*) FROM support_tickets "
	    "WHERE status IN ('open', 'in_progress', 'waiting_on_merchant', 'resolved') "
	    "GROUP BY 1",
	[STMT_TS_FIRST] = "SELECT (julianday(first_response_at) - "
	    "julianday(created_at)) * 1440.0 FROM support_tickets WHERE created_at >= ?1 "
	    "AND created_at < ?2 AND first_response_at IS NOT NULL ORDER BY 1",
	[STMT_TS_RESOLUTION] = "SELECT (julianday(resolved_at) - "
	    "julianday(created_at)) * 1440.0 FROM support_tickets WHERE resolved_at >= ?1 "
	    "AND resolved_at < ?2 ORDER BY 1",
	[STMT_TS_LATE] = "SELECT count(*) FROM support_tickets WHERE "
	    "created_at >= ?1 AND created_at < ?2 AND first_response_at > "
	    "first_response_due_at",
	[STMT_TS_OVERDUE] = "SELECT count(*) FROM support_tickets WHERE "
	    "first_response_at IS NULL AND status IN ('open', 'in_progress', "
	    "'waiting_on_merchant') AND first_response_due_at < ?3",
	[STMT_TS_AGENTS] = "SELECT u.id, u.email, (SELECT count(*) FROM "
	    "support_tickets t WHERE t.assignee_id = u.id AND t.status NOT IN "
	    "('resolved', 'closed')), (SELECT count(*) FROM ticket_responses r WHERE "
	    "r.author_id = u.id AND r.created_at >= ?1 AND r.created_at < ?2), "
	    "(SELECT coalesce(sum(r.time_spent_minutes), 0) FROM ticket_responses r "
	    "WHERE r.author_id = u.id AND r.created_at >= ?1 AND r.created_at < ?2) "
	    "FROM users u WHERE u.role IN ('agent', 'admin') ORDER BY u.id",
	[STMT_TS_WEEKS] = "SELECT w, sum(c), sum(r) FROM (SELECT "
	    "strftime('%Y-W%W', created_at) AS w, 1 AS c, 0 AS r FROM support_tickets "
	    "WHERE created_at >= ?1 AND created_at < ?2 UNION ALL SELECT "
	    "strftime('%Y-W%W', resolved_at), 0, 1 FROM support_tickets WHERE "
	    "resolved_at >= ?1 AND resolved_at < ?2) GROUP BY w ORDER BY w",
};

/* Mean, median and 90th percentile (nearest rank) of sorted minutes. */
static cJSON *
summary(struct db *db, enum stmt_tstats which, const char *from, const char *to)
{
	double v[4096];
	int n = 0;
	cJSON *o = cJSON_CreateObject();
	sqlite3_stmt *st = db_bind(db, stmts[which], "ss", from, to);
	if (st == NULL)
		return o;
	while (n < 4096 && db_step(db, st) == DB_ROW)
		v[n++] = sqlite3_column_double(st, 0);
	db_done(st);
	cJSON_AddNumberToObject(o, "count", n);
	if (n == 0) {
		cJSON_AddNullToObject(o, "meanMinutes");
		cJSON_AddNullToObject(o, "medianMinutes");
		cJSON_AddNullToObject(o, "p90Minutes");
		return o;
	}
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	int rank = (int)ceil(0.9 * n) - 1;
	cJSON_AddNumberToObject(o, "meanMinutes", round(sum / n * 10) / 10);
	cJSON_AddNumberToObject(o, "medianMinutes", round(median * 10) / 10);
	cJSON_AddNumberToObject(o, "p90Minutes", round(v[rank < 0 ? 0 : rank] * 10) / 10);
	return o;
}

cJSON *
tickets_stats(struct db *db, const char *from, const char *to, const char *now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "from", from);
	cJSON_AddStringToObject(o, "to", to);
	cJSON *backlog = cJSON_AddObjectToObject(o, "backlog");
	cJSON_AddItemToObject(backlog, backlog_cols[0], tickets_backlog_by_status(db));
	for (int k = 1; k < 3; k++) {
		cJSON *b = cJSON_AddObjectToObject(backlog, backlog_cols[k]);
		sqlite3_stmt *st = db_bind(db, stmts[STMT_TS_BACKLOG_STATUS + k], "");
		while (st && db_step(db, st) == DB_ROW)
			cJSON_AddNumberToObject(b, db_col_text(st, 0),
			    (double)sqlite3_column_int64(st, 1));
		db_done(st);
	}
	cJSON_AddItemToObject(o, "firstResponse", summary(db, STMT_TS_FIRST, from, to));
	cJSON_AddItemToObject(o, "resolution", summary(db, STMT_TS_RESOLUTION, from, to));
	cJSON_AddItemToObject(o, "slaBreaches", tickets_sla_breaches(db, from, to, now));
	cJSON *agents = cJSON_AddArrayToObject(o, "agents");
	sqlite3_stmt *st = db_bind(db, stmts[STMT_TS_AGENTS], "ss", from, to);
	if (st) {
		while (db_step(db, st) == DB_ROW) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddNumberToObject(a, "user", (double)sqlite3_column_int64(st, 0));
			cJSON_AddStringToObject(a, "email", db_col_text(st, 1));
			cJSON_AddNumberToObject(a, "openTickets",
			    (double)sqlite3_column_int64(st, 2));
			cJSON_AddNumberToObject(a, "replies", (double)sqlite3_column_int64(st, 3));
			cJSON_AddNumberToObject(a, "timeSpentMinutes",
			    (double)sqlite3_column_int64(st, 4));
			cJSON_AddItemToArray(agents, a);
		}
		db_done(st);
	}
	cJSON_AddItemToObject(o, "byWeek", tickets_by_week(db, from, to));
	return o;
}

cJSON *
tickets_sla_breaches(struct db *db, const char *from, const char *to, const char *now)
{
	int64_t late = 0, overdue = 0;
	cJSON *sla = cJSON_CreateObject();
	db_get(db, stmts[STMT_TS_LATE], "ss", "I", from, to, &late);
	db_get(db, stmts[STMT_TS_OVERDUE], "sss", "I", from, to, now, &overdue);
	cJSON_AddNumberToObject(sla, "answeredLate", (double)late);
	cJSON_AddNumberToObject(sla, "openPastDue", (double)overdue);
	return sla;
}

cJSON *
tickets_by_week(struct db *db, const char *from, const char *to)
{
	cJSON *weeks = cJSON_CreateArray();
	sqlite3_stmt *st = db_bind(db, stmts[STMT_TS_WEEKS], "ss", from, to);
	if (st == NULL)
		return weeks;
	while (db_step(db, st) == DB_ROW) {
		cJSON *w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "week", db_col_text(st, 0));
		cJSON_AddNumberToObject(w, "created", (double)sqlite3_column_int64(st, 1));
		cJSON_AddNumberToObject(w, "resolved", (double)sqlite3_column_int64(st, 2));
		cJSON_AddItemToArray(weeks, w);
	}
	db_done(st);
	return weeks;
}

cJSON *
tickets_backlog_by_status(struct db *db)
{
	cJSON *b = cJSON_CreateObject();
	sqlite3_stmt *st = db_bind(db, stmts[STMT_TS_BACKLOG_STATUS], "");
	while (st && db_step(db, st) == DB_ROW)
		cJSON_AddNumberToObject(b, db_col_text(st, 0),
		    (double)sqlite3_column_int64(st, 1));
	db_done(st);
	return b;
}

enum err
h_tickets_stats(struct ctx *c)
{
	char from[25], to[25], now[25];
	int64_t t = clock_now_ms();
	const char *f = http_param(c->req, "from"), *u = http_param(c->req, "to");
	clock_format_ms(t, now);
	clock_format_ms(t - 30 * CLOCK_DAY_MS, from);
	snprintf(to, sizeof(to), "%s", now);
	if (f && !valid_datetime(f))
		verr_add(&c->ve, "from", "from must be a UTC date-time", NULL);
	if (u && !valid_datetime(u))
		verr_add(&c->ve, "to", "to must be a UTC date-time", NULL);
	if (c->ve.n)
		return ERR_VALIDATION;
	if (f)
		snprintf(from, sizeof(from), "%s", f);
	if (u)
		snprintf(to, sizeof(to), "%s", u);
	cJSON *o = tickets_stats(c->db, from, to, now);
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}
