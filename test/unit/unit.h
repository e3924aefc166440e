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
#include <cmocka.h>

#include "mem.h"
#include "http.h"
#include "app.h"
#include "plans.h"

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
	cfg.max_body = max_body;
	if (app_open(&cfg, out) != ERR_OK || db_plans_seed(app_db(*out)) != ERR_OK)
		return -1;
	return 0;
}

#endif
