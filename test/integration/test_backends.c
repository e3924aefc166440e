/*
 * Merchant backends on the real stack: a shop deployed by the worker in
 * logged steps answers on its subdomain over HTTPS through nginx, sells,
 * and takes its owner's key; deployments that fail (a shop that is not
 * healthy, a configuration nginx refuses) roll back while every other
 * site keeps answering; bad subdomains never get near a file; a killed
 * pool is started again.
 */
#include "harness.h"
#include "auth.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

static int64_t clara;		/* merchant A */
static char owner_key[80];	/* its shop's key */
static int64_t shop_id;

/* A request to a shop's subdomain, through nginx, with the shop's
 * certificate checked (the development certificate covers
 * *.shops.localhost). */
static struct reply
shop_request(const char *sub, const char *method, const char *path, const char *body,
    const char *auth)
{
	struct reply r = { 0 };
	char url[512], resolve[256], hdr[160];
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL, *res = NULL;
	snprintf(url, sizeof(url), "https://%s.shops.localhost:%d%s", sub, S.https_port,
	    path);
	snprintf(resolve, sizeof(resolve), "%s.shops.localhost:%d:127.0.0.1", sub,
	    S.https_port);
	res = curl_slist_append(res, resolve);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_CAINFO, S.cafile);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	if (auth) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", auth);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	curl_slist_free_all(res);
	curl_easy_cleanup(c);
	if (r.body == NULL)
		r.body = strdup("");
	if (r.headers == NULL)
		r.headers = strdup("");
	return r;
}

static const char *
str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);
	if (b)
		v = cJSON_GetObjectItem(v, b);
	return cJSON_GetStringValue(v);
}

/* Creates a backend; returns its id (0 when refused), the key in key. */
static int64_t
create_backend(int64_t merchant, const char *sub, char *key, size_t n)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":\"%s\"}}",
	    (long long)merchant, sub);
	struct reply r = request("POST", "/api/merchant-backends", body);
	int64_t id = 0;
	if (r.status == 201) {
		cJSON *o = cJSON_Parse(r.body);
		id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "data"), "id"));
		if (key)
			snprintf(key, n, "%s", str_at(o, "data", "ownerKey"));
		cJSON_Delete(o);
	} else
		fprintf(stderr, "create %s: %ld %s\n", sub, r.status, r.body);
	reply_free(&r);
	return id;
}

/* GET /api/merchant-backends/:id/deployment-status, parsed (caller
 * deletes). */
static cJSON *
deployment_status(int64_t id)
{
	char url[128];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/deployment-status",
	    (long long)id);
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	reply_free(&r);
	return o;
}

/* Waits (up to 30 s) for backend id's latest deployment to end; returns
 * its status document (caller deletes). */
static cJSON *
await_deployment(int64_t id)
{
	for (int i = 0; i < 300; i++) {
		cJSON *o = deployment_status(id);
		const char *st = str_at(cJSON_GetObjectItem(o, "data"), "latest", "status");
		if (st && (strcmp(st, "succeeded") == 0 || strcmp(st, "failed") == 0))
			return o;
		cJSON_Delete(o);
		usleep(100000);
	}
	return NULL;
}

/* The outcome of each step of the latest deployment: "prepare:ok ..." */
static void
steps_of(const cJSON *status, char *out, size_t n)
{
	const cJSON *s;
	size_t w = 0;
	out[0] = '\0';
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(status, "data"), "latest"), "steps")) {
		w += (size_t)snprintf(out + w, n - w, "%s%s:%s", w ? " " : "",
		    cJSON_GetStringValue(cJSON_GetObjectItem(s, "step")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(s, "outcome")));
		if (w >= n)
			break;
	}
}

/* Waits for backend id's latest deployment to end, and asserts its steps
 * were want ("prepare:ok ..."). */
static void
assert_steps(int64_t id, const char *want)
{
	char steps[512];
	cJSON *st = await_deployment(id);
	assert_non_null(st);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, want);
	cJSON_Delete(st);
}

#define DEPLOYED "prepare:ok render:ok nginx-test:ok start-pool:ok health:ok " \
	"reload-nginx:ok"

/* Waits (up to 10 s) for the shop itself to answer its subdomain's
 * /health through nginx (up = 1: its schema's version, not the platform's
 * answer of a name nginx does not know), or to stop answering (up = 0).
 * Returns 1 when it came to pass. */
static int
await_shop(const char *sub, int up)
{
	for (int i = 0; i < 100; i++) {
		struct reply r = shop_request(sub, "GET", "/health", NULL, NULL);
		int shop = r.status == 200 && strcmp(r.body, "{\"status\":\"ok\","
		    "\"database\":\"ok\",\"schemaVersion\":1}") == 0;
		reply_free(&r);
		if (shop == up)
			return 1;
		usleep(100000);
	}
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	if (stack_start("SHOP_START_TIMEOUT_MS=1500 PLATFORM_PROBE_INTERVAL_S=1") != 0 ||
	    stack_as_admin() != 0)
		return -1;
	struct reply r = request("GET", "/api/merchants?filters[slug][$eq]=boutique-clara",
	    NULL);
	cJSON *o = cJSON_Parse(r.body);
	clara = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(o, "data"), 0), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	return clara > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* The demo data deploys Boutique Clara's shop, a dozen products on its
 * shelves; the platform's page leads there. */
static void
demo_shop_should_be_deployed_with_its_products(void **state)
{
	(void)state;
	/* Deployed once its deployment says so: nginx's workers of the old
	 * configuration no longer take connections then. Its /health through
	 * nginx answering once is not enough: the next request may meet an
	 * old worker and the platform's 404. */
	struct reply r = request("GET", "/api/merchant-backends?filters[subdomain][$eq]="
	    "boutique-clara", NULL);
	cJSON *o = cJSON_Parse(r.body);
	int64_t demo = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(o, "data"), 0), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	assert_true(demo > 0);
	cJSON *st = await_deployment(demo);
	assert_non_null(st);
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "latest", "status"),
	    "succeeded");
	cJSON_Delete(st);
	assert_true(await_shop("boutique-clara", 1));
	/* Every new connection meets the shop, not the platform. */
	for (int i = 0; i < 20; i++) {
		r = shop_request("boutique-clara", "GET", "/health", NULL, NULL);
		assert_reply(r, 200, "{\"status\":\"ok\",\"database\":\"ok\","
		    "\"schemaVersion\":1}");
		reply_free(&r);
	}
	r = shop_request("boutique-clara", "GET", "/api/products", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"total\":12"));
	reply_free(&r);
	r = shop_request("boutique-clara", "GET", "/?lang=fr", NULL, NULL);
	assert_non_null(strstr(r.body, "<h2 class=\"name\">Savon lavande</h2>"));
	assert_non_null(strstr(r.body, "<p class=\"price\">6,50 €</p>"));
	reply_free(&r);
	r = request("GET", "/marketplace/boutique-clara.html", NULL);
	assert_int_equal(r.status, 303);
	char want[128];
	snprintf(want, sizeof(want), "location: https://boutique-clara.shops.localhost:%d/",
	    S.https_port);
	assert_non_null(strcasestr(r.headers, want));
	reply_free(&r);
	/* A name of the shops' domain that no shop has: a clear 404. */
	r = shop_request("no-such-shop", "GET", "/", NULL, NULL);
	assert_reply(r, 404, "{\"data\":null,\"error\":{\"status\":404,\"name\":"
	    "\"NotFoundError\",\"message\":\"No shop at this address\",\"details\":{}}}");
	reply_free(&r);
}

static void
backend_should_deploy_on_its_subdomain_and_sell(void **state)
{
	char steps[512];
	(void)state;
	shop_id = create_backend(clara, "clara", owner_key, sizeof(owner_key));
	assert_true(shop_id > 0);
	assert_int_equal(strlen(owner_key), 64);
	cJSON *st = await_deployment(shop_id);
	assert_non_null(st);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, "prepare:ok render:ok nginx-test:ok start-pool:ok "
	    "health:ok reload-nginx:ok");
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "backend", "status"),
	    "running");
	/* Every step says when it started and how long it took. */
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(st, "data"), "latest"), "steps"), 0);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(s, "durationMs")));
	assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(s, "startedAt")));
	cJSON_Delete(st);
	assert_true(await_shop("clara", 1));
	/* Its owner stocks it; a shopper buys; the stock follows. */
	struct reply r = shop_request("clara", "POST", "/api/products", "{\"data\":{"
	    "\"name\":\"Savon\",\"slug\":\"savon\",\"priceCents\":650,\"stock\":3}}",
	    owner_key);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	r = shop_request("clara", "POST", "/api/products", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"x\",\"priceCents\":1}}", "00");
	assert_int_equal(r.status, 401);
	reply_free(&r);
	r = shop_request("clara", "GET", "/", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<h2 class=\"name\">Savon</h2>"));
	assert_non_null(strstr(r.body, "Boutique Clara"));
	reply_free(&r);
	r = shop_request("clara", "POST", "/api/orders", "{\"data\":{\"customerName\":"
	    "\"Ana\",\"customerEmail\":\"ana@example.com\",\"lines\":[{\"product\":1,"
	    "\"quantity\":2}]}}", NULL);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	r = shop_request("clara", "GET", "/api/products/1", NULL, NULL);
	assert_non_null(strstr(r.body, "\"stock\":1"));
	reply_free(&r);
	/* The platform answers as before. */
	r = request("GET", "/health", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

/* The merchant dashboard's figures for a merchant of its own: its shop's
 * statistics come from the shop itself; a shop that does not answer
 * leaves them "unavailable" in a page that still answers. */
static void
merchant_dashboard_should_show_its_shop_figures_or_say_they_are_unavailable(
    void **state)
{
	char key[80], url[160], path[512], buf[32] = "";
	(void)state;
	struct reply r = request("POST", "/api/merchants", "{\"data\":{\"name\":"
	    "\"Dash\",\"slug\":\"dash\",\"email\":\"dash@example.com\"}}");
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	int64_t m = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	int64_t id = create_backend(m, "dash", key, sizeof(key));
	assert_true(id > 0);
	assert_steps(id, DEPLOYED);
	assert_true(await_shop("dash", 1));
	r = shop_request("dash", "POST", "/api/products", "{\"data\":{\"name\":"
	    "\"Savon\",\"slug\":\"savon\",\"priceCents\":650,\"stock\":3}}", key);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	r = shop_request("dash", "POST", "/api/orders", "{\"data\":{\"customerName\":"
	    "\"Ana\",\"customerEmail\":\"ana@example.com\",\"lines\":[{\"product\":1,"
	    "\"quantity\":2}]}}", NULL);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/platform/merchant/%lld/dashboard", (long long)m);
	r = request("GET", url, NULL);
	assert_int_equal(r.status, 200);
	o = cJSON_Parse(r.body);
	const cJSON *d = cJSON_GetObjectItem(o, "data");
	const cJSON *shop = cJSON_GetObjectItem(d, "shop");
	char *top = cJSON_PrintUnformatted(cJSON_GetObjectItem(shop, "topProducts"));
	assert_string_equal(top, "[{\"product\":1,\"name\":\"Savon\",\"quantity\":2,"
	    "\"revenueCents\":1300}]");
	free(top);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(shop, "available")));
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(shop, "orders")), 1);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(shop, "revenueCents")),
	    1300);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(shop, "byDay")), 30);
	assert_string_equal(str_at(shop, "subdomain", NULL), "dash");
	assert_string_equal(str_at(d, "merchant", "name"), "Dash");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "subscription")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "invoices")), 0);
	char *tickets = cJSON_PrintUnformatted(cJSON_GetObjectItem(d, "tickets"));
	assert_string_equal(tickets, "{\"open\":0,\"recent\":[]}");
	free(tickets);
	const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "backends"), 0);
	assert_string_equal(str_at(b, "subdomain", NULL), "dash");
	assert_string_equal(str_at(b, "status", NULL), "running");
	cJSON_Delete(o);
	/* Never the shop's key. */
	assert_null(strstr(r.body, key));
	assert_null(strstr(r.body, "secret"));
	reply_free(&r);
	/* A shop that hangs: the figures are unavailable, the answer is not
	 * an error. */
	snprintf(path, sizeof(path), "%s/merchants/dash/pool.pid", S.var);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	pid_t pool[17];
	pool[0] = (pid_t)atoi(buf);
	assert_true(pool[0] > 1);
	int n = 1 + children_of(pool[0], pool + 1, 16);
	for (int i = 0; i < n; i++)
		assert_int_equal(kill(pool[i], SIGSTOP), 0);
	r = request("GET", url, NULL);
	for (int i = 0; i < n; i++)
		kill(pool[i], SIGCONT);
	assert_true(await_shop("dash", 1));
	assert_int_equal(r.status, 200);
	o = cJSON_Parse(r.body);
	shop = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "shop");
	char *got = cJSON_PrintUnformatted(shop);
	assert_string_equal(got, "{\"available\":false,\"subdomain\":\"dash\"}");
	free(got);
	cJSON_Delete(o);
	reply_free(&r);
}

/* A shop whose database is of a newer version than the program: its
 * health check never passes; the deployment rolls back. */
static void
deployment_should_roll_back_an_unhealthy_shop(void **state)
{
	char path[512], steps[512];
	sqlite3 *db;
	(void)state;
	snprintf(path, sizeof(path), "%s/merchants/sick-shop", S.var);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/merchants/sick-shop/shop.db", S.var);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);
	int64_t id = create_backend(clara, "sick-shop", NULL, 0);
	assert_true(id > 0);
	cJSON *st = await_deployment(id);
	assert_non_null(st);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, "prepare:ok render:ok nginx-test:ok start-pool:ok "
	    "health:failed rollback:ok");
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "backend", "status"),
	    "failed");
	assert_non_null(strstr(str_at(cJSON_GetObjectItem(st, "data"), "latest",
	    "message"), "GET /health did not answer 200"));
	cJSON_Delete(st);
	/* Nothing of it left in nginx, nor running. */
	snprintf(path, sizeof(path), "%s/shops/sick-shop.map", S.var);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/merchants/sick-shop/pool.pid", S.var);
	assert_int_not_equal(access(path, F_OK), 0);
	/* Everybody else still answers. */
	assert_true(await_shop("clara", 1));
	struct reply r = request("GET", "/health", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

/* nginx refuses the configuration (a broken line beside the shops'): the
 * new shop's line is taken out again, nginx never reloads into it. */
static void
deployment_should_roll_back_when_nginx_refuses(void **state)
{
	char path[512], steps[512];
	(void)state;
	snprintf(path, sizeof(path), "%s/shops/zz-broken.map", S.var);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not nginx;\n", f);
	fclose(f);
	int64_t id = create_backend(clara, "refused-shop", NULL, 0);
	assert_true(id > 0);
	cJSON *st = await_deployment(id);
	unlink(path);
	assert_non_null(st);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, "prepare:ok render:ok nginx-test:failed rollback:ok");
	assert_non_null(strstr(str_at(cJSON_GetObjectItem(st, "data"), "latest",
	    "message"), "invalid number of the map parameters"));
	cJSON_Delete(st);
	snprintf(path, sizeof(path), "%s/shops/refused-shop.map", S.var);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_true(await_shop("clara", 1));
}

/* Subdomains that are not DNS labels, or are reserved, are refused by
 * name before anything is written. */
static void
subdomains_should_be_dns_labels_before_anything_is_written(void **state)
{
	static const char *const bad[] = { "a;b", "a b", "x.y", "../x", "Upper", "ab",
	    "-ab", "ab-", "admin", "www", "a\\nb", "ab$(id)",
	    "a123456789012345678901234567890123456789012345678901234567890123", NULL };
	char body[256], path[512];
	(void)state;
	for (int i = 0; bad[i]; i++) {
		snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":"
		    "\"%s\"}}", (long long)clara, bad[i]);
		struct reply r = request("POST", "/api/merchant-backends", body);
		if (r.status != 400 || strstr(r.body, "\"path\":[\"subdomain\"]") == NULL)
			fail_msg("%s: %ld %s", bad[i], r.status, r.body);
		reply_free(&r);
	}
	struct reply r = request("POST", "/api/merchant-backends", "{\"data\":{"
	    "\"merchant\":1,\"subdomain\":\"clara\"}}");
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "subdomain is taken"));
	reply_free(&r);
	r = request("GET", "/api/merchant-backends", NULL);
	cJSON *o = cJSON_Parse(r.body);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "meta"), "pagination"), "total")), 4);
	cJSON_Delete(o);
	reply_free(&r);
	snprintf(path, sizeof(path), "ls %s/merchants | sort | tr '\\n' ' '", S.var);
	FILE *p = popen(path, "r");
	char dirs[256] = "";
	assert_non_null(fgets(dirs, sizeof(dirs), p));
	pclose(p);
	assert_string_equal(dirs, "boutique-clara clara refused-shop sick-shop ");
}

/* A shop's pool killed with SIGKILL is started again by the worker. */
static void
killed_pool_should_be_started_again(void **state)
{
	char path[512], buf[32] = "";
	(void)state;
	snprintf(path, sizeof(path), "%s/merchants/clara/pool.pid", S.var);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	pid_t old = (pid_t)atoi(buf);
	assert_true(old > 1);
	assert_int_equal(kill(old, SIGKILL), 0);
	/* Within a few seconds: a restart deployment, a new pool, answers. */
	pid_t now = old;
	for (int i = 0; i < 200 && (now == old || now <= 1 || kill(now, 0) != 0); i++) {
		usleep(100000);
		buf[0] = '\0';
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		now = (pid_t)atoi(buf);
	}
	assert_true(now != old && now > 1);
	assert_int_equal(kill(now, 0), 0);
	cJSON *st = await_deployment(shop_id);
	assert_non_null(st);
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "latest", "action"),
	    "restart");
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "latest", "status"),
	    "succeeded");
	cJSON_Delete(st);
	assert_true(await_shop("clara", 1));
	/* Its data came back with it. */
	struct reply r = shop_request("clara", "GET", "/api/products/1", NULL, NULL);
	assert_non_null(strstr(r.body, "\"stock\":1"));
	reply_free(&r);
}

/* The backend's record, as the API answers it (caller deletes). */
static cJSON *
backend_record(int64_t id)
{
	char url[96];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld", (long long)id);
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	reply_free(&r);
	cJSON *d = cJSON_DetachItemFromObject(o, "data");
	cJSON_Delete(o);
	return d;
}

/* Waits (up to 40 s) for the backend's health to be want. */
static int
await_health(int64_t id, const char *want)
{
	for (int i = 0; i < 400; i++) {
		cJSON *b = backend_record(id);
		int ok = b && strcmp(str_at(b, "health", NULL), want) == 0;
		cJSON_Delete(b);
		if (ok)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* The id of backend id's latest deployment (0: none), and its action in
 * action (16 bytes). */
static int64_t
latest_deployment(int64_t id, char *action)
{
	cJSON *o = deployment_status(id);
	const cJSON *l = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "latest");
	int64_t d = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(l, "id"));
	const char *a = str_at(l, "action", NULL);
	snprintf(action, 16, "%s", a ? a : "");
	cJSON_Delete(o);
	return d;
}

/* Waits (up to 40 s) for a restart of backend id newer than deployment
 * after, queued by the monitor when the shop went down. */
static int
await_restart_after(int64_t id, int64_t after)
{
	char action[16];
	for (int i = 0; i < 400; i++) {
		if (latest_deployment(id, action) > after && strcmp(action, "restart") == 0)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* The worker probes the shop through nginx every second: healthy, with its
 * latency and uptime; its workers hung (SIGSTOP), the probes fail, it goes
 * down, is restarted (gracefully, a new generation) and its merchant is
 * told. */
static void
monitor_should_see_a_hung_shop_down_and_restart_it(void **state)
{
	char path[512], buf[32] = "";
	pid_t kids[16];
	(void)state;
	assert_true(await_health(shop_id, "healthy"));
	cJSON *b = backend_record(shop_id);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(b, "lastLatencyMs")));
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "lastStatus")), 200);
	/* (The pool killed above already cost it some uptime.) */
	double uptime = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "uptime24hPercent"));
	assert_true(uptime > 0 && uptime <= 100);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(b, "latencyP95Ms")));
	cJSON_Delete(b);
	snprintf(path, sizeof(path), "%s/merchants/clara/pool.pid", S.var);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	int n = children_of((pid_t)atoi(buf), kids, 16);
	assert_true(n > 0);
	char action[16];
	int64_t before = latest_deployment(shop_id, action);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGSTOP);
	/* Down (its merchant told, below), then restarted: the worker takes
	 * the restart at once, so "down" may last less than a poll here. */
	assert_true(await_restart_after(shop_id, before));
	assert_true(await_health(shop_id, "healthy"));
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGCONT);
	b = backend_record(shop_id);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "uptime24hPercent")) <
	    uptime);
	cJSON_Delete(b);
	cJSON *st = await_deployment(shop_id);
	assert_non_null(st);
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "latest", "action"),
	    "restart");
	cJSON_Delete(st);
	struct reply r = request("GET", "/api/email-outbox?filters[kind][$eq]=backend_down",
	    NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"recipient\":\"contact@boutique-clara.fr\""));
	assert_non_null(strstr(r.body, "Votre boutique clara ne répond plus"));
	reply_free(&r);
}

/* Stop takes the shop out of nginx and stops its pool; start brings it
 * back; DELETE undeploys, keeping its data. */
static void
backend_should_stop_start_and_undeploy(void **state)
{
	char url[128], steps[512];
	(void)state;
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/stop", (long long)shop_id);
	struct reply r = request("POST", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	cJSON *st = await_deployment(shop_id);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, "remove-server-block:ok reload-nginx:ok stop-pool:ok");
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "backend", "status"),
	    "stopped");
	cJSON_Delete(st);
	assert_true(await_shop("clara", 0));
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/start", (long long)shop_id);
	r = request("POST", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	st = await_deployment(shop_id);
	steps_of(st, steps, sizeof(steps));
	assert_string_equal(steps, "render:ok nginx-test:ok start-pool:ok health:ok "
	    "reload-nginx:ok");
	cJSON_Delete(st);
	assert_true(await_shop("clara", 1));
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld", (long long)shop_id);
	r = request("DELETE", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	st = await_deployment(shop_id);
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "data"), "backend", "status"),
	    "removed");
	cJSON_Delete(st);
	char path[512];
	snprintf(path, sizeof(path), "%s/merchants/clara/shop.db", S.var);
	assert_int_equal(access(path, F_OK), 0);
	/* Removed: nothing more to do to it. */
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/start", (long long)shop_id);
	r = request("POST", url, NULL);
	assert_int_equal(r.status, 409);
	reply_free(&r);
}


/* The number of records of a list route, as the admin sees it. */
static int
total_of(const char *path)
{
	char url[160];
	snprintf(url, sizeof(url), "%s?pagination[pageSize]=1", path);
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "meta"), "pagination"), "total"));
	cJSON_Delete(o);
	reply_free(&r);
	return r.status == 200 ? n : -1;
}

/* Users, merchants, subscriptions, backends, deployments and deployment
 * jobs (the worker queues others of its own meanwhile): what
 * an onboarding writes, counted. */
static void
count_rows(int out[6])
{
	static const char *const paths[] = { "/api/users", "/api/merchants",
	    "/api/subscriptions", "/api/merchant-backends" };
	for (int i = 0; i < 4; i++)
		out[i] = total_of(paths[i]);
	sqlite3 *db;
	char path[512];
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	static const char *const sql[] = { "SELECT count(*) FROM backend_deployments",
	    "SELECT count(*) FROM jobs WHERE kind = 'backend.deploy'" };
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		out[4 + i] = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* An anonymous request (the harness's admin credentials left out). */
static struct reply
anonymous(const char *method, const char *url, const char *body,
    const char *const *headers)
{
	char saved[sizeof(harness_auth)];
	memcpy(saved, harness_auth, sizeof(saved));
	harness_auth[0] = '\0';
	struct reply r = request_full(method, url, body, body ? strlen(body) : 0,
	    headers);
	memcpy(harness_auth, saved, sizeof(saved));
	return r;
}

/* The paths of a 400's errors, sorted: "merchant.name owner.email ..." */
static void
error_paths(const char *body, char *out, size_t n)
{
	cJSON *o = cJSON_Parse(body), *e;
	char paths[16][64];
	int k = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "error"), "details"), "errors")) {
		if (k == 16)
			break;
		paths[k][0] = '\0';
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(e, "path")) {
			size_t w = strlen(paths[k]);
			snprintf(paths[k] + w, sizeof(paths[k]) - w, "%s%s", w ? "." : "",
			    cJSON_GetStringValue(p));
		}
		k++;
	}
	cJSON_Delete(o);
	qsort(paths, (size_t)k, sizeof(paths[0]), (int (*)(const void *,
	    const void *))strcmp);
	out[0] = '\0';
	for (int i = 0; i < k; i++) {
		size_t w = strlen(out);
		snprintf(out + w, n - w, "%s%s", i ? " " : "", paths[i]);
	}
}

#define ONBOARD_BODY(email, sub) "{\"data\":{\"owner\":{\"email\":\"" email "\"," \
	"\"password\":\"correct-horse-battery\",\"name\":\"Léa Martin\"},\"merchant\":" \
	"{\"name\":\"L'Atelier de Léa\",\"country\":\"FR\",\"company\":\"Atelier SARL\"}," \
	"\"plan\":1,\"subdomain\":\"" sub "\"}}"

/* One anonymous request makes the owner, the merchant, a trial on the
 * plan and the shop, which then deploys; the same Idempotency-Key gives
 * the same answer and nothing twice; the owner signs in. */
static void
onboarding_should_create_everything_and_deploy(void **state)
{
	int before[6], after[6];
	(void)state;
	count_rows(before);
	const char *key[] = { "Idempotency-Key: onboard-atelier-lea-1", NULL };
	struct reply r = anonymous("POST", "/api/platform/onboard-merchant",
	    ONBOARD_BODY("lea@atelier.example", "atelier-lea"), key);
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *d = cJSON_GetObjectItem(o, "data");
	assert_string_equal(str_at(d, "user", "email"), "lea@atelier.example");
	assert_string_equal(str_at(d, "user", "username"), "lea@atelier.example");
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "user"), "password"));
	assert_string_equal(str_at(d, "merchant", "name"), "L'Atelier de Léa");
	assert_string_equal(str_at(d, "merchant", "slug"), "atelier-lea");
	assert_string_equal(str_at(d, "merchant", "email"), "lea@atelier.example");
	assert_string_equal(str_at(d, "subscription", "status"), "trialing");
	assert_string_equal(str_at(d, "backend", "subdomain"), "atelier-lea");
	assert_string_equal(str_at(d, "backend", "status"), "pending");
	assert_string_equal(str_at(d, "deployment", "action"), "deploy");
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(d, "backend"), "id"));
	char url[128];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/deployment-status",
	    (long long)id);
	assert_string_equal(str_at(d, "deploymentStatusUrl", NULL), url);
	cJSON_Delete(o);
	/* The same key again: the same answer, nothing created twice. */
	struct reply again = anonymous("POST", "/api/platform/onboard-merchant",
	    ONBOARD_BODY("lea@atelier.example", "atelier-lea"), key);
	assert_int_equal(again.status, 201);
	assert_string_equal(again.body, r.body);
	reply_free(&again);
	reply_free(&r);
	count_rows(after);
	for (int i = 0; i < 4; i++)
		assert_int_equal(after[i], before[i] + 1);
	assert_int_equal(after[4], before[4] + 1);
	/* Its owner signs in and follows the deployment to the end. */
	char jwt[2048];
	assert_int_equal(stack_login("lea@atelier.example", "correct-horse-battery", jwt),
	    200);
	assert_steps(id, DEPLOYED);
	assert_true(await_shop("atelier-lea", 1));
	r = shop_request("atelier-lea", "GET", "/", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "L&#39;Atelier de Léa"));
	reply_free(&r);
}

/* Every kind of bad input is named, field by field, and leaves no row. */
static void
onboarding_should_name_every_bad_field_and_write_nothing(void **state)
{
	static const struct { const char *body, *paths; int status; } cases[] = {
		{ "{\"data\":{\"owner\":{\"email\":\"nope\",\"password\":\"short\"},"
		  "\"merchant\":{\"country\":\"ZZ\"},\"plan\":999999,\"subdomain\":"
		  "\"Admin\"}}", "merchant.country merchant.name owner.email owner.password "
		  "plan subdomain", 400 },
		{ ONBOARD_BODY("admin@example.com", "fresh-shop"),
		  "owner.email", 400 },
		{ ONBOARD_BODY("new@atelier.example", "boutique-clara"),
		  "subdomain", 400 },
		{ ONBOARD_BODY("new@atelier.example", "admin"), "subdomain", 400 },
		{ ONBOARD_BODY("new@atelier.example", "a;b"), "subdomain", 400 },
		{ "{\"data\":{\"owner\":{\"email\":\"x@y.example\",\"password\":"
		  "\"correct-horse-battery\",\"role\":\"admin\"},\"merchant\":{\"name\":"
		  "\"X\",\"country\":\"FR\",\"status\":\"active\"},\"plan\":1,\"subdomain\":"
		  "\"x-shop\",\"extra\":1}}", "extra merchant.status owner.role", 400 },
		{ "{\"data\":{\"owner\":\"x\",\"merchant\":[],\"plan\":1,\"subdomain\":"
		  "\"y-shop\"}}", "merchant owner", 400 },
		{ "{\"data\":{\"owner\":{\"email\":\"v@y.example\",\"password\":"
		  "\"correct-horse-battery\"},\"merchant\":{\"name\":\"V\",\"country\":"
		  "\"DE\",\"vatNumber\":\"FR40303265045\"},\"plan\":1,\"subdomain\":"
		  "\"v-shop\"}}", "merchant.vatNumber", 400 },
		{ "{\"owner\":{}}", "", 400 },
	};
	int before[6], after[6];
	char paths[512];
	(void)state;
	count_rows(before);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r = anonymous("POST", "/api/platform/onboard-merchant",
		    cases[i].body, NULL);
		if (r.status != cases[i].status)
			fail_msg("case %zu: %ld %s", i, r.status, r.body);
		error_paths(r.body, paths, sizeof(paths));
		if (strcmp(paths, cases[i].paths) != 0)
			fail_msg("case %zu: paths \"%s\", want \"%s\" in %s", i, paths,
			    cases[i].paths, r.body);
		reply_free(&r);
	}
	/* Signed in as a merchant or an agent: not theirs to do. */
	char jwt[2048], auth[2100];
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", jwt);
	const char *hs[] = { auth, NULL };
	struct reply r = request_full("POST", "/api/platform/onboard-merchant",
	    ONBOARD_BODY("m@y.example", "m-shop"), strlen(ONBOARD_BODY("m@y.example",
	    "m-shop")), hs);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	count_rows(after);
	assert_memory_equal(after, before, sizeof(before));
}

/* The pricing page leads to the sign-up form; the form keeps what was
 * typed and shows each error beside its field, in the page's language;
 * once right, the owner is signed in and follows the deployment to its
 * shop's address; nobody else sees that page. */
static void
signup_form_should_show_errors_beside_fields_then_follow_the_deployment(void **state)
{
	char csrf[48], cookie[160], form[1024], want[256];
	(void)state;
	struct reply r = anonymous("GET", "/marketplace/plans.html", NULL, NULL);
	assert_non_null(strstr(r.body,
	    "<a class=\"start\" href=\"/marketplace/signup.html?plan=business\">"));
	reply_free(&r);
	r = anonymous("GET", "/marketplace/signup.html?plan=business&lang=fr", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<h1>Ouvrez votre boutique</h1>"));
	const char *sel = strstr(r.body, " selected>Business (79,00 €)</option>");
	assert_non_null(sel);
	/* The plan's value, as a browser sends it: <option value="..." selected> */
	char plan[32];
	assert_true(sel - r.body > 32 && strncmp(sel - 32, "value=\"", 7) == 0);
	snprintf(plan, sizeof(plan), "%.24s", sel - 25);
	assert_non_null(strcasestr(r.headers, "set-cookie: mp_csrf="));
	reply_free(&r);
	auth_random_token(csrf);
	snprintf(cookie, sizeof(cookie), "Cookie: mp_csrf=%s", csrf);
	const char *hs[] = { "Content-Type: application/x-www-form-urlencoded", cookie,
	    NULL };
	/* Wrong: the e-mail, the country, a taken address. */
	snprintf(form, sizeof(form), "_csrf=%s&owner_name=Jo&email=jo-at-example&"
	    "password=correct-horse-battery&shop_name=Chez+Jo&subdomain=boutique-clara&"
	    "country=zz&plan=%s", csrf, plan);
	r = anonymous("POST", "/marketplace/signup?lang=fr", form, hs);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "<p class=\"field-error\" id=\"email-error\">"
	    "Saisissez une adresse e-mail valide.</p>"));
	assert_non_null(strstr(r.body, "<p class=\"field-error\" id=\"subdomain-error\">"
	    "Cette adresse est prise : choisissez-en une autre.</p>"));
	assert_non_null(strstr(r.body, "<p class=\"field-error\" id=\"country-error\">"));
	assert_non_null(strstr(r.body, "value=\"Chez Jo\""));
	assert_null(strstr(r.body, "correct-horse-battery"));
	assert_null(strstr(r.body, "id=\"shop_name-error\""));
	reply_free(&r);
	/* Without the form's token: refused, nothing created. */
	r = anonymous("POST", "/marketplace/signup", "owner_name=Jo", hs);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	/* Right. */
	snprintf(form, sizeof(form), "_csrf=%s&owner_name=Jo&email=jo%%40example.com&"
	    "password=correct-horse-battery&shop_name=Chez+Jo&subdomain=chez-jo&"
	    "country=fr&plan=%s", csrf, plan);
	r = anonymous("POST", "/marketplace/signup", form, hs);
	assert_int_equal(r.status, 303);
	const char *loc = strcasestr(r.headers, "location: /marketplace/backends/");
	assert_non_null(loc);
	char page[128], session[200];
	snprintf(page, sizeof(page), "%.*s", (int)strcspn(loc + 10, "\r\n"), loc + 10);
	const char *sc = strcasestr(r.headers, "set-cookie: mp_session=");
	assert_non_null(sc);
	snprintf(session, sizeof(session), "Cookie: %.*s", (int)strcspn(sc + 12, ";\r\n"),
	    sc + 12);
	reply_free(&r);
	const char *mine[] = { session, NULL };
	snprintf(want, sizeof(want), "<a id=\"shop-url\" href=\"https://chez-jo."
	    "shops.localhost:%d/\">", S.https_port);
	int live = 0;
	for (int i = 0; i < 300 && !live; i++) {
		r = anonymous("GET", page, NULL, mine);
		assert_int_equal(r.status, 200);
		live = strstr(r.body, want) != NULL;
		if (!live) {
			/* Still going: the page asks to be refreshed. */
			assert_non_null(strstr(r.body, "data-state="));
			usleep(100000);
		} else
			assert_non_null(strstr(r.body, "<td>Reload nginx</td><td>done</td>"));
		reply_free(&r);
	}
	assert_true(live);
	assert_true(await_shop("chez-jo", 1));
	/* Another merchant does not see it. */
	char jwt[2048], auth[2100];
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", jwt);
	const char *other[] = { auth, NULL };
	r = anonymous("GET", page, NULL, other);
	assert_int_equal(r.status, 404);
	reply_free(&r);
}

/* A shop placed on TCP (host:port) listens there instead of a unix
 * socket, and its server block points there: the layout where shops run
 * on other machines. Placements that are not a host and a port, or are
 * taken, are refused before anything is written. */
static void
backend_should_listen_on_tcp_where_placed(void **state)
{
	char body[256], place[64], path[512], want[128];
	(void)state;
	int port = free_port();
	assert_true(port > 0);
	snprintf(place, sizeof(place), "127.0.0.1:%d", port);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":"
	    "\"tcp-shop\",\"placement\":\"%s\"}}", (long long)clara, place);
	struct reply r = request("POST", "/api/merchant-backends", body);
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	assert_string_equal(str_at(o, "data", "placement"), place);
	cJSON_Delete(o);
	reply_free(&r);
	assert_steps(id, DEPLOYED);
	assert_true(await_shop("tcp-shop", 1));
	char *conf = stack_file("shops/tcp-shop.map");
	snprintf(want, sizeof(want), "\ntcp-shop.shops.localhost %s;\n", place);
	assert_non_null(strstr(conf, want));
	free(conf);
	snprintf(path, sizeof(path), "%s/merchants/tcp-shop/shop.sock", S.var);
	assert_int_equal(access(path, F_OK), -1);
	/* Refused: not a place, or taken. */
	static const char *const bad[] = { "local;x", "10.0.0.1:80", "a b:2000",
	    "h:99999", "x..y:2000", "-h:2000", ":2000", "host", "h:20x0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 1; i++) {
		snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":"
		    "\"tcp-bad-%zu\",\"placement\":\"%s\"}}", (long long)clara, i,
		    i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : place);
		r = request("POST", "/api/merchant-backends", body);
		if (r.status != 400 || strstr(r.body, "\"path\":[\"placement\"]") == NULL)
			fail_msg("placement %zu: %ld %s", i, r.status, r.body);
		reply_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_shop_should_be_deployed_with_its_products),
		cmocka_unit_test(backend_should_deploy_on_its_subdomain_and_sell),
		cmocka_unit_test(deployment_should_roll_back_an_unhealthy_shop),
		cmocka_unit_test(deployment_should_roll_back_when_nginx_refuses),
		cmocka_unit_test(subdomains_should_be_dns_labels_before_anything_is_written),
		cmocka_unit_test(killed_pool_should_be_started_again),
		cmocka_unit_test(monitor_should_see_a_hung_shop_down_and_restart_it),
		cmocka_unit_test(backend_should_stop_start_and_undeploy),
		cmocka_unit_test(backend_should_listen_on_tcp_where_placed),
		cmocka_unit_test(onboarding_should_create_everything_and_deploy),
		cmocka_unit_test(onboarding_should_name_every_bad_field_and_write_nothing),
		cmocka_unit_test(
		    signup_form_should_show_errors_beside_fields_then_follow_the_deployment),
		cmocka_unit_test(
		    merchant_dashboard_should_show_its_shop_figures_or_say_they_are_unavailable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
