/*
 * The real stack end to end: nginx (TLS) -> platform pool -> SQLite,
 * over HTTPS on loopback.
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"

#include "db.h"

#include "platform.h"

static int
setup(void **state)
{
	(void)state;
	if (stack_start(NULL) != 0)
		return -1;
	return stack_as_admin();
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

static void
health_should_report_the_database(void **state)
{
	(void)state;
	char want[128];
	snprintf(want, sizeof(want), "{\"status\":\"ok\",\"database\":\"ok\","
	    "\"schemaVersion\":%d}", db_schema_latest(schema_sql));
	struct reply r = request("GET", "/health", NULL);
	assert_reply(r, 200, want);
	reply_free(&r);
}

static void
active_plans_should_list_the_demo_plans_in_order(void **state)
{
	(void)state;
	struct reply r = request("GET", "/api/subscription-plans/active", NULL);
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *data = cJSON_GetObjectItem(o, "data");
	assert_int_equal(cJSON_GetArraySize(data), 3);
	static const char *const names[] = { "Starter", "Business", "Enterprise" };
	static const int prices[] = { 2900, 7900, 24900 };
	for (int i = 0; i < 3; i++) {
		const cJSON *p = cJSON_GetArrayItem(data, i);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")), names[i]);
		assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "priceCents")), prices[i]);
		assert_int_equal(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(p, "documentId"))), 24);
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "trialDays")) > 0);
		assert_true(cJSON_IsArray(cJSON_GetObjectItem(p, "features")));
		assert_true(cJSON_IsObject(cJSON_GetObjectItem(p, "limits")));
	}
	assert_non_null(cJSON_GetObjectItem(o, "meta"));
	cJSON_Delete(o);
	reply_free(&r);
}

static void
plans_should_be_found_by_id_and_document_id(void **state)
{
	(void)state;
	struct reply r = request("GET", "/api/subscription-plans/1", NULL);
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	char path[128];
	snprintf(path, sizeof(path), "/api/subscription-plans/%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "documentId")));
	struct reply r2 = request("GET", path, NULL);
	assert_reply(r2, 200, r.body);
	cJSON_Delete(o);
	reply_free(&r);
	reply_free(&r2);
	r = request("GET", "/api/subscription-plans/doesnotexist000000000000", NULL);
	assert_reply(r, 404, "{\"data\":null,\"error\":{\"status\":404,\"name\":"
	    "\"NotFoundError\",\"message\":\"Not Found\",\"details\":{}}}");
	reply_free(&r);
}

static void
lists_should_paginate_filter_and_cap_page_size(void **state)
{
	(void)state;
	struct reply r = request("GET", "/api/subscription-plans?sort=priceCents:desc"
	    "&pagination%5BpageSize%5D=2&fields%5B0%5D=name", NULL);
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(first, "name")),
	    "Enterprise");
	assert_int_equal(cJSON_GetArraySize(first), 3);	/* id, documentId, name */
	char *meta = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "meta"));
	assert_string_equal(meta, "{\"pagination\":{\"page\":1,\"pageSize\":2,"
	    "\"pageCount\":2,\"total\":3}}");
	free(meta);
	cJSON_Delete(o);
	reply_free(&r);

	r = request("GET", "/api/subscription-plans?pagination%5BpageSize%5D=100000", NULL);
	assert_reply_has(r, 200, "\"pageSize\":100,");
	reply_free(&r);

	r = request("GET", "/api/subscription-plans?filters%5BpriceCents%5D%5B%24gte%5D=7900"
	    "&filters%5Bslug%5D%5B%24in%5D%5B0%5D=starter&filters%5Bslug%5D%5B%24in%5D%5B1%5D=business", NULL);
	assert_reply_has(r, 200, "\"total\":1}");
	assert_reply_has(r, 200, "\"slug\":\"business\"");
	reply_free(&r);
}

static void
bad_requests_should_get_exact_strapi_errors(void **state)
{
	(void)state;
	struct reply r = request("GET", "/api/subscription-plans?filters%5Bnope%5D%5B%24eq%5D=1", NULL);
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid key nope\",\"details\":{\"key\":"
	    "\"nope\",\"path\":null,\"source\":\"query\",\"param\":\"filters\"}}}");
	reply_free(&r);
	r = request("GET", "/api/subscription-plans?sort=name%3BDROP%20TABLE%20x", NULL);
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid key name;DROP TABLE x\",\"details\":"
	    "{\"key\":\"name;DROP TABLE x\",\"path\":null,\"source\":\"query\",\"param\":\"sort\"}}}");
	reply_free(&r);
	r = request("GET", "/api/nothing-here", NULL);
	assert_reply(r, 404, "{\"data\":null,\"error\":{\"status\":404,\"name\":"
	    "\"NotFoundError\",\"message\":\"Not Found\",\"details\":{}}}");
	reply_free(&r);
	r = request("PATCH", "/api/subscription-plans", NULL);
	assert_reply(r, 405, "{\"data\":null,\"error\":{\"status\":405,\"name\":"
	    "\"MethodNotAllowedError\",\"message\":\"Method Not Allowed\",\"details\":{}}}");
	assert_non_null(strstr(r.headers, "allow: GET, POST"));
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"data\":");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"BadRequestError\",\"message\":\"Invalid JSON in request body\",\"details\":{}}}");
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"nodata\":1}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Missing \\\"data\\\" payload in the request "
	    "body\",\"details\":{}}}");
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"x\",\"priceCents\":\"ten\",\"colour\":\"red\"}}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"2 errors occurred\",\"details\":{\"errors\":"
	    "[{\"path\":[\"priceCents\"],\"message\":\"priceCents must be an integer\","
	    "\"name\":\"ValidationError\",\"value\":\"ten\"},{\"path\":[\"colour\"],"
	    "\"message\":\"Invalid key colour\",\"name\":\"ValidationError\"}]}}}");
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"data\":{\"slug\":\"y\","
	    "\"priceCents\":1}}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"name must be defined.\",\"details\":"
	    "{\"errors\":[{\"path\":[\"name\"],\"message\":\"name must be defined.\","
	    "\"name\":\"ValidationError\"}]}}}");
	reply_free(&r);
	/* Query strings that once could crash a parser. */
	static const char *const odd[] = {
		"/api/subscription-plans?filters%5Bname",
		"/api/subscription-plans?&&&=&",
		"/api/subscription-plans?%zz=1",
		"/api/subscription-plans?filters%5Bname%5D%5B%24eq%5D=%00",
		"/api/subscription-plans?pagination%5Bpage%5D=99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		r = request("GET", odd[i], NULL);
		if (r.status != 400 && r.status != 200)
			fail_msg("%s -> %ld", odd[i], r.status);
		reply_free(&r);
	}
	/* Too many parameters: past HTTP_MAX_QUERY_PARAMS (1,100). */
	static char many[8192] = "/api/subscription-plans?";
	for (int i = 0; i < 1101; i++)
		strcat(many, "a=1&");
	r = request("GET", many, NULL);
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid query string\",\"details\":{}}}");
	reply_free(&r);
	/* The workers are all still there and answering. */
	r = request("GET", "/health", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void
oversized_bodies_should_get_413(void **state)
{
	(void)state;
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	struct reply r = request_full("POST", "/api/subscription-plans", big, n, NULL);
	assert_reply(r, 413, "{\"data\":null,\"error\":{\"status\":413,\"name\":"
	    "\"PayloadTooLargeError\",\"message\":\"request entity too large\","
	    "\"details\":{}}}");
	reply_free(&r);
	free(big);
}

static void
plans_should_be_created_updated_and_deleted(void **state)
{
	(void)state;
	struct reply r = request("POST", "/api/subscription-plans", "{\"data\":{"
	    "\"name\":\"Pro\",\"slug\":\"pro\",\"priceCents\":4900,\"interval\":\"year\","
	    "\"trialDays\":7,\"sortOrder\":4,\"features\":[\"Tout compris\"],"
	    "\"limits\":{\"maxStaff\":5,\"customDomain\":true}}}");
	assert_reply_has(r, 201, "\"slug\":\"pro\"");
	cJSON *o = cJSON_Parse(r.body);
	int id = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	char path[96];
	snprintf(path, sizeof(path), "/api/subscription-plans/%d", id);

	/* The new plan shows in the public list at once (every worker). */
	for (int i = 0; i < 8; i++) {
		r = request("GET", "/api/subscription-plans/active", NULL);
		assert_reply_has(r, 200, "\"name\":\"Pro\"");
		reply_free(&r);
	}
	r = request("PUT", path, "{\"data\":{\"active\":false,\"priceCents\":5900}}");
	assert_reply_has(r, 200, "\"priceCents\":5900");
	reply_free(&r);
	for (int i = 0; i < 8; i++) {
		r = request("GET", "/api/subscription-plans/active", NULL);
		assert_int_equal(r.status, 200);
		assert_null(strstr(r.body, "\"name\":\"Pro\""));
		reply_free(&r);
	}
	r = request("PUT", path, "{\"data\":{\"interval\":\"weekly\"}}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"interval must be one of the following "
	    "values: month, year, \",\"details\":{\"errors\":[{\"path\":[\"interval\"],"
	    "\"message\":\"interval must be one of the following values: month, year, \","
	    "\"name\":\"ValidationError\",\"value\":\"weekly\"}]}}}");
	reply_free(&r);
	r = request("DELETE", path, NULL);
	assert_int_equal(r.status, 204);
	assert_string_equal(r.body, "");
	reply_free(&r);
	r = request("GET", path, NULL);
	assert_int_equal(r.status, 404);
	reply_free(&r);
}

static void
chunked_bodies_should_be_read_to_the_end(void **state)
{
	(void)state;
	const char *body = "{\"data\":{\"name\":\"Chunked\",\"slug\":\"chunked\","
	    "\"priceCents\":5}}";
	const char *const te[] = { "Transfer-Encoding: chunked", NULL };
	struct reply r = request_full("POST", "/api/subscription-plans", body,
	    strlen(body), te);
	assert_reply_has(r, 201, "\"slug\":\"chunked\"");
	reply_free(&r);
	size_t n = 1536 * 1024;
	char *big = malloc(n + 1);
	memset(big, ' ', n);
	big[n] = '\0';
	r = request_full("POST", "/api/subscription-plans", big, n, te);
	assert_reply_has(r, 413, "\"name\":\"PayloadTooLargeError\"");
	reply_free(&r);
	free(big);
}

static void
idempotent_posts_should_be_replayed(void **state)
{
	(void)state;
	const char *body = "{\"data\":{\"name\":\"Once\",\"slug\":\"once\",\"priceCents\":100}}";
	const char *const key[] = { "Idempotency-Key: 5f1c0d9e-once", NULL };
	struct reply a = request_full("POST", "/api/subscription-plans", body,
	    strlen(body), key);
	struct reply b = request_full("POST", "/api/subscription-plans", body,
	    strlen(body), key);
	assert_int_equal(a.status, 201);
	assert_reply(b, 201, a.body);
	assert_non_null(strstr(b.headers, "idempotent-replayed: true"));
	reply_free(&a);
	reply_free(&b);
	a = request("GET", "/api/subscription-plans?filters%5Bslug%5D=once", NULL);
	assert_reply_has(a, 200, "\"total\":1}");
	reply_free(&a);
	const char *other = "{\"data\":{\"name\":\"Twice\",\"slug\":\"twice\",\"priceCents\":1}}";
	a = request_full("POST", "/api/subscription-plans", other, strlen(other), key);
	assert_reply(a, 409, "{\"data\":null,\"error\":{\"status\":409,\"name\":"
	    "\"ApplicationError\",\"message\":\"Idempotency-Key was already used with "
	    "a different request\",\"details\":{}}}");
	reply_free(&a);
}

struct race {
	const char	*key;
	long		 status;
	char		*body;
};

static void *
race_post(void *arg)
{
	struct race *r = arg;
	const char *body = "{\"data\":{\"name\":\"Race\",\"slug\":\"race\",\"priceCents\":1}}";
	char h[128];
	snprintf(h, sizeof(h), "Idempotency-Key: %s", r->key);
	const char *const hs[] = { h, NULL };
	struct reply x = request_full("POST", "/api/subscription-plans", body,
	    strlen(body), hs);
	r->status = x.status;
	r->body = x.body;
	free(x.headers);
	return NULL;
}

static void
concurrent_idempotent_posts_should_create_once(void **state)
{
	(void)state;
	pthread_t t[6];
	struct race rs[6];
	for (int i = 0; i < 6; i++) {
		rs[i].key = "race-key-1";
		pthread_create(&t[i], NULL, race_post, &rs[i]);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rs[i].status, 201);
		assert_string_equal(rs[i].body, rs[0].body);
	}
	for (int i = 0; i < 6; i++)
		free(rs[i].body);
	struct reply r = request("GET", "/api/subscription-plans?filters%5Bslug%5D=race", NULL);
	assert_reply_has(r, 200, "\"total\":1}");
	reply_free(&r);
}

static void
nginx_should_secure_and_compress(void **state)
{
	(void)state;
	const char *const gz[] = { "Accept-Encoding: gzip", NULL };
	struct reply r = request_full("GET", "/api/subscription-plans/active", NULL, 0, gz);
	assert_int_equal(r.status, 200);
	static const char *const must[] = {
		"strict-transport-security: max-age=63072000",
		"x-content-type-options: nosniff",
		"x-frame-options: DENY",
		"content-security-policy: default-src 'self'",
		"referrer-policy: ",
		"x-request-id: ",
		"content-encoding: gzip",
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (strstr(r.headers, must[i]) == NULL)
			fail_msg("missing %s in\n%s", must[i], r.headers);
	assert_null(strstr(r.headers, "nginx/"));
	reply_free(&r);

	/* HTTP redirects to the configured name (localhost by default),
	 * whatever Host the request names. */
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/subscription-plans/active",
	    S.http_port);
	char want[160];
	snprintf(want, sizeof(want), "location: https://localhost:%d/api/subscription-plans/active",
	    S.https_port);
	static const char *const hosts[] = { NULL, "Host: evil.example",
	    "Host: evil.example:443" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		const char *hs[] = { hosts[i], NULL };
		r = request_full("GET", url, NULL, 0, hosts[i] ? hs : NULL);
		assert_int_equal(r.status, 301);
		if (strcasestr(r.headers, want) == NULL)
			fail_msg("with %s:\n%s", hosts[i] ? hosts[i] : "no Host", r.headers);
		reply_free(&r);
	}

	r = request("GET", "/static/css/site.css", NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "content-type: text/css"));
	assert_non_null(strstr(r.body, ".plan"));
	reply_free(&r);
}

static void
nginx_should_speak_tls_1_2_and_1_3(void **state)
{
	(void)state;
	harness_sslversion = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	struct reply r = request("GET", "/health", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	harness_sslversion = CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3;
	r = request("GET", "/health", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	harness_sslversion = 0;
}

/* Fails unless path exists and neither its group nor others may use it. */
static void
assert_private(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		fail_msg("%s is missing", path);
	if (st.st_mode & 077)
		fail_msg("%s has mode %o", path, (unsigned)(st.st_mode & 0777));
}

static void
runtime_files_should_be_private(void **state)
{
	(void)state;
	char path[400], cmd[1200];
	static const char *const files[] = { "platform.db", "platform.db-wal",
	    "platform.db-shm", "platform.db-gen", "secrets", "secrets/jwt.key",
	    "tls/key.pem" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", S.var, files[i]);
		assert_private(path);
	}
	/* A backup is as private as the database. */
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build/rel";
	snprintf(cmd, sizeof(cmd), "umask 022; PLATFORM_DB=%s/platform.db "
	    "PLATFORM_JWT_SECRET_FILE=%s/secrets/jwt.key %s/bin/platformctl backup "
	    "%s/backup.db", S.var, S.var, build, S.var);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/backup.db", S.var);
	assert_private(path);
}

static void
requests_should_be_logged_with_nginx_request_id(void **state)
{
	(void)state;
	struct reply r = request("GET", "/health?probe=log", NULL);
	char *rid = strcasestr(r.headers, "x-request-id: ");
	assert_non_null(rid);
	char id[64] = { 0 };
	sscanf(rid + 14, "%63[0-9a-f]", id);
	assert_int_equal(strlen(id), 32);
	reply_free(&r);
	char path[400], line[1024];
	snprintf(path, sizeof(path), "%s/log/platform.log", S.var);
	int found = 0;
	for (int tries = 0; tries < 50 && !found; tries++) {
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, id) && strstr(line, " GET /health 200 "))
				found = 1;
		fclose(f);
		if (!found)
			usleep(20000);
	}
	assert_true(found);
}

/* Load: threads issuing GETs until told to stop, counting failures. */
struct load {
	volatile int	 stop;
	long		 ok, failed;
	pthread_mutex_t	 mu;
};

static void *
load_thread(void *arg)
{
	struct load *l = arg;
	while (!l->stop) {
		struct reply r = request("GET", "/api/subscription-plans/active", NULL);
		pthread_mutex_lock(&l->mu);
		if (r.status == 200)
			l->ok++;
		else
			l->failed++;
		pthread_mutex_unlock(&l->mu);
		reply_free(&r);
	}
	return NULL;
}

static void
load_start(struct load *l, pthread_t *t, int n)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, load_thread, l);
}

static void
load_stop(struct load *l, pthread_t *t, int n)
{
	l->stop = 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int
contains(const pid_t *a, int n, pid_t p)
{
	for (int i = 0; i < n; i++)
		if (a[i] == p)
			return 1;
	return 0;
}

static void
killed_worker_should_be_replaced(void **state)
{
	(void)state;
	pid_t pool = stack_pid("platform"), before[64], after[64];
	assert_true(pool > 0);
	int n = children_of(pool, before, 64);
	assert_true(n >= 2);
	pthread_t t[4];
	struct load l;
	load_start(&l, t, 4);
	usleep(300000);
	assert_int_equal(kill(before[0], SIGKILL), 0);
	usleep(300000);
	load_stop(&l, t, 4);
	/* The master has replaced it. */
	int m = 0;
	for (int tries = 0; tries < 100; tries++) {
		m = children_of(pool, after, 64);
		if (m == n && !contains(after, m, before[0]))
			break;
		usleep(20000);
	}
	assert_int_equal(m, n);
	assert_false(contains(after, m, before[0]));
	assert_true(l.ok > 0);
	/* At most the requests in flight on the killed worker failed. */
	assert_true(l.failed <= 4);
	/* Every following request succeeds. */
	for (int i = 0; i < 200; i++) {
		struct reply r = request("GET", "/api/subscription-plans/active", NULL);
		if (r.status != 200)
			fail_msg("request %d after the kill: %ld %s", i, r.status, r.body);
		reply_free(&r);
	}
}

static void
reload_should_replace_workers_without_refusing_a_request(void **state)
{
	(void)state;
	pid_t pool = stack_pid("platform"), before[64], after[64];
	int n = children_of(pool, before, 64);
	pthread_t t[4];
	struct load l;
	load_start(&l, t, 4);
	usleep(300000);
	assert_int_equal(kill(pool, SIGHUP), 0);
	int m = 0, replaced = 0;
	for (int tries = 0; tries < 200 && !replaced; tries++) {
		usleep(20000);
		m = children_of(pool, after, 64);
		replaced = m == n;
		for (int i = 0; i < m && replaced; i++)
			if (contains(before, n, after[i]))
				replaced = 0;
	}
	usleep(300000);
	load_stop(&l, t, 4);
	assert_true(replaced);
	assert_true(l.ok > 50);
	if (l.failed != 0)
		fail_msg("%ld of %ld requests failed during the reload", l.failed,
		    l.failed + l.ok);
}

static void
worker_should_run_the_billing_job(void **state)
{
	(void)state;
	assert_true(stack_pid("worker") > 0);
	assert_int_equal(kill(stack_pid("worker"), 0), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	int done = 0;
	for (int tries = 0; tries < 100 && !done; tries++) {
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(h, "SELECT count(*) FROM jobs WHERE kind = "
		    "'billing.run' AND state = 'done'", -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			done = sqlite3_column_int(st, 0) > 0;
		sqlite3_finalize(st);
		if (!done)
			usleep(50000);
	}
	sqlite3_close(h);
	assert_true(done);
}

static void
nginx_should_answer_503_json_when_the_pool_is_down(void **state)
{
	(void)state;
	/* The development stack's supervisor would start the pool again: it
	 * goes first, as if systemd were told to stop the pool. */
	pid_t sup = stack_pid("supervisor");
	assert_true(sup > 0);
	assert_int_equal(kill(sup, SIGTERM), 0);
	pid_t pool = stack_pid("platform");
	assert_true(pool > 0);
	assert_int_equal(kill(pool, SIGTERM), 0);
	for (int tries = 0; tries < 200 && kill(pool, 0) == 0; tries++)
		usleep(20000);
	struct reply r = request("GET", "/api/subscription-plans/active", NULL);
	assert_reply(r, 503, "{\"data\":null,\"error\":{\"status\":503,\"name\":"
	    "\"ServiceUnavailableError\",\"message\":\"Service Unavailable\","
	    "\"details\":{}}}");
	reply_free(&r);
	/* It drained: every worker finished and exited by itself, none had to
	 * be killed, the socket is gone. */
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "grep -q 'stopping: draining' %s/log/platform.log && "
	    "grep -q 'stopped$' %s/log/platform.log && ! grep -q 'drain timeout' "
	    "%s/log/platform.log && ! test -e %s/run/platform.sock", S.var, S.var,
	    S.var, S.var);
	assert_int_equal(system(cmd), 0);
}

/* The parsed data of GET path as whoever is signed in (caller deletes). */
static cJSON *
get_data(const char *path)
{
	struct reply r = request("GET", path, NULL);
	cJSON *o = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	reply_free(&r);
	cJSON *d = cJSON_DetachItemFromObject(o, "data");
	cJSON *meta = cJSON_DetachItemFromObject(o, "meta");
	cJSON_Delete(o);
	if (meta)
		cJSON_AddItemToObject(d, "meta", meta);
	return d;
}

static double
num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);
	return cJSON_GetNumberValue(b ? cJSON_GetObjectItem(v, b) : v);
}

/* The dashboard's figures are the stats routes' figures (one source), and
 * an agent sees the support part only. */
static void
dashboard_should_give_the_figures_of_the_stats_routes(void **state)
{
	(void)state;
	/* An open ticket, so that there is one to count. */
	struct reply r = request("POST", "/api/support-tickets", "{\"data\":{\"merchant\":1,"
	    "\"subject\":\"Dashboard\",\"description\":\"x\",\"category\":\"account\","
	    "\"priority\":\"low\"}}");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	cJSON *d = get_data("/api/platform/dashboard");
	cJSON *subs = get_data("/api/subscriptions/stats");
	cJSON *tickets = get_data("/api/support-tickets/stats");
	cJSON *merchants = get_data("/api/merchants?pagination[pageSize]=1");
	assert_non_null(d);
	assert_non_null(subs);
	assert_non_null(tickets);
	const cJSON *k = cJSON_GetObjectItem(d, "kpis");
	assert_true(num(k, "merchants", NULL) > 0);
	assert_true(num(k, "merchants", NULL) == num(cJSON_GetObjectItem(merchants,
	    "meta"), "pagination", "total"));
	assert_true(num(k, "mrrCents", NULL) == num(subs, "mrrCents", NULL));
	assert_true(num(k, "activeSubscriptions", NULL) == num(subs, "byStatus", "active"));
	assert_true(num(k, "trialingSubscriptions", NULL) ==
	    num(subs, "byStatus", "trialing"));
	assert_true(cJSON_Compare(cJSON_GetObjectItem(d, "revenueByMonth"),
	    cJSON_GetObjectItem(subs, "revenueByMonth"), 1));
	const cJSON *rev = cJSON_GetObjectItem(subs, "revenueByMonth");
	assert_true(num(k, "revenueThisMonthCents", NULL) == num(cJSON_GetArrayItem(rev,
	    11), "revenueCents", NULL));
	double open = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(tickets, "backlog"),
	    "status"))
		if (strcmp(s->string, "resolved") != 0 && strcmp(s->string, "closed") != 0)
			open += s->valuedouble;
	assert_true(open > 0);
	assert_true(num(k, "openTickets", NULL) == open);
	assert_true(num(k, "slaBreaches30d", NULL) == num(tickets, "slaBreaches",
	    "answeredLate") + num(tickets, "slaBreaches", "openPastDue"));
	/* Every shop that should serve is counted once, by its health. */
	cJSON *running = get_data("/api/merchant-backends?filters[status][$eq]=running&"
	    "pagination[pageSize]=1");
	assert_true(num(k, "backends", "healthy") + num(k, "backends", "degraded") +
	    num(k, "backends", "down") + num(k, "backends", "unknown") ==
	    num(cJSON_GetObjectItem(running, "meta"), "pagination", "total"));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(d, "backends")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "ticketsByWeek")) > 0, 1);
	cJSON_Delete(running);
	cJSON_Delete(d);
	cJSON_Delete(subs);
	cJSON_Delete(tickets);
	cJSON_Delete(merchants);
	/* An agent: the support part, nothing of billing or shops. */
	char jwt[2048], saved[sizeof(harness_auth)];
	memcpy(saved, harness_auth, sizeof(saved));
	assert_int_equal(stack_login("agent@example.com", "demo-password", jwt), 200);
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	d = get_data("/api/platform/dashboard");
	memcpy(harness_auth, saved, sizeof(saved));
	assert_non_null(d);
	k = cJSON_GetObjectItem(d, "kpis");
	assert_int_equal(cJSON_GetArraySize(k), 2);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(k, "openTickets")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(k, "slaBreaches30d")));
	assert_null(cJSON_GetObjectItem(d, "revenueByMonth"));
	assert_null(cJSON_GetObjectItem(d, "backends"));
	cJSON_Delete(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_should_report_the_database),
		cmocka_unit_test(active_plans_should_list_the_demo_plans_in_order),
		cmocka_unit_test(plans_should_be_found_by_id_and_document_id),
		cmocka_unit_test(lists_should_paginate_filter_and_cap_page_size),
		cmocka_unit_test(bad_requests_should_get_exact_strapi_errors),
		cmocka_unit_test(oversized_bodies_should_get_413),
		cmocka_unit_test(plans_should_be_created_updated_and_deleted),
		cmocka_unit_test(chunked_bodies_should_be_read_to_the_end),
		cmocka_unit_test(idempotent_posts_should_be_replayed),
		cmocka_unit_test(concurrent_idempotent_posts_should_create_once),
		cmocka_unit_test(nginx_should_secure_and_compress),
		cmocka_unit_test(nginx_should_speak_tls_1_2_and_1_3),
		cmocka_unit_test(runtime_files_should_be_private),
		cmocka_unit_test(requests_should_be_logged_with_nginx_request_id),
		cmocka_unit_test(killed_worker_should_be_replaced),
		cmocka_unit_test(reload_should_replace_workers_without_refusing_a_request),
		cmocka_unit_test(worker_should_run_the_billing_job),
		cmocka_unit_test(dashboard_should_give_the_figures_of_the_stats_routes),
		/* Last: it stops the pool. */
		cmocka_unit_test(nginx_should_answer_503_json_when_the_pool_is_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
