#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "db.h"
#include "clock.h"
#include "mem.h"

#define DB_STMT_CACHE	128
#define DB_BUSY_TRIES	50
#define DB_BUSY_TIMEOUT_MS 5000

struct db_cached {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct db {
	sqlite3		*h;
	struct db_cached cache[DB_STMT_CACHE];
	size_t		 ncache;
	sqlite3_stmt	*data_version;
	int		 depth;		/* transaction nesting */
	uint64_t	*gen;		/* shared commit counter, or NULL */
	int64_t		 dv_checked_us;	/* last data_version look */
	uint64_t	 dv;
};

#define DB_GEN_SIZE		4096
#define DB_AUTOCHECKPOINT	1000
#define DB_DV_INTERVAL_US	1000000

/*
 * After every commit of any connection opened here (any process), SQLite
 * calls this WAL hook: the commit is done and visible, so bumping the
 * shared counter now tells every cache that what it holds may be stale.
 * The hook replaces SQLite's auto-checkpoint, so it checkpoints too.
 */
static int
wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct db *db = arg;
	if (db->gen)
		__atomic_add_fetch(db->gen, 1, __ATOMIC_RELEASE);
	if (pages >= DB_AUTOCHECKPOINT)
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Maps "<db>-gen", a page holding the commit counter. */
static void
map_gen(struct db *db, const char *path)
{
	char gpath[4096];
	struct stat st;
	if (snprintf(gpath, sizeof(gpath), "%s-gen", path) >= (int)sizeof(gpath))
		return;
	int fd = open(gpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size < DB_GEN_SIZE &&
	    ftruncate(fd, DB_GEN_SIZE) != 0) {
		close(fd);
		return;
	}
	void *p = mmap(NULL, DB_GEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		db->gen = p;
}

static void
db_log(struct db *db, const char *what, const char *sql)
{
	fprintf(stderr, "db: %s: %s [%.200s]\n", what,
	    db && db->h ? sqlite3_errmsg(db->h) : "no connection",
	    sql ? sql : "");
}

static int
exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: %s [%.200s]\n", msg ? msg : "error", sql);
		sqlite3_free(msg);
	}
	return rc;
}

enum err
db_open(const char *path, struct db **out)
{
	struct db *db = xcalloc(1, sizeof(*db));
	/* A new database is its owner's only: SQLite gives the -wal and -shm
	 * files the mode of the database file. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_log(db, "open", path);
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_limit(db->h, SQLITE_LIMIT_LENGTH, 16 * 1024 * 1024);
	sqlite3_limit(db->h, SQLITE_LIMIT_SQL_LENGTH, 256 * 1024);
	sqlite3_limit(db->h, SQLITE_LIMIT_COLUMN, 200);
	sqlite3_limit(db->h, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(db->h, SQLITE_LIMIT_COMPOUND_SELECT, 4);
	sqlite3_limit(db->h, SQLITE_LIMIT_VARIABLE_NUMBER, 512);
	sqlite3_limit(db->h, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db->h, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 200);
	sqlite3_limit(db->h, SQLITE_LIMIT_TRIGGER_DEPTH, 10);
	if (exec(db, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
	    exec(db, "PRAGMA synchronous=FULL") != SQLITE_OK ||
	    exec(db, "PRAGMA foreign_keys=ON") != SQLITE_OK)
		goto fail;
	map_gen(db, path);
	sqlite3_wal_hook(db->h, wal_hook, db);
	*out = db;
	return ERR_OK;
fail:
	sqlite3_close(db->h);
	free(db);
	*out = NULL;
	return ERR_DB;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_finalize(db->data_version);
	sqlite3_close(db->h);
	if (db->gen)
		munmap(db->gen, DB_GEN_SIZE);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
		if (rc == SQLITE_OK)
			return st;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
	}
	db_log(db, "prepare", sql);
	return NULL;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	for (size_t i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			sqlite3_stmt *st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL);
	if (rc != SQLITE_OK) {
		db_log(db, "prepare", sql);
		return NULL;
	}
	if (db->ncache < DB_STMT_CACHE) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = st;
		db->ncache++;
	} else {
		/* Cannot happen with the fixed statement tables; be safe. */
		fprintf(stderr, "db: statement cache full\n");
		abort();
	}
	return st;
}

enum db_rc
db_step(struct db *db, sqlite3_stmt *st)
{
	for (int tries = 0;; tries++) {
		int rc = sqlite3_step(st);
		switch (rc & 0xff) {
		case SQLITE_ROW:
			return DB_ROW;
		case SQLITE_DONE:
			return DB_DONE;
		case SQLITE_CONSTRAINT:
			return DB_CONSTRAINT;
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			if (tries < DB_BUSY_TRIES && sqlite3_get_autocommit(db->h)) {
				sqlite3_reset(st);
				struct timespec ts = { 0, 2000000 };
				nanosleep(&ts, NULL);
				continue;
			}
			/* FALLTHROUGH */
		default:
			db_log(db, "step", sqlite3_sql(st));
			return DB_ERROR;
		}
	}
}

/*
 * Transactions nest: the outermost level is BEGIN IMMEDIATE ... COMMIT,
 * inner levels are savepoints, so a handler can run inside the
 * idempotency layer's transaction unchanged.
 */
enum err
db_begin(struct db *db)
{
	if (db->depth > 0) {
		if (exec(db, "SAVEPOINT nested") != SQLITE_OK)
			return ERR_DB;
		db->depth++;
		return ERR_OK;
	}
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			db->depth = 1;
			return ERR_OK;
		}
		if ((rc & 0xff) != SQLITE_BUSY)
			break;
	}
	db_log(db, "begin", "BEGIN IMMEDIATE");
	return ERR_DB;
}

enum err
db_commit(struct db *db)
{
	if (db->depth > 1) {
		db->depth--;
		return exec(db, "RELEASE nested") == SQLITE_OK ? ERR_OK : ERR_DB;
	}
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			db->depth = 0;
			return ERR_OK;
		}
		if ((rc & 0xff) != SQLITE_BUSY)
			break;
	}
	db_log(db, "commit", "COMMIT");
	db_rollback(db);
	return ERR_DB;
}

void
db_rollback(struct db *db)
{
	if (db->depth > 1) {
		db->depth--;
		exec(db, "ROLLBACK TO nested");
		exec(db, "RELEASE nested");
		return;
	}
	db->depth = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

uint64_t
db_change_stamp(struct db *db)
{
	/* Commits through this layer (every process of the platform) bump
	 * the shared counter: one memory read. Writers outside it (an
	 * operator's sqlite3 shell) are caught by data_version, looked at
	 * once a second at most since it costs a read transaction. */
	int64_t now = clock_mono_us();
	if (db->gen == NULL || now - db->dv_checked_us >= DB_DV_INTERVAL_US) {
		if (db->data_version == NULL &&
		    sqlite3_prepare_v3(db->h, "PRAGMA data_version", -1,
		    SQLITE_PREPARE_PERSISTENT, &db->data_version, NULL) != SQLITE_OK)
			return (uint64_t)now;	/* never equal twice: no caching */
		if (sqlite3_step(db->data_version) == SQLITE_ROW)
			db->dv = (uint64_t)sqlite3_column_int64(db->data_version, 0);
		sqlite3_reset(db->data_version);
		db->dv_checked_us = now;
	}
	uint64_t g = db->gen ? __atomic_load_n(db->gen, __ATOMIC_ACQUIRE) :
	    (uint64_t)sqlite3_total_changes64(db->h);
	return (db->dv << 40) ^ g;
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "PRAGMA user_version");
	int v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

#define MIGRATION_MARK "-- migration: "

/* Finds migration number n in schema; sets *start and *end around its SQL. */
static int
find_migration(const char *schema, int n, const char **start, const char **end)
{
	const char *p = schema;
	*start = NULL;
	while ((p = strstr(p, MIGRATION_MARK)) != NULL) {
		if (p != schema && p[-1] != '\n') {
			p++;
			continue;
		}
		int num = atoi(p + strlen(MIGRATION_MARK));
		const char *body = strchr(p, '\n');
		body = body ? body + 1 : p + strlen(p);
		if (*start) {
			*end = p;
			return 0;
		}
		if (num == n)
			*start = body;
		p = body;
	}
	if (*start) {
		*end = *start + strlen(*start);
		return 0;
	}
	return -1;
}

int
db_schema_latest(const char *schema)
{
	int latest = 0;
	for (const char *p = schema; (p = strstr(p, MIGRATION_MARK)) != NULL; p++)
		if (p == schema || p[-1] == '\n') {
			int n = atoi(p + strlen(MIGRATION_MARK));
			if (n > latest)
				latest = n;
		}
	return latest;
}

/* Returns 0 when no foreign key of the database is broken, else -1 with
 * the first broken one on stderr. */
static int
foreign_keys_hold(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "PRAGMA foreign_key_check");
	int rc = -1;
	if (st == NULL)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		rc = 0;
		break;
	case SQLITE_ROW:
		fprintf(stderr, "db: migration breaks a foreign key: %s row %lld -> %s\n",
		    (const char *)sqlite3_column_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
		break;
	default:
		db_log(db, "foreign_key_check", NULL);
		break;
	}
	sqlite3_finalize(st);
	return rc;
}

static enum err
migrate_all(struct db *db, const char *schema)
{
	int latest = db_schema_latest(schema);
	for (;;) {
		if (db_begin(db) != ERR_OK)
			return ERR_DB;
		int cur = db_schema_version(db);
		if (cur < 0)
			goto fail;
		if (cur >= latest) {
			db_rollback(db);
			return ERR_OK;
		}
		const char *s, *e;
		if (find_migration(schema, cur + 1, &s, &e) != 0) {
			fprintf(stderr, "db: migration %d missing\n", cur + 1);
			goto fail;
		}
		char *sql = xmalloc((size_t)(e - s) + 64);
		memcpy(sql, s, (size_t)(e - s));
		snprintf(sql + (e - s), 64, "\n;PRAGMA user_version=%d;", cur + 1);
		int rc = exec(db, sql);
		free(sql);
		if (rc != SQLITE_OK || foreign_keys_hold(db) != 0 ||
		    db_commit(db) != ERR_OK)
			goto fail;
	}
fail:
	db_rollback(db);
	return ERR_DB;
}

/*
 * Migrations run with foreign keys off, as SQLite's way of changing a
 * table asks (a new table, the rows copied, the old one dropped, the new
 * one renamed: with foreign keys on, the drop would cascade). Each one
 * commits only if every foreign key still holds afterwards.
 */
enum err
db_migrate(struct db *db, const char *schema)
{
	if (exec(db, "PRAGMA foreign_keys=OFF") != SQLITE_OK)
		return ERR_DB;
	enum err rc = migrate_all(db, schema);
	if (exec(db, "PRAGMA foreign_keys=ON") != SQLITE_OK)
		rc = ERR_DB;
	return rc;
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void
db_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

void
db_bind_ref(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

const char *
db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}
