/*
 * Health monitoring of merchant backends: the worker asks each running
 * shop for /health through nginx, as a shopper's browser would (HTTPS, its
 * subdomain), records status and latency, keeps its health (healthy,
 * degraded when slow or failing, down after PLATFORM_RESTART_AFTER
 * failures in a row), restarts it when it goes down and tells its
 * merchant. Uptime and latency over 24 hours stay in the backend's record.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "backends.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "msg.h"
#include "outbox.h"

enum stmt_monitor {
	STMT_MN_RUNNING,
	STMT_MN_PROBE,
	STMT_MN_UPTIME,
	STMT_MN_LATENCIES,
	STMT_MN_UPDATE,
	STMT_MN_BUSY,
	STMT_MN_FORGET,
	STMT_MN__MAX
};

static const char *const stmts[STMT_MN__MAX] = {
	[STMT_MN_RUNNING] = "SELECT b.id, b.subdomain, b.failures, b.merchant_id, "
	    "m.email, m.language FROM merchant_backends b JOIN merchants m ON "
	    "m.id = b.merchant_id WHERE b.status = 'running' AND b.id > ? ORDER BY b.id "
	    "LIMIT 64",
	[STMT_MN_PROBE] = "INSERT INTO backend_probes (backend_id, at, status, "
	    "latency_ms, ok) VALUES (?, ?, ?, ?, ?)",
	/* In whole percents. */
	[STMT_MN_UPTIME] = "SELECT CAST(round(coalesce(avg(ok), 0) * 100) AS INTEGER) "
	    "FROM backend_probes WHERE backend_id = ? AND at >= ?",
	[STMT_MN_LATENCIES] = "SELECT latency_ms FROM backend_probes WHERE "
	    "backend_id = ? AND at >= ? AND ok = 1 ORDER BY latency_ms LIMIT 100000",
	[STMT_MN_UPDATE] = "UPDATE merchant_backends SET health = ?1, failures = ?2, "
	    "last_probe_at = ?3, last_status = ?4, last_latency_ms = ?5, uptime_24h = ?6, "
	    "latency_p50_ms = ?7, latency_p95_ms = ?8, updated_at = ?3 WHERE id = ?9 AND "
	    "status = 'running'",
	[STMT_MN_BUSY] = "SELECT 1 FROM backend_deployments WHERE backend_id = ? AND "
	    "status IN ('queued', 'running')",
	[STMT_MN_FORGET] = "DELETE FROM backend_probes WHERE at < ?",
};

/* Keeps what a shop answered, up to 256 KiB (arg: a struct buf), or
 * nothing (arg NULL). */
static size_t
keep(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b != NULL) {
		if (b->len + sz * n > 256 * 1024)
			return 0;
		buf_append(b, p, sz * n);
	}
	return sz * n;
}

/* GET https://<sub>.SHOPS_DOMAIN<path> through nginx, as a browser would,
 * with the shop's key when key is not NULL, within timeout_ms; the body
 * into body when not NULL. Returns the status (0 when nothing came) and
 * the time it took in *ms. */
static long
shop_get(const char *sub, const char *path, const char *key, long timeout_ms,
    struct buf *body, int64_t *ms)
{
	const struct config *cfg = config();
	char url[512], resolve[512], auth[128];
	long status = 0;
	CURL *c = curl_easy_init();
	struct curl_slist *res = NULL, *h = NULL;
	if (c == NULL)
		return 0;
	snprintf(url, sizeof(url), "https://%s.%s:%d%s", sub, cfg->shops_domain,
	    cfg->https_port, path);
	snprintf(resolve, sizeof(resolve), "%s.%s:%d:%s", sub, cfg->shops_domain,
	    cfg->https_port, cfg->listen);
	res = curl_slist_append(res, resolve);
	if (key) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
		h = curl_slist_append(h, auth);
		crypto_wipe(auth, sizeof(auth));
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, cfg->probe_ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "marketplace-platform");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	int64_t t0 = clock_mono_us();
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*ms = (clock_mono_us() - t0) / 1000;
	curl_slist_free_all(h);
	curl_slist_free_all(res);
	curl_easy_cleanup(c);
	return status;
}

/* A health probe: GET /health, 2 s at most. */
static long
probe(const char *sub, int64_t *ms)
{
	return shop_get(sub, "/health", NULL, 2000L, NULL, ms);
}

cJSON *
monitor_shop_stats(const char *sub, const char *key)
{
	struct buf body = { 0 };
	int64_t ms = 0;
	long status = shop_get(sub, "/api/stats", key, 1500L, &body, &ms);
	cJSON *o = status == 200 ? cJSON_ParseWithLength(body.data ? body.data : "",
	    body.len) : NULL;
	buf_free(&body);
	cJSON *data = cJSON_DetachItemFromObject(o, "data");
	cJSON_Delete(o);
	if (data != NULL && !cJSON_IsObject(data)) {
		cJSON_Delete(data);
		data = NULL;
	}
	return data;
}

/* Nearest-rank percentile p (0-100) of backend id's successful probes
 * since from, into p50 and p95. */
static void
latencies(struct db *db, int64_t id, const char *from, int64_t *p50, int64_t *p95)
{
	static int64_t v[4096];
	size_t n = 0;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_MN_LATENCIES], "is", id, from);
	*p50 = *p95 = -1;
	if (st == NULL)
		return;
	while (n < sizeof(v) / sizeof(v[0]) && db_step(db, st) == DB_ROW)
		v[n++] = sqlite3_column_int64(st, 0);
	db_done(st);
	if (n == 0)
		return;
	*p50 = v[(n * 50 + 99) / 100 - 1];
	*p95 = v[(n * 95 + 99) / 100 - 1];
}

/* Records one probe of a backend and what follows from it, in one
 * transaction. */
static enum err
record(struct db *db, int64_t id, const char *sub, int64_t failures, int64_t merchant,
    const char *email, const char *lang, long status, int64_t ms, int64_t now)
{
	const struct config *cfg = config();
	char ts[25], from[25];
	int ok = status == 200;
	int64_t fails = ok ? 0 : failures + 1, p50, p95, dep, busy = 0, uptime = 0;
	const char *health = ok ? (ms > cfg->probe_slow_ms ? "degraded" : "healthy") :
	    fails >= cfg->restart_after ? "down" : "degraded";
	enum err rc;
	clock_format_ms(now, ts);
	clock_format_ms(now - CLOCK_DAY_MS, from);
	if ((rc = db_begin(db)) != ERR_OK)
		return rc;
	if ((rc = db_exec(db, stmts[STMT_MN_PROBE], "isiii", id, ts, (int64_t)status, ms,
	    (int64_t)ok)) != ERR_OK ||
	    (rc = db_get(db, stmts[STMT_MN_UPTIME], "is", "I", id, from, &uptime)) !=
	    ERR_OK)
		goto fail;
	latencies(db, id, from, &p50, &p95);
	if ((rc = db_exec(db, stmts[STMT_MN_UPDATE], "sisiiirri", health, fails, ts,
	    (int64_t)status, ms, uptime, p50 < 0 ? 0 : p50, p95 < 0 ? 0 : p95, id)) !=
	    ERR_OK)
		goto fail;
	/* Down now, not before: restarted, and its merchant told, once. */
	if (fails == cfg->restart_after) {
		char code[16], related[48];
		struct buf subject = { 0 }, body = { 0 };
		snprintf(code, sizeof(code), "%ld", status);
		msg_printf(&subject, lang, "MAIL_BACKEND_DOWN_SUBJECT", sub, NULL);
		msg_printf(&body, lang, "MAIL_BACKEND_DOWN_BODY", sub, cfg->shops_domain,
		    code, NULL);
		snprintf(related, sizeof(related), "merchant-backend:%lld", (long long)id);
		rc = outbox_queue(db, "backend_down", email, buf_str(&subject), buf_str(&body),
		    merchant, related, now);
		buf_free(&subject);
		buf_free(&body);
		if (rc == ERR_OK && db_get(db, stmts[STMT_MN_BUSY], "i", "I", id, &busy) ==
		    ERR_NOT_FOUND)
			rc = backend_queue(db, id, "restart", now, &dep);
		if (rc != ERR_OK)
			goto fail;
		fprintf(stderr, "monitor: %s is down (%lld failed probes, last status %ld): "
		    "restarting it\n", sub, (long long)fails, status);
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}

int
monitor_probe_all(struct db *db, int64_t now)
{
	struct {
		int64_t	 id, failures, merchant;
		char	 sub[64], email[256], lang[8];
	} b[64];
	int64_t after = 0;
	int probed = 0;
	char old[25];
	/* In pages, so that a long run never holds a statement open. */
	for (;;) {
		sqlite3_stmt *st = db_bind(db, stmts[STMT_MN_RUNNING], "i", after);
		int n = 0;
		if (st == NULL)
			return -1;
		while (n < 64 && db_step(db, st) == DB_ROW) {
			b[n].id = sqlite3_column_int64(st, 0);
			snprintf(b[n].sub, sizeof(b[n].sub), "%s", db_col_text(st, 1));
			b[n].failures = sqlite3_column_int64(st, 2);
			b[n].merchant = sqlite3_column_int64(st, 3);
			snprintf(b[n].email, sizeof(b[n].email), "%s", db_col_text(st, 4));
			snprintf(b[n].lang, sizeof(b[n].lang), "%s", db_col_text(st, 5));
			n++;
		}
		db_done(st);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			int64_t ms = 0;
			long status = probe(b[i].sub, &ms);
			if (record(db, b[i].id, b[i].sub, b[i].failures, b[i].merchant,
			    b[i].email, b[i].lang, status, ms, clock_now_ms()) != ERR_OK)
				return -1;
			probed++;
			after = b[i].id;
		}
	}
	clock_format_ms(now - 7 * CLOCK_DAY_MS, old);
	return db_exec(db, stmts[STMT_MN_FORGET], "s", old) == ERR_OK ? probed : -1;
}
