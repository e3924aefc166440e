/* Shared includes and helpers of the cmocka unit tests. */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "mem.h"
#include "http.h"
#include "app.h"
#include "plans.h"
#include "clock.h"
#include "demo.h"
#include "jwt.h"
#include "platform.h"

/* Builds a GET request for path?query in a fresh arena. */
static inline void
unit_request(struct request *r, enum http_method m, const char *path,
    const char *query)
{
	memset(r, 0, sizeof(*r));
	r->method = m;
	r->path = arena_strdup(&r->arena, path);
	r->query = arena_strdup(&r->arena, query ? query : "");
	r->request_id = "test";
}

/* A fresh temporary file name for a database; caller unlinks. */
static inline void
unit_tmpdb(char *out, size_t n)
{
	snprintf(out, n, "/tmp/unit-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(out);
	if (fd >= 0)
		close(fd);
	unlink(out);
}

static inline void
unit_rmdb(const char *path)
{
	char p[512];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* Opens an application over a fresh database file with the demo plans;
 * the path is written to dbpath. Returns 0 or -1. */
static inline int
unit_app_open(char *dbpath, size_t n, size_t max_body, struct app **out)
{
	struct config cfg = { 0 };
	unit_tmpdb(dbpath, n);
	cfg.db_path = dbpath;
	cfg.template_dir = "templates";
	cfg.font_dir = "/usr/share/fonts/truetype/dejavu";
	cfg.max_body = max_body;
	memcpy(cfg.jwt_key, "unit-test-key-unit-test-key-unit", 32);
	cfg.jwt_keylen = 32;
	cfg.jwt_ttl = 3600;
	if (app_open(&cfg, &platform_app, out) != ERR_OK || demo_seed_accounts(app_db(*out)) != ERR_OK)
		return -1;
	return 0;
}

/* Writes "Bearer <jwt>" for the demo user with this e-mail into out. */
static inline void
unit_bearer(struct app *app, const char *email, char *out, size_t n)
{
	char jwt[JWT_MAX_LEN];
	const struct config *cfg = app_config(app);
	struct jwt_subject who = { 0 };
	sqlite3_stmt *st = db_prepare(app_db(app), "SELECT id, document_id, "
	    "credentials_version FROM users WHERE email = ?");
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		who.user_id = sqlite3_column_int64(st, 0);
		snprintf(who.doc, sizeof(who.doc), "%s", sqlite3_column_text(st, 1));
		who.version = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	jwt_sign(cfg->jwt_key, cfg->jwt_keylen, &who, clock_now_ms() / 1000, 3600, jwt);
	snprintf(out, n, "Bearer %s", jwt);
}

/* The number at a dotted path of a JSON object ("a.b.c"); fails the test
 * when there is none. */
static inline double
unit_num(const cJSON *o, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	const cJSON *v = o;
	for (char *save = NULL, *t = strtok_r(tmp, ".", &save); t;
	    t = strtok_r(NULL, ".", &save))
		v = cJSON_GetObjectItem(v, t);
	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return v->valuedouble;
}

/* A listening socket on a free loopback port, for the tests' own servers
 * (fake Stripe, SMTP). Returns the descriptor and sets *port, or -1. */
static inline int
unit_listen(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

#endif
