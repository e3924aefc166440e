/*
 * Shared by the libFuzzer targets (`make fuzz`; `make test` runs each a few
 * seconds on its corpus): the platform application over a database of the
 * demo data, made once per process, callers' credentials, and the checks
 * every answer must pass. A broken check aborts: libFuzzer keeps the input.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "clock.h"
#include "demo.h"
#include "jwt.h"
#include "platform.h"

static struct app *fuzz_app;
static char fuzz_admin[JWT_MAX_LEN + 16], fuzz_merchant[JWT_MAX_LEN + 16];
static char fuzz_dir[64];

static void
fuzz_cleanup(void)
{
	char cmd[128];
	app_close(fuzz_app);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fuzz_dir);
	if (fuzz_dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

/* "Bearer <JWT>" of the demo user with this e-mail. */
static void
fuzz_bearer(const char *email, char *out, size_t n)
{
	struct jwt_subject who = { 0 };
	char jwt[JWT_MAX_LEN];
	sqlite3_stmt *st = db_prepare(app_db(fuzz_app), "SELECT id, document_id, "
	    "credentials_version FROM users WHERE email = ?");
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		abort();
	who.user_id = sqlite3_column_int64(st, 0);
	snprintf(who.doc, sizeof(who.doc), "%s", sqlite3_column_text(st, 1));
	who.version = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	jwt_sign(config()->jwt.bytes, config()->jwt.len, &who, clock_now_ms() / 1000,
	    3600, jwt);
	snprintf(out, n, "Bearer %s", jwt);
}

/* The application over a fresh database with the demo data. */
static void
fuzz_open(void)
{
	char path[128], why[300];
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/fuzz-%d-XXXXXX", (int)getpid());
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/jwt.key", fuzz_dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs("66757a7a2d6b65792d66757a7a2d6b65792d66757a7a2d6b65792d66757a7a21\n", f);
	fclose(f);
	setenv("PLATFORM_JWT_SECRET_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/platform.db", fuzz_dir);
	setenv("PLATFORM_DB", path, 1);
	setenv("PLATFORM_VAR", fuzz_dir, 1);
	setenv("PLATFORM_TEMPLATES", "templates", 1);
	setenv("PLATFORM_MAX_BODY", "65536", 1);
	setenv("STRIPE_WEBHOOK_SECRET", "whsec_fuzz", 1);
	if (config_load(why, sizeof(why)) != 0 || app_open(&platform_app, &fuzz_app) != ERR_OK ||
	    demo_seed(app_db(fuzz_app)) != ERR_OK) {
		fprintf(stderr, "fuzz: cannot open the platform: %s\n", why);
		abort();
	}
	atexit(fuzz_cleanup);
	fuzz_bearer("admin@example.com", fuzz_admin, sizeof(fuzz_admin));
	fuzz_bearer("clara@example.com", fuzz_merchant, sizeof(fuzz_merchant));
}

/* libFuzzer's start of every target over the application (those that
 * include this file): the application opened once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_open();
	return 0;
}

/* Serves one request and checks its answer: never a 5xx, and always the
 * API's envelope ({"data": ...} or {"data": null, "error": {...}} with the
 * status), whatever came in. */
static void
fuzz_serve(enum http_method m, const char *path, const char *query,
    const char *const *headers, const char *body, size_t len)
{
	struct request req;
	struct response resp;
	memset(&req, 0, sizeof(req));
	resp_init(&resp);
	req.method = m;
	req.path = arena_strdup(&req.arena, path);
	req.query = arena_strdup(&req.arena, query ? query : "");
	req.request_id = "fuzz";
	req.remote_addr = "192.0.2.1";
	for (int i = 0; headers && headers[i]; i += 2)
		http_add_header(&req, headers[i], headers[i + 1]);
	req.body = arena_strndup(&req.arena, body ? body : "", len);
	req.body_len = len;
	app_handle(fuzz_app, &req, &resp);
	if (resp.status >= 500 || resp.status < 200) {
		fprintf(stderr, "fuzz: %s?%s answered %d: %.300s\n", path, query ? query : "",
		    resp.status, buf_str(&resp.body));
		abort();
	}
	if (resp.content_type && strncmp(resp.content_type, "application/json", 16) == 0) {
		cJSON *o = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
		if (o == NULL || !cJSON_HasObjectItem(o, "data") || (resp.status >= 400 &&
		    cJSON_GetNumberValue(cJSON_GetObjectItem(err, "status")) != resp.status)) {
			fprintf(stderr, "fuzz: not the API's envelope: %.300s\n",
			    buf_str(&resp.body));
			abort();
		}
		cJSON_Delete(o);
	}
	resp_free(&resp);
	arena_free(&req.arena);
}

/* A NUL-terminated copy of the fuzzer's bytes (caller frees). */
static __attribute__((unused)) char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
