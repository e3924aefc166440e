/*
 * Integration harness: starts the real stack (deploy/stack.sh: nginx +
 * the platform pool + a fresh SQLite file) on free loopback ports in a
 * temporary directory, and speaks HTTPS to it with libcurl, checking the
 * server's certificate against the one the stack generated.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "auth.h"

struct stack {
	char	 var[256];
	int	 https_port, http_port;
	char	 base[64];
	char	 cafile[320];
};

struct reply {
	long	 status;
	char	*body;
	size_t	 len;
	char	*headers;
	size_t	 hlen;
};

static struct stack S;

/* CURLOPT_SSLVERSION for the next request_full() (0: libcurl's default). */
static long harness_sslversion;
/* The source address of the next requests (CURLOPT_INTERFACE, e.g.
 * "host!127.0.0.2"), or "": the kernel's choice (127.0.0.1). */
static char harness_interface[64];
/* An "Authorization: ..." line sent with every request when set. */
static char harness_auth[2200];

#define HARNESS_UNUSED __attribute__((unused))

/* A loopback port nothing uses, below the kernel's ephemeral range (32768
 * and up) so that no outgoing connection takes it before nginx binds it. */
static int
free_port(void)
{
	static unsigned seed;
	if (seed == 0)
		seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	for (int tries = 0; tries < 200; tries++) {
		seed = seed * 1103515245u + 12345u;
		int port = 20000 + (int)((seed >> 8) % 12000);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	return -1;
}

/* Runs deploy/stack.sh with the stack's environment; returns its status. */
static int
stack_cmd(const char *what, const char *extra_env)
{
	char cmd[2048];
	/* Tests sign in often from one address: a high nginx sign-in rate
	 * unless the caller sets its own (the rate-limit test does). */
	snprintf(cmd, sizeof(cmd), "PLATFORM_VAR=%s HTTPS_PORT=%d HTTP_PORT=%d "
	    "PLATFORM_WORKERS=%s PLATFORM_LOGIN_RATE=600 %s sh deploy/stack.sh %s "
	    ">>%s/stack.out 2>&1",
	    S.var, S.https_port, S.http_port,
	    getenv("TEST_WORKERS") ? getenv("TEST_WORKERS") : "3",
	    extra_env ? extra_env : "", what, S.var);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int
stack_start(const char *extra_env)
{
	snprintf(S.var, sizeof(S.var), "/tmp/itest-%d-XXXXXX", (int)getpid());
	if (mkdtemp(S.var) == NULL)
		return -1;
	chmod(S.var, 0755);
	S.https_port = free_port();
	do
		S.http_port = free_port();
	while (S.http_port == S.https_port);
	snprintf(S.base, sizeof(S.base), "https://localhost:%d", S.https_port);
	snprintf(S.cafile, sizeof(S.cafile), "%s/tls/cert.pem", S.var);
	if (stack_cmd("start", extra_env) != 0) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "cat %s/stack.out %s/log/*.log >&2", S.var, S.var);
		if (system(cmd) != 0)
			fprintf(stderr, "stack did not start\n");
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int
stack_stop(void)
{
	int rc = stack_cmd("stop", NULL);
	/* A sanitizer report from any worker fails the run. */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "! grep -sE 'AddressSanitizer|LeakSanitizer|"
	    "runtime error:' %s/log/platform.log %s/log/worker.log "
	    "%s/merchants/*/shop.log >&2", S.var, S.var, S.var);
	if (system(cmd) != 0) {
		fprintf(stderr, "sanitizer reports in %s/log\n", S.var);
		rc = -1;
	}
	if (getenv("KEEP_VAR") == NULL && rc == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", S.var);
		if (system(cmd) != 0)
			rc = -1;
	}
	curl_global_cleanup();
	return rc;
}

/* Reads a pid file of the stack; -1 if absent. */
static HARNESS_UNUSED pid_t
stack_pid(const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/run/%s.pid", S.var, name);
	FILE *f = fopen(path, "r");
	int pid = -1;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

/* Lists the children of pid into out (at most max); returns the count. */
static HARNESS_UNUSED int
children_of(pid_t pid, pid_t *out, int max)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	int n = 0, c;
	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%d", &c) == 1)
		out[n++] = c;
	fclose(f);
	return n;
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	struct reply *r = arg;
	r->body = realloc(r->body, r->len + sz * n + 1);
	memcpy(r->body + r->len, p, sz * n);
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
collect_header(char *p, size_t sz, size_t n, void *arg)
{
	struct reply *r = arg;
	r->headers = realloc(r->headers, r->hlen + sz * n + 1);
	memcpy(r->headers + r->hlen, p, sz * n);
	r->hlen += sz * n;
	r->headers[r->hlen] = '\0';
	return sz * n;
}

/* One request. headers: NULL-terminated "Name: value" lines, or NULL.
 * url is a path on the HTTPS base, or a full URL. */
static struct reply request_once(const char *method, const char *url, const char *body,
    size_t body_len, const char *const *headers);

/* A request to the stack. One that got no answer at all because an nginx
 * reload closed its connection under it (the worker reloads nginx whenever
 * it deploys a shop) is sent again, as browsers do: an idempotent one
 * whatever the error, any other only when nothing can have been served
 * (refused, or an HTTP/2 GOAWAY before any stream). */
static HARNESS_UNUSED struct reply
request_full(const char *method, const char *url, const char *body,
    size_t body_len, const char *const *headers)
{
	int idempotent = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
	struct reply r = request_once(method, url, body, body_len, headers);
	for (int i = 0; i < 3 && r.status < 0 && (idempotent ||
	    r.status == -(long)CURLE_COULDNT_CONNECT || r.status == -(long)CURLE_HTTP2);
	    i++) {
		free(r.body);
		free(r.headers);
		usleep(50000);
		r = request_once(method, url, body, body_len, headers);
	}
	return r;
}

static struct reply
request_once(const char *method, const char *url, const char *body,
    size_t body_len, const char *const *headers)
{
	struct reply r = { 0 };
	/* Long enough for a query of hundreds of values. */
	size_t size = strlen(S.base) + strlen(url) + 1;
	char *full = malloc(size);
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	if (strncmp(url, "http", 4) == 0)
		snprintf(full, size, "%s", url);
	else
		snprintf(full, size, "%s%s", S.base, url);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CAINFO, S.cafile);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (harness_sslversion)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, harness_sslversion);
	if (harness_interface[0])
		curl_easy_setopt(c, CURLOPT_INTERFACE, harness_interface);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	int has_type = 0;
	for (const char *const *p = headers; p && *p; p++)
		has_type |= strncasecmp(*p, "Content-Type:", 13) == 0;
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		if (!has_type)
			h = curl_slist_append(h, "Content-Type: application/json");
		h = curl_slist_append(h, "Expect:");
	}
	int has_auth = 0;
	for (const char *const *p = headers; p && *p; p++) {
		h = curl_slist_append(h, *p);
		has_auth |= strncasecmp(*p, "Authorization:", 14) == 0 ||
		    strncasecmp(*p, "Cookie:", 7) == 0;
	}
	if (harness_auth[0] && !has_auth)
		h = curl_slist_append(h, harness_auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	else
		r.status = -(long)rc;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(full);
	if (r.body == NULL)
		r.body = strdup("");
	if (r.headers == NULL)
		r.headers = strdup("");
	return r;
}

static HARNESS_UNUSED struct reply
request(const char *method, const char *url, const char *body)
{
	return request_full(method, url, body, body ? strlen(body) : 0, NULL);
}

static HARNESS_UNUSED void
reply_free(struct reply *r)
{
	free(r->body);
	free(r->headers);
}

/* The whole of file rel of the stack's directory ("" when it cannot be
 * read; caller frees). */
static HARNESS_UNUSED char *
stack_file(const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", S.var, rel);
	FILE *f = fopen(path, "r");
	char *b = calloc(1, 65536);
	if (f) {
		size_t n = fread(b, 1, 65535, f);
		b[n] = '\0';
		fclose(f);
	}
	return b;
}

/* Signs in through POST /api/auth/local; writes the JWT into jwt (2048
 * bytes). Returns the HTTP status. */
static HARNESS_UNUSED long
stack_login(const char *email, const char *password, char *jwt)
{
	char body[512];
	char saved[sizeof(harness_auth)];
	snprintf(body, sizeof(body), "{\"identifier\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	memcpy(saved, harness_auth, sizeof(saved));
	harness_auth[0] = '\0';
	struct reply r = request_full("POST", "/api/auth/local", body, strlen(body), NULL);
	memcpy(harness_auth, saved, sizeof(saved));
	jwt[0] = '\0';
	cJSON *o = cJSON_Parse(r.body);
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(o, "jwt"));
	if (t)
		snprintf(jwt, 2048, "%s", t);
	cJSON_Delete(o);
	long st = r.status;
	reply_free(&r);
	return st;
}

/* Signs in through the browser form; writes "Cookie: mp_session=..." into
 * cookie. Returns the HTTP status of the form's answer. */
static HARNESS_UNUSED long
stack_browser_login(const char *email, const char *password, char *cookie, size_t n)
{
	char form[300], csrf[64];
	auth_random_token(csrf);
	char ch[120];
	snprintf(ch, sizeof(ch), "Cookie: mp_csrf=%s", csrf);
	const char *hs[] = { "Content-Type: application/x-www-form-urlencoded", ch,
	    NULL };
	snprintf(form, sizeof(form), "identifier=%s&password=%s&_csrf=%s", email,
	    password, csrf);
	struct reply r = request_full("POST", "/marketplace/login", form, strlen(form), hs);
	const char *p = strcasestr(r.headers, "set-cookie: mp_session=");
	cookie[0] = '\0';
	if (p)
		snprintf(cookie, n, "Cookie: %.*s", (int)strcspn(p + 12, ";\r\n"), p + 12);
	long st = r.status;
	reply_free(&r);
	return st;
}

/* The first form's CSRF token of a page (its _csrf field) into out (64
 * bytes); "" when it has none. */
static HARNESS_UNUSED void
stack_form_token(const char *html, char *out)
{
	static const char field[] = "name=\"_csrf\" value=\"";
	const char *p = strstr(html, field);
	out[0] = '\0';
	if (p) {
		p += sizeof(field) - 1;
		snprintf(out, 64, "%.*s", (int)strcspn(p, "\""), p);
	}
}

/* The first column of the first row sql answers, read straight from the
 * stack's database db (a test's own connection), or -1. */
static HARNESS_UNUSED int64_t
stack_db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Sends every following request as the demo admin. */
static HARNESS_UNUSED int
stack_as_admin(void)
{
	char jwt[2048];
	if (stack_login("admin@example.com", "demo-password", jwt) != 200)
		return -1;
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	return 0;
}

/* Asserts status and exact body. */
#define assert_reply(r, st, bod) do { \
	if ((r).status != (st) || strcmp((r).body, (bod)) != 0) \
		fail_msg("got %ld %s\nwant %d %s", (r).status, (r).body, (st), (bod)); \
} while (0)

/* Asserts status and that the body contains a fragment. */
#define assert_reply_has(r, st, frag) do { \
	if ((r).status != (st) || strstr((r).body, (frag)) == NULL) \
		fail_msg("got %ld %s\nwant %d with %s", (r).status, (r).body, (st), (frag)); \
} while (0)

#endif
