/*
 * Shops under systemd (PLATFORM_SHOPS_SYSTEMD=1), the production mode: the
 * worker writes each shop's unit environment and runs systemctl start,
 * reload, stop on marketplace-shop@<subdomain>.service and reload on
 * nginx.service. The machine has no running systemd, so systemctl is
 * test/integration/fake-systemctl, which does what the unit says; the
 * units themselves pass systemd-analyze verify.
 */
#include "harness.h"

#include <cjson/cJSON.h>

static char fake[PATH_MAX];

static int
setup(void **state)
{
	char env[PATH_MAX + 128];
	(void)state;
	if (realpath("test/integration/fake-systemctl", fake) == NULL)
		return -1;
	snprintf(env, sizeof(env), "PLATFORM_SHOPS_SYSTEMD=1 PLATFORM_SYSTEMCTL=%s "
	    "PLATFORM_PROBE_INTERVAL_S=3600", fake);
	if (stack_start(env) != 0 || stack_as_admin() != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* Waits (30 s at most) for backend id's latest deployment to end; returns
 * its steps as "step:outcome ..." in out. */
static void
await_steps(int64_t id, char *out, size_t n)
{
	char url[128];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/deployment-status",
	    (long long)id);
	out[0] = '\0';
	for (int i = 0; i < 300; i++) {
		struct reply r = request("GET", url, NULL);
		cJSON *o = cJSON_Parse(r.body);
		reply_free(&r);
		const cJSON *latest = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
		    "latest");
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(latest, "status"));
		if (st && strcmp(st, "failed") == 0)
			fprintf(stderr, "deployment failed: %s\n", cJSON_GetStringValue(
			    cJSON_GetObjectItem(latest, "message")));
		if (st && (strcmp(st, "succeeded") == 0 || strcmp(st, "failed") == 0)) {
			const cJSON *s;
			size_t w = 0;
			cJSON_ArrayForEach(s, cJSON_GetObjectItem(latest, "steps"))
				w += (size_t)snprintf(out + w, w < n ? n - w : 0, "%s%s:%s",
				    w ? " " : "", cJSON_GetStringValue(cJSON_GetObjectItem(s,
				    "step")), cJSON_GetStringValue(cJSON_GetObjectItem(s,
				    "outcome")));
			cJSON_Delete(o);
			return;
		}
		cJSON_Delete(o);
		usleep(100000);
	}
}

/* A shop's storefront through nginx, as a shopper's browser asks it. */
static struct reply
storefront(const char *sub)
{
	char url[256];
	snprintf(url, sizeof(url), "https://%s.shops.localhost:%d/", sub, S.https_port);
	struct reply r = { 0 };
	CURL *c = curl_easy_init();
	char resolve[256];
	snprintf(resolve, sizeof(resolve), "%s.shops.localhost:%d:127.0.0.1", sub,
	    S.https_port);
	struct curl_slist *res = curl_slist_append(NULL, resolve);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_CAINFO, S.cafile);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(res);
	curl_easy_cleanup(c);
	if (r.body == NULL)
		r.body = strdup("");
	r.headers = strdup("");
	return r;
}

/* A shop is started, restarted gracefully and stopped through its unit;
 * its name, whatever characters it holds, reaches the shop intact. */
static void
shops_should_run_as_systemd_units(void **state)
{
	char body[512], steps[512], want[1024];
	(void)state;
	struct reply r = request("POST", "/api/merchants", "{\"data\":{\"name\":"
	    "\"Chez \\\"Jo\\\" $HOME `id` \\\\ 100%\",\"slug\":\"chez-jo\",\"email\":"
	    "\"jo@example.com\",\"country\":\"FR\"}}");
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	long long merchant = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":"
	    "\"chez-jo\"}}", merchant);
	r = request("POST", "/api/merchant-backends", body);
	assert_int_equal(r.status, 201);
	o = cJSON_Parse(r.body);
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	await_steps(id, steps, sizeof(steps));
	assert_string_equal(steps, "prepare:ok render:ok nginx-test:ok start-pool:ok "
	    "health:ok reload-nginx:ok");
	/* The unit's environment, as systemd reads it. */
	char *env = stack_file("merchants/chez-jo/pool.env");
	snprintf(want, sizeof(want), "SHOP_NAME=\"Chez \\\"Jo\\\" \\$HOME \\`id\\` "
	    "\\\\ 100%%\"\n");
	assert_non_null(strstr(env, want));
	snprintf(want, sizeof(want), "SHOP_POOL_ARGS=\"--socket %s/merchants/chez-jo/"
	    "shop.sock --workers 2 --pidfile %s/merchants/chez-jo/pool.pid --group "
	    "nogroup\"\n", S.var, S.var);
	if (getuid() != 0)	/* the group is given only when run as root */
		snprintf(want, sizeof(want), "SHOP_POOL_ARGS=\"--socket %s/merchants/"
		    "chez-jo/shop.sock --workers 2 --pidfile %s/merchants/chez-jo/"
		    "pool.pid\"\n", S.var, S.var);
	assert_non_null(strstr(env, want));
	free(env);
	char *seen = stack_file("merchants/chez-jo/unit-env");
	assert_string_equal(seen, "SHOP_NAME=Chez \"Jo\" $HOME `id` \\ 100%\n");
	free(seen);
	/* nginx takes the new block once its reload is through. */
	r = storefront("chez-jo");
	for (int i = 0; i < 100 && r.status != 200; i++) {
		reply_free(&r);
		usleep(100000);
		r = storefront("chez-jo");
	}
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "Chez &quot;Jo&quot; $HOME `id` \\ 100%"));
	reply_free(&r);
	/* Restart: the unit reloads (no request refused); stop: it stops. */
	char url[128];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/restart", (long long)id);
	r = request("POST", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	await_steps(id, steps, sizeof(steps));
	assert_string_equal(steps, "reload-pool:ok health:ok");
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/stop", (long long)id);
	r = request("POST", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	await_steps(id, steps, sizeof(steps));
	assert_string_equal(steps, "remove-server-block:ok reload-nginx:ok stop-pool:ok");
	char *log = stack_file("systemctl.log");
	assert_non_null(strstr(log, "start marketplace-shop@boutique-clara.service\n"));
	assert_non_null(strstr(log, "is-active marketplace-shop@chez-jo.service\n"
	    "start marketplace-shop@chez-jo.service\nreload nginx.service\n"
	    "is-active marketplace-shop@chez-jo.service\n"
	    "reload marketplace-shop@chez-jo.service\n"
	    "reload nginx.service\nstop marketplace-shop@chez-jo.service\n"));
	free(log);
	r = storefront("chez-jo");
	for (int i = 0; i < 100 && r.status != 404; i++) {
		reply_free(&r);
		usleep(100000);
		r = storefront("chez-jo");
	}
	assert_int_equal(r.status, 404);
	reply_free(&r);
}

/* The units of deploy/systemd, as systemd reads them, with no complaint:
 * verified with the programs where this build put them. */
static void
units_should_pass_systemd_analyze_verify(void **state)
{
	char dir[] = "/tmp/units-XXXXXX", cmd[2 * PATH_MAX + 512], bin[PATH_MAX], out[4096];
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(realpath(getenv("BUILD") ? getenv("BUILD") : "build/rel", bin));
	snprintf(cmd, sizeof(cmd), "for u in deploy/systemd/*.service "
	    "deploy/systemd/*.target; do sed 's|/opt/marketplace/bin|%s/bin|g; "
	    "s|=marketplace$|=root|' \"$u\" > %s/$(basename \"$u\"); done && "
	    "cd %s && systemd-analyze verify marketplace-shop@demo.service "
	    "marketplace-shops.target marketplace-platform.service "
	    "marketplace-worker.service 2>&1; echo \"rc=$?\"", bin, dir, dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_string_equal(out, "rc=0\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(units_should_pass_systemd_analyze_verify),
		cmocka_unit_test(shops_should_run_as_systemd_units),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
