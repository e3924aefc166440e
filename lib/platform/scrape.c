#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "metrics.h"
#include "scrape.h"

enum stmt_scrape {
	STMT_SC_JOBS,
	STMT_SC_JOB_OLDEST,
	STMT_SC_EMAILS,
	STMT_SC_BACKENDS,
	STMT_SC__MAX
};

static const char *const stmts[STMT_SC__MAX] = {
	[STMT_SC_JOBS] = "SELECT kind, state, count(*) FROM jobs WHERE state IN "
	    "('queued', 'running', 'failed') GROUP BY kind, state ORDER BY kind, state",
	[STMT_SC_JOB_OLDEST] = "SELECT coalesce(min(run_at_ms), 0) FROM jobs "
	    "WHERE state = 'queued' AND run_at_ms <= ?",
	[STMT_SC_EMAILS] = "SELECT status, count(*) FROM email_outbox WHERE status "
	    "IN ('queued', 'failed') GROUP BY status",
	[STMT_SC_BACKENDS] = "SELECT h.health, (SELECT count(*) FROM merchant_backends b "
	    "WHERE b.health = h.health) FROM (SELECT 'unknown' AS health UNION ALL "
	    "SELECT 'healthy' UNION ALL SELECT 'degraded' UNION ALL SELECT 'down') h",
};

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

static void
help(struct buf *b, const char *name, const char *type, const char *text)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void
route_name(struct buf *b, const struct route *rt)
{
	buf_puts(b, "route=\"");
	if (rt) {
		buf_printf(b, "%s ", http_method_name(rt->method));
		label(b, rt->pattern);
	} else
		buf_puts(b, "none");
	buf_putc(b, '"');
}

static void
requests(struct buf *b, const struct app_def *def)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct metrics_route m;
	help(b, "platform_http_requests_total", "counter",
	    "Requests answered, by route (method and pattern) and status class.");
	for (int i = -1; i < (int)def->nroutes; i++) {
		metrics_route(i, &m);
		for (int k = 0; k < 6; k++)
			if (m.classes[k]) {
				buf_puts(b, "platform_http_requests_total{");
				route_name(b, i < 0 ? NULL : &def->routes[i]);
				buf_printf(b, ",class=\"%s\"} %llu\n", cls[k],
				    (unsigned long long)m.classes[k]);
			}
	}
	help(b, "platform_http_request_duration_seconds", "histogram",
	    "Time from a request's arrival in a worker to its answer.");
	for (int i = -1; i < (int)def->nroutes; i++) {
		metrics_route(i, &m);
		uint64_t n = 0;
		for (int k = 0; k < METRICS_BUCKETS; k++)
			n += m.buckets[k];
		if (n == 0)
			continue;
		uint64_t cum = 0;
		for (int k = 0; k < METRICS_BUCKETS; k++) {
			cum += m.buckets[k];
			buf_puts(b, "platform_http_request_duration_seconds_bucket{");
			route_name(b, i < 0 ? NULL : &def->routes[i]);
			if (k == METRICS_BUCKETS - 1)
				buf_puts(b, ",le=\"+Inf\"}");
			else
				buf_printf(b, ",le=\"%g\"}", (double)metrics_bounds_us[k] / 1e6);
			buf_printf(b, " %llu\n", (unsigned long long)cum);
		}
		buf_puts(b, "platform_http_request_duration_seconds_sum{");
		route_name(b, i < 0 ? NULL : &def->routes[i]);
		buf_printf(b, "} %.6f\n", (double)m.sum_us / 1e6);
		buf_puts(b, "platform_http_request_duration_seconds_count{");
		route_name(b, i < 0 ? NULL : &def->routes[i]);
		buf_printf(b, "} %llu\n", (unsigned long long)n);
	}
}

static enum err
queues(struct buf *b, struct db *db)
{
	int64_t now = clock_now_ms(), oldest = 0;
	help(b, "platform_jobs", "gauge", "Background jobs by kind and state.");
	sqlite3_stmt *st = db_bind(db, stmts[STMT_SC_JOBS], "");
	if (st == NULL)
		return ERR_DB;
	while (db_step(db, st) == DB_ROW) {
		buf_puts(b, "platform_jobs{kind=\"");
		label(b, db_col_text(st, 0));
		buf_printf(b, "\",state=\"%s\"} %lld\n", db_col_text(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	}
	db_done(st);
	if (db_get(db, stmts[STMT_SC_JOB_OLDEST], "i", "I", now, &oldest) != ERR_OK)
		return ERR_DB;
	help(b, "platform_jobs_oldest_due_seconds", "gauge",
	    "How long the oldest job due to run has waited (0: none waits).");
	buf_printf(b, "platform_jobs_oldest_due_seconds %.3f\n",
	    oldest ? (double)(now - oldest) / 1000 : 0.0);
	int64_t queued = 0, failed = 0;
	if ((st = db_bind(db, stmts[STMT_SC_EMAILS], "")) == NULL)
		return ERR_DB;
	while (db_step(db, st) == DB_ROW)
		*(strcmp(db_col_text(st, 0), "queued") == 0 ? &queued : &failed) =
		    sqlite3_column_int64(st, 1);
	db_done(st);
	help(b, "platform_emails_waiting", "gauge", "E-mails of the outbox not sent yet.");
	buf_printf(b, "platform_emails_waiting %lld\n", (long long)queued);
	help(b, "platform_emails_failed", "gauge", "E-mails given up after their retries.");
	buf_printf(b, "platform_emails_failed %lld\n", (long long)failed);
	help(b, "platform_backends", "gauge", "Merchant shops by health.");
	if ((st = db_bind(db, stmts[STMT_SC_BACKENDS], "")) == NULL)
		return ERR_DB;
	while (db_step(db, st) == DB_ROW)
		buf_printf(b, "platform_backends{health=\"%s\"} %lld\n", db_col_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	db_done(st);
	return ERR_OK;
}

enum err
h_metrics(struct ctx *c)
{
	struct buf *b = &c->resp->body;
	struct db_counters dc;
	unsigned alive;
	uint64_t started, respawned;
	buf_reset(b);
	requests(b, app_def(c->app));
	metrics_workers(&alive, &started, &respawned);
	help(b, "platform_workers_alive", "gauge", "FastCGI workers of the pool running now.");
	buf_printf(b, "platform_workers_alive %u\n", alive);
	help(b, "platform_worker_starts_total", "counter", "Workers started.");
	buf_printf(b, "platform_worker_starts_total %llu\n", (unsigned long long)started);
	help(b, "platform_worker_respawns_total", "counter",
	    "Workers started in the place of one that died.");
	buf_printf(b, "platform_worker_respawns_total %llu\n",
	    (unsigned long long)respawned);
	if (queues(b, c->db) != ERR_OK)
		return ERR_DB;
	static const char *const outcome[MX__MAX] = { "applied", "duplicate", "refused" };
	help(b, "platform_stripe_webhook_events_total", "counter",
	    "Stripe webhook events received, by outcome.");
	for (int i = 0; i < MX__MAX; i++)
		buf_printf(b, "platform_stripe_webhook_events_total{outcome=\"%s\"} %llu\n",
		    outcome[i], (unsigned long long)metrics_counter((unsigned)i));
	db_counters(c->db, &dc);
	help(b, "platform_sqlite_commits_total", "counter", "Write transactions committed.");
	buf_printf(b, "platform_sqlite_commits_total %llu\n", (unsigned long long)dc.commits);
	help(b, "platform_sqlite_busy_retries_total", "counter",
	    "Times a connection found the database locked and retried.");
	buf_printf(b, "platform_sqlite_busy_retries_total %llu\n",
	    (unsigned long long)dc.busy_retries);
	help(b, "platform_sqlite_group_commits_total", "counter",
	    "Group commits: one transaction for the writes waiting together.");
	buf_printf(b, "platform_sqlite_group_commits_total %llu\n",
	    (unsigned long long)dc.group_commits);
	help(b, "platform_sqlite_group_writes_total", "counter",
	    "Write requests committed by group commits.");
	buf_printf(b, "platform_sqlite_group_writes_total %llu\n",
	    (unsigned long long)dc.group_writes);
	c->resp->status = 200;
	c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	c->personal = 1;
	return ERR_OK;
}
