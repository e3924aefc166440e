/* nginx configuration from one source (deploy/nginx.sh over the templates
 * of nginx/): the development and the production files both come out of
 * it, both pass `nginx -t`, and the errors nginx answers itself are the
 * core's. */
#include "unit.h"
#include "json.h"

#include <sys/stat.h>
#include <sys/wait.h>

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/nginx-test-%d-XXXXXX", (int)getpid());
	if (mkdtemp(dir) == NULL)
		return -1;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p log nginx run && openssl req -x509 "
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=t "
	    "-keyout key.pem -out cert.pem >/dev/null 2>&1", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

#define COMMON "NGINX_SHARE=$PWD NGINX_SOCKET=%s/run/p.sock NGINX_CERT=%s/cert.pem " \
	"NGINX_KEY=%s/key.pem NGINX_ACCESS_LOG=%s/log/access.log NGINX_MAX_BODY=4242 " \
	"NGINX_LOGIN_RATE=7 NGINX_SHOPS_DOMAIN=shops.example.com "

static void
nginx_should_render_development_and_production_from_one_source(void **state)
{
	char cmd[2048], out[8192], path[256];
	(void)state;
	snprintf(cmd, sizeof(cmd), "env " COMMON "NGINX_LISTEN_HTTP=127.0.0.1:1 "
	    "NGINX_LISTEN_HTTPS=127.0.0.1:2 NGINX_SERVER_NAME=localhost NGINX_HTTPS_NAME=_ "
	    "NGINX_REDIRECT_PORT=:2 NGINX_VAR=%s NGINX_WORKERS=1 NGINX_USER_LINE= "
	    "NGINX_EXTRA= NGINX_SHOPS=%s/shops sh deploy/nginx.sh dev > %s/dev.conf 2>&1 && "
	    "nginx -q -t -p %s/ -e %s/log/e.log -c %s/dev.conf 2>&1", dir, dir, dir, dir,
	    dir, dir, dir, dir, dir, dir);
	if (unit_run(cmd, out, sizeof(out)) != 0)
		fail_msg("development: %s", out);
	snprintf(cmd, sizeof(cmd), "env " COMMON "NGINX_LISTEN_HTTP='80 [::]:80' "
	    "NGINX_LISTEN_HTTPS='443 [::]:443' NGINX_SERVER_NAME=shop.example.com "
	    "NGINX_HTTPS_NAME=shop.example.com NGINX_REDIRECT_PORT= NGINX_SHOPS=%s/shops "
	    "sh deploy/nginx.sh site > %s/site.conf 2>&1 && printf 'pid %s/run/n.pid;\\nevents {}\\nhttp {\\n"
	    "include %%s/nginx/mime.types;\\ninclude %s/site.conf;\\n}\\n' \"$PWD\" > "
	    "%s/main.conf && nginx -q -t -p %s/ -e %s/log/e.log -c %s/main.conf 2>&1",
	    dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	if (unit_run(cmd, out, sizeof(out)) != 0)
		fail_msg("production: %s", out);
	/* Both carry what the one source says: the request id in the log, the
	 * body limit, the errors and TLS fragments, the sign-in limit. */
	const char *files[] = { "dev.conf", "site.conf" };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		char *c = slurp(path);
		assert_non_null(strstr(c, "log_format marketplace '$time_iso8601 $request_id "));
		assert_non_null(strstr(c, "client_max_body_size 4242;"));
		assert_non_null(strstr(c, "/nginx/errors.conf;"));
		assert_non_null(strstr(c, "/nginx/tls.conf;"));
		assert_non_null(strstr(c, "rate=7r/m;"));
		assert_non_null(strstr(c, "limit_req zone=marketplace_login burst=6 nodelay;"));
		assert_null(strstr(c, "@"));
		/* One server for every shop, each a line of its map, and a 404 for
		 * the names no shop has. */
		char inc[300];
		snprintf(inc, sizeof(inc), "include %s/shops/*.map;", dir);
		assert_non_null(strstr(c, inc));
		assert_non_null(strstr(c, "server_name *.shops.example.com;"));
		assert_non_null(strstr(c, "\"message\":\"No shop at this address\""));
		free(c);
	}
	snprintf(path, sizeof(path), "%s/site.conf", dir);
	char *site = slurp(path);
	assert_non_null(strstr(site, "\tlisten 443 ssl http2;\n\tlisten [::]:443 ssl http2;\n"));
	assert_non_null(strstr(site, "return 301 https://$server_name$request_uri;"));
	free(site);
}

static void
nginx_should_refuse_a_bad_value_naming_it(void **state)
{
	char cmd[2048], out[4096];
	(void)state;
	snprintf(cmd, sizeof(cmd), "env " COMMON "NGINX_LISTEN_HTTP=80 NGINX_LISTEN_HTTPS=443 "
	    "NGINX_SERVER_NAME='evil.com; include /etc/passwd' NGINX_HTTPS_NAME=_ "
	    "NGINX_REDIRECT_PORT= sh deploy/nginx.sh site 2>&1 >/dev/null", dir, dir, dir,
	    dir);
	assert_int_equal(unit_run(cmd, out, sizeof(out)), 1);
	assert_string_equal(out, "nginx.sh: NGINX_SERVER_NAME=\"evil.com; include "
	    "/etc/passwd\": a host name (a-z 0-9 . -)\n");
}

/* The bodies nginx answers with are the core's own envelope for the same
 * error, and they are written in one file only. */
static void
nginx_errors_should_be_the_core_errors_written_once(void **state)
{
	static const struct { enum err e; const char *pfx; } errs[] = {
		{ ERR_TOO_LARGE, "return 413 '" },
		{ ERR_URI_TOO_LONG, "return 414 '" },
		{ ERR_RATE_LIMIT, "return 429 '" },
		{ ERR_UNAVAILABLE, "return 503 '" },
	};
	char out[4096];
	(void)state;
	char *conf = slurp("nginx/errors.conf");
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct response r;
		resp_init(&r);
		json_send_error(&r, errs[i].e, NULL, NULL);
		const char *at = strstr(conf, errs[i].pfx);
		assert_non_null(at);
		at += strlen(errs[i].pfx);
		const char *end = strchr(at, '\'');
		assert_non_null(end);
		char *body = strndup(at, (size_t)(end - at));
		assert_string_equal(body, buf_str(&r.body));
		free(body);
		resp_free(&r);
	}
	free(conf);
	assert_int_equal(unit_run("grep -rl 'PayloadTooLargeError\\|URITooLongError\\|RateLimitError\\|"
	    "ServiceUnavailableError' nginx deploy fcgi", out, sizeof(out)), 0);
	assert_string_equal(out, "nginx/errors.conf\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nginx_should_render_development_and_production_from_one_source),
		cmocka_unit_test(nginx_should_refuse_a_bad_value_naming_it),
		cmocka_unit_test(nginx_errors_should_be_the_core_errors_written_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
