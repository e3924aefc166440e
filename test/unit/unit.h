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
#include <sys/wait.h>
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

/* Runs a shell command (from the checkout); returns its exit status (-1
 * when it did not exit), what it printed in out (n bytes, cut to fit). */
static inline int
unit_run(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Loads the configuration from the environment as a program does at
 * start; fails the test when it is refused. */
static inline void
unit_config_load(void)
{
	char why[300];
	if (config_load(why, sizeof(why)) != 0)
		fail_msg("configuration refused: %s", why);
}

static char unit_key[64];

static inline void
unit_key_remove(void)
{
	unlink(unit_key);
}

/* Opens an application over a fresh database file with the demo plans;
 * the path is written to dbpath. The configuration comes from the
 * environment, as in the programs: this database, the templates of the
 * checkout, a body limit of max_body, a JWT key file of the test program
 * (removed when it exits). Returns 0 or -1. */
static inline int
unit_app_open(char *dbpath, size_t n, size_t max_body, struct app **out)
{
	char limit[32];
	unit_tmpdb(dbpath, n);
	if (unit_key[0] == '\0') {
		snprintf(unit_key, sizeof(unit_key), "/tmp/unit-key-%d", (int)getpid());
		FILE *f = fopen(unit_key, "w");
		if (f == NULL)
			return -1;
		fputs("756e69742d746573742d6b65792d756e69742d746573742d6b65792d756e6974\n", f);
		fclose(f);
		atexit(unit_key_remove);
	}
	snprintf(limit, sizeof(limit), "%zu", max_body);
	setenv("PLATFORM_DB", dbpath, 1);
	setenv("PLATFORM_TEMPLATES", "templates", 1);
	setenv("PLATFORM_MAX_BODY", limit, 1);
	setenv("PLATFORM_JWT_SECRET_FILE", unit_key, 1);
	setenv("PLATFORM_JWT_TTL", "3600", 1);
	unit_config_load();
	if (app_open(&platform_app, out) != ERR_OK || demo_seed_accounts(app_db(*out)) != ERR_OK)
		return -1;
	return 0;
}

/* Writes "Bearer <jwt>" for the demo user with this e-mail into out. */
static inline void
unit_bearer(struct app *app, const char *email, char *out, size_t n)
{
	char jwt[JWT_MAX_LEN];
	const struct config *cfg = config();
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
	jwt_sign(cfg->jwt.bytes, cfg->jwt.len, &who, clock_now_ms() / 1000, 3600, jwt);
	snprintf(out, n, "Bearer %s", jwt);
}

/* The number at a dotted path of a JSON object ("a.b.c", "a.0.b" for an
 * array's item); fails the test when there is none. */
static inline double
unit_num(const cJSON *o, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	const cJSON *v = o;
	for (char *save = NULL, *t = strtok_r(tmp, ".", &save); t;
	    t = strtok_r(NULL, ".", &save))
		v = cJSON_IsArray(v) && t[0] >= '0' && t[0] <= '9' ?
		    cJSON_GetArrayItem(v, atoi(t)) : cJSON_GetObjectItem(v, t);
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
