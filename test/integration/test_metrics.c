/*
 * GET /metrics against the real stack: who may scrape it (this machine's
 * loopback, or an admin from anywhere), and that its figures move with
 * what happens: requests by route and class, their histogram, a worker
 * killed and respawned, a refused webhook, SQLite's commits.
 */
#include <signal.h>

#include "harness.h"

static int
setup(void **state)
{
	(void)state;
	return stack_start("STRIPE_WEBHOOK_SECRET=whsec_metrics");
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* The value of the sample named exactly name (with its labels) in a
 * scrape, or -1 when absent. */
static double
sample(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static struct reply
scrape(void)
{
	struct reply r = request("GET", "/metrics", NULL);
	if (r.status != 200)
		fail_msg("scrape: %ld %s", r.status, r.body);
	return r;
}

#define PLANS "route=\"GET /api/subscription-plans/active\""

static void
metrics_should_count_requests_by_route_class_and_latency(void **state)
{
	(void)state;
	harness_auth[0] = '\0';
	struct reply r = scrape();
	if (strcasestr(r.headers, "content-type: text/plain; version=0.0.4") == NULL)
		fail_msg("content type: %s", r.headers);
	double ok0 = sample(r.body, "platform_http_requests_total{" PLANS ",class=\"2xx\"}");
	double none0 = sample(r.body, "platform_http_requests_total{route=\"none\",class=\"4xx\"}");
	double commits0 = sample(r.body, "platform_sqlite_commits_total");
	free(r.body);
	free(r.headers);
	for (int i = 0; i < 3; i++) {
		struct reply p = request("GET", "/api/subscription-plans/active", NULL);
		assert_int_equal(p.status, 200);
		free(p.body);
		free(p.headers);
	}
	struct reply miss = request("GET", "/api/no-such-thing", NULL);
	assert_int_equal(miss.status, 404);
	free(miss.body);
	free(miss.headers);
	/* A write: an admin makes a plan (one commit at least). */
	assert_int_equal(stack_as_admin(), 0);
	struct reply w = request("POST", "/api/subscription-plans", "{\"data\":{"
	    "\"name\":\"Metrics\",\"slug\":\"metrics\",\"priceCents\":100,"
	    "\"currency\":\"EUR\",\"interval\":\"month\"}}");
	assert_int_equal(w.status, 201);
	free(w.body);
	free(w.headers);
	harness_auth[0] = '\0';
	r = scrape();
	assert_true(sample(r.body, "platform_http_requests_total{" PLANS ",class=\"2xx\"}") ==
	    (ok0 < 0 ? 0 : ok0) + 3);
	assert_true(sample(r.body, "platform_http_requests_total{route=\"none\",class=\"4xx\"}") ==
	    (none0 < 0 ? 0 : none0) + 1);
	/* The histogram counts each request once, cumulatively. */
	double count = sample(r.body, "platform_http_request_duration_seconds_count{" PLANS "}");
	double inf = sample(r.body,
	    "platform_http_request_duration_seconds_bucket{" PLANS ",le=\"+Inf\"}");
	double fast = sample(r.body,
	    "platform_http_request_duration_seconds_bucket{" PLANS ",le=\"0.0005\"}");
	assert_true(count >= 3 && inf == count && fast >= 0 && fast <= inf);
	assert_true(sample(r.body, "platform_http_request_duration_seconds_sum{" PLANS "}") > 0);
	/* The scrape counts itself from the next one on. */
	assert_true(sample(r.body,
	    "platform_http_requests_total{route=\"GET /metrics\",class=\"2xx\"}") >= 1);
	assert_true(sample(r.body, "platform_sqlite_commits_total") >= commits0 + 1);
	assert_true(sample(r.body, "platform_sqlite_busy_retries_total") >= 0);
	assert_true(sample(r.body, "platform_emails_waiting") >= 0);
	assert_true(sample(r.body, "platform_jobs_oldest_due_seconds") >= 0);
	assert_true(sample(r.body, "platform_backends{health=\"healthy\"}") >= 0);
	assert_true(sample(r.body, "platform_backends{health=\"down\"}") >= 0);
	free(r.body);
	free(r.headers);
}

static void
metrics_should_answer_loopback_and_admins_only(void **state)
{
	(void)state;
	/* From 127.0.0.2: another address than this machine's loopback. */
	harness_auth[0] = '\0';
	snprintf(harness_interface, sizeof(harness_interface), "host!127.0.0.2");
	struct reply r = request("GET", "/metrics", NULL);
	assert_reply_has(r, 403, "\"name\":\"ForbiddenError\"");
	free(r.body);
	free(r.headers);
	char jwt[2048];
	harness_interface[0] = '\0';
	assert_int_equal(stack_login("agent@example.com", "demo-password", jwt), 200);
	snprintf(harness_interface, sizeof(harness_interface), "host!127.0.0.2");
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	r = request("GET", "/metrics", NULL);
	assert_reply_has(r, 403, "\"name\":\"ForbiddenError\"");
	free(r.body);
	free(r.headers);
	harness_interface[0] = '\0';
	assert_int_equal(stack_as_admin(), 0);
	snprintf(harness_interface, sizeof(harness_interface), "host!127.0.0.2");
	r = request("GET", "/metrics", NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "# TYPE platform_http_requests_total counter\n"));
	free(r.body);
	free(r.headers);
	harness_interface[0] = '\0';
	harness_auth[0] = '\0';
}

static void
metrics_should_count_workers_respawned_and_webhooks_refused(void **state)
{
	(void)state;
	harness_auth[0] = '\0';
	struct reply r = scrape();
	double respawns0 = sample(r.body, "platform_worker_respawns_total");
	double refused0 = sample(r.body,
	    "platform_stripe_webhook_events_total{outcome=\"refused\"}");
	assert_true(sample(r.body, "platform_workers_alive") == 3);	/* TEST_WORKERS */
	free(r.body);
	free(r.headers);
	const char *headers[] = { "Content-Type: application/json",
	    "Stripe-Signature: t=1,v1=00", NULL };
	struct reply w = request_full("POST", "/api/stripe/webhook", "{}", 2, headers);
	assert_int_equal(w.status, 400);
	free(w.body);
	free(w.headers);
	/* A worker killed: the pool starts another in its place. */
	pid_t pool = stack_pid("platform"), kids[64];
	int n = children_of(pool, kids, 64);
	assert_true(n == 3);
	assert_int_equal(kill(kids[0], SIGKILL), 0);
	double alive = 0, respawns = 0;
	for (int i = 0; i < 100; i++) {
		usleep(50000);
		r = scrape();
		alive = sample(r.body, "platform_workers_alive");
		respawns = sample(r.body, "platform_worker_respawns_total");
		double refused = sample(r.body,
		    "platform_stripe_webhook_events_total{outcome=\"refused\"}");
		assert_true(refused == refused0 + 1);
		free(r.body);
		free(r.headers);
		if (alive == 3 && respawns == respawns0 + 1)
			break;
	}
	assert_true(alive == 3);
	assert_true(respawns == respawns0 + 1);
}

/* A burst of 64 tickets, 16 in flight at a time (curl's parallel
 * transfers): each answered 201 once committed, numbered without a gap,
 * found by search, and many sharing a commit (a group commit). */
static void
writes_in_a_burst_should_share_commits_and_stay_gapless(void **state)
{
	static const char ticket[] = "{\"data\":{\"subject\":\"Burst\",\"description\":"
	    "\"One of many\",\"category\":\"technical\",\"priority\":\"low\"}}";
	char jwt[2048], cfg[300], cmd[4000], line[64];
	(void)state;
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	harness_auth[0] = '\0';
	struct reply r = scrape();
	double commits0 = sample(r.body, "platform_sqlite_group_commits_total");
	double writes0 = sample(r.body, "platform_sqlite_group_writes_total");
	reply_free(&r);
	snprintf(cfg, sizeof(cfg), "%s/burst.curl", S.var);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	for (int i = 0; i < 64; i++)
		fprintf(f, "url = \"%s/api/support-tickets\"\noutput = \"/dev/null\"\n", S.base);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "curl -s --cacert %s --parallel --parallel-max 16 "
	    "-H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s' "
	    "-w '%%{http_code}\\n' -K %s", S.cafile, jwt, ticket, cfg);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	int created = 0, other = 0;
	while (fgets(line, sizeof(line), p))
		if (strcmp(line, "201\n") == 0)
			created++;
		else
			other++;
	assert_int_equal(pclose(p), 0);
	assert_int_equal(created, 64);
	assert_int_equal(other, 0);
	/* Numbered without a gap. */
	char db[300];
	sqlite3 *h;
	snprintf(db, sizeof(db), "%s/platform.db", S.var);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(stack_db_int(h, "SELECT count(*) FROM support_tickets WHERE "
	    "subject = 'Burst'"), 64);
	assert_int_equal(stack_db_int(h, "SELECT max(n) - min(n) + 1 FROM (SELECT "
	    "CAST(substr(reference, 5) AS INTEGER) AS n FROM support_tickets WHERE "
	    "subject = 'Burst')"), 64);
	sqlite3_close(h);
	/* Every one found by search. */
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	r = request("GET", "/api/support-tickets?q=burst&pagination[pageSize]=1", NULL);
	assert_reply_has(r, 200, "\"total\":64}");
	reply_free(&r);
	harness_auth[0] = '\0';
	/* All 64 committed by group commits, fewer commits than writes. */
	r = scrape();
	double commits = sample(r.body, "platform_sqlite_group_commits_total") - commits0;
	double writes = sample(r.body, "platform_sqlite_group_writes_total") - writes0;
	reply_free(&r);
	fprintf(stderr, "burst: 64 tickets in %.0f group commits\n", commits);
	assert_true(writes == 64);
	assert_true(commits >= 1 && commits < 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_should_count_requests_by_route_class_and_latency),
		cmocka_unit_test(metrics_should_answer_loopback_and_admins_only),
		cmocka_unit_test(metrics_should_count_workers_respawned_and_webhooks_refused),
		cmocka_unit_test(writes_in_a_burst_should_share_commits_and_stay_gapless),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
