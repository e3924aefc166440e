#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>

#include "db.h"
#include "clock.h"
#include "mem.h"

#define DB_STMT_SLOTS	256	/* first size of the cache, grows by doubling */
#define DB_QUERY_SLOTS	32	/* run-time SQL kept prepared, least recently used out */
#define DB_BUSY_TRIES	3
#define DB_BUSY_TIMEOUT_MS 5000
/* A turn of the group-commit queue that does not end within this is
 * taken to belong to a process that died: the queue moves on. */
#define DB_QUEUE_STALL_MS 200

struct db_cached {
	const char	*sql;
	sqlite3_stmt	*st;
};

/* A run-time statement (the query compiler's SQL), kept by its text. */
struct db_query {
	char		*sql;
	uint64_t	 hash;
	sqlite3_stmt	*st;
	uint64_t	 used;		/* the tick of its last use */
	int		 busy;		/* handed out, not yet given back */
};

/*
 * The page "<db>-gen", shared by every process that opens the database:
 * the commit counter (first, where processes of older builds read it) and
 * what /metrics reports of the database.
 */
struct db_shared {
	uint64_t	 gen;		/* commits, by the WAL hook */
	uint64_t	 busy_retries;	/* busy-handler calls */
	int64_t		 full_since_ms;	/* a full-disk episode began, or 0 */
	/* The queue of group commits (db_queue_enter): tickets taken and
	 * the one whose turn it is; waiters sleep on turn (a futex). */
	uint32_t	 queue_next;
	uint32_t	 queue_turn;
	uint64_t	 group_commits;	/* db_count_group */
	uint64_t	 group_writes;
	uint64_t	 reserved[10];
};

struct db {
	sqlite3		*h;
	/* Open addressing on the SQL text's address, at most half full. */
	struct db_cached *cache;
	size_t		 ncache, cap;
	struct db_query	 queries[DB_QUERY_SLOTS];
	uint64_t	 tick;
	sqlite3_stmt	*data_version;
	int		 depth;		/* transaction nesting */
	int		 durable;	/* PLATFORM_DB_DURABLE when opened, in WAL
					 * mode (durable_commit) */
	int		 checkpoint_due; /* WAL frames, once past DB_AUTOCHECKPOINT */
	int		 checkpoint_at;	/* WAL frames at this connection's last one */
	int		 checkpoint_later; /* db_checkpoint_if_due's caller makes them */
	int		 queued;	/* holds the queue's turn (ticket below) */
	db_end_fn	 at_end[DB_AT_END_MAX];	/* db_at_end */
	int		 nat_end;
	uint32_t	 ticket;
	int		 full;		/* met a full disk since db_take_full */
	int		 full_logged;	/* said so (without the shared page) */
	int64_t		 busy_since_us;	/* the first busy retry of this wait */
	struct db_shared *sh;		/* the shared page, or NULL */
	int64_t		 dv_checked_us;	/* last data_version look */
	uint64_t	 dv;
};

/* The layer's own statements: connection set-up, transactions, schema. */
enum stmt_db {
	SQL_WAL,
	SQL_SYNC_FULL,
	SQL_SYNC_NORMAL,
	SQL_FK_ON,
	SQL_FK_OFF,
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_SAVEPOINT,
	SQL_RELEASE,
	SQL_ROLLBACK_TO,
	SQL_DATA_VERSION,
	SQL_USER_VERSION,
	SQL_FK_CHECK,
	SQL__MAX
};

static const char *const stmts[SQL__MAX] = {
	[SQL_WAL] = "PRAGMA journal_mode=WAL",
	[SQL_SYNC_FULL] = "PRAGMA synchronous=FULL",
	[SQL_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
	[SQL_FK_ON] = "PRAGMA foreign_keys=ON",
	[SQL_FK_OFF] = "PRAGMA foreign_keys=OFF",
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	[SQL_SAVEPOINT] = "SAVEPOINT nested",
	[SQL_RELEASE] = "RELEASE nested",
	[SQL_ROLLBACK_TO] = "ROLLBACK TO nested",
	[SQL_DATA_VERSION] = "PRAGMA data_version",
	[SQL_USER_VERSION] = "PRAGMA user_version",
	[SQL_FK_CHECK] = "PRAGMA foreign_key_check",
};

#define DB_GEN_SIZE		4096
#define DB_AUTOCHECKPOINT	1000
#define DB_WAL_RESTART		4000	/* frames: about 16 MiB */
#define DB_DV_INTERVAL_US	1000000

/*
 * After every commit of any connection opened here (any process), SQLite
 * calls this WAL hook: the commit is done and visible, so bumping the
 * shared counter now tells every cache that what it holds may be stale.
 * The hook replaces SQLite's auto-checkpoint: it marks a checkpoint due,
 * made once the transaction is over (checkpoint_if_due), so that copying
 * pages into the database never holds SQLite's write lock.
 */
static int
wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct db *db = arg;
	(void)h;
	(void)name;
	if (db->sh) {
		__atomic_add_fetch(&db->sh->gen, 1, __ATOMIC_RELEASE);
		int64_t since = __atomic_load_n(&db->sh->full_since_ms, __ATOMIC_ACQUIRE);
		if (since && __atomic_compare_exchange_n(&db->sh->full_since_ms, &since, 0,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			fprintf(stderr, "db: disk space is back: writes are accepted again "
			    "(after %lld s)\n", (long long)((clock_now_ms() - since) / 1000));
	}
	db->full_logged = 0;
	/* Once per DB_AUTOCHECKPOINT frames written since this connection's
	 * last checkpoint (a smaller count: the WAL started again). */
	if (pages >= DB_AUTOCHECKPOINT && (pages < db->checkpoint_at ||
	    pages - db->checkpoint_at >= DB_AUTOCHECKPOINT))
		db->checkpoint_due = pages;
	return SQLITE_OK;
}

/*
 * A write met a full disk (SQLITE_FULL): nothing was written (SQLite rolls
 * the statement or transaction back), the request answers 503 (db_take_full)
 * and the episode is logged once for every process, when it begins; the
 * first commit after space returns logs its end (wal_hook).
 */
static void
disk_full(struct db *db)
{
	db->full = 1;
	int64_t zero = 0, now = clock_now_ms();
	int first = db->sh ? __atomic_compare_exchange_n(&db->sh->full_since_ms, &zero,
	    now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) : !db->full_logged;
	db->full_logged = 1;
	if (first)
		fprintf(stderr, "db: the disk is full: writes answer 503 until space "
		    "returns\n");
}

/* Whether rc (a result code) says the disk is full; notes it if so. */
static int
full(struct db *db, int rc)
{
	if ((rc & 0xff) != SQLITE_FULL)
		return 0;
	disk_full(db);
	return 1;
}

int
db_take_full(struct db *db)
{
	int f = db->full;
	db->full = 0;
	return f;
}

/*
 * The checkpoint the WAL hook asked for: a passive one (it waits for no
 * one). Under a steady stream of writes a passive checkpoint never catches
 * up with the last commit, so the WAL would never start again and would
 * grow without end (every reader's lookups and every checkpoint with it):
 * past DB_WAL_RESTART frames the checkpoint waits for the readers (the busy
 * handler) so that the next writer starts the WAL from its beginning.
 */
static void
checkpoint_now(struct db *db)
{
	if (db->checkpoint_due && db->depth == 0) {
		int mode = db->checkpoint_due >= DB_WAL_RESTART ?
		    SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
		db->checkpoint_at = db->checkpoint_due;
		db->checkpoint_due = 0;
		sqlite3_wal_checkpoint_v2(db->h, NULL, mode, NULL, NULL);
	}
}

/* After a commit: the checkpoint now, unless its caller makes it later. */
static void
checkpoint_if_due(struct db *db)
{
	if (!db->checkpoint_later)
		checkpoint_now(db);
}

void
db_checkpoint_later(struct db *db)
{
	db->checkpoint_later = 1;
}

void
db_checkpoint_if_due(struct db *db)
{
	checkpoint_now(db);
}

_Static_assert(sizeof(struct db_shared) <= DB_GEN_SIZE, "the shared page");
_Static_assert(offsetof(struct db_shared, gen) == 0, "the counter comes first");

/* Maps "<db>-gen", the shared page (struct db_shared). */
static void
map_gen(struct db *db, const char *path)
{
	char gpath[4096];
	if (snprintf(gpath, sizeof(gpath), "%s-gen", path) >= (int)sizeof(gpath))
		return;
	int fd = open(gpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* Allocated, not sparse: touching a hole of a mapping on a full disk
	 * would kill the process (SIGBUS). */
	if (posix_fallocate(fd, 0, DB_GEN_SIZE) != 0) {
		close(fd);
		return;
	}
	void *p = mmap(NULL, DB_GEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		db->sh = p;
	close(fd);
}

/*
 * SQLite's busy handler: another connection holds the write lock (or a
 * checkpoint runs). Retries after 10 µs, doubling to 1 ms, for up to the
 * busy timeout, where sqlite3_busy_timeout sleeps 1, 2, 5, 10 ... 100 ms
 * between retries: a writer goes on within microseconds of the one before
 * it committing. (Handing the lock over in order, by a futex taken before
 * BEGIN, was measured slower on 2 cores: each hand-over waits for the next
 * writer to be scheduled.)
 */
static int
busy_wait(void *arg, int n)
{
	struct db *db = arg;
	int64_t now = clock_mono_us();
	if (n == 0)
		db->busy_since_us = now;
	else if (now - db->busy_since_us >= (int64_t)DB_BUSY_TIMEOUT_MS * 1000)
		return 0;
	if (db->sh)
		__atomic_add_fetch(&db->sh->busy_retries, 1, __ATOMIC_RELAXED);
	long us = n < 7 ? 10L << n : 1000;
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
	return 1;
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
	if (rc != SQLITE_OK && full(db, rc))
		sqlite3_free(msg);
	else if (rc != SQLITE_OK) {
		fprintf(stderr, "db: %s [%.200s]\n", msg ? msg : "error", sql);
		sqlite3_free(msg);
	}
	return rc;
}

/* PLATFORM_DB_DURABLE, for the connections opened after it is set. */
static int durable = 1;

void
db_set_durable(int on)
{
	durable = on != 0;
}

enum err
db_open(const char *path, struct db **out)
{
	static int configured;
	if (!configured) {
		/* A savepoint's journal (every handler's transaction inside a
		 * group commit) stays in memory: spilled to a temporary file,
		 * each page it saves would be a write. Before SQLite's first
		 * use; SQLITE_MISUSE after it, harmlessly. */
		sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
		configured = 1;
	}
	struct db *db = xcalloc(1, sizeof(*db));
	/* SQLite's name for a database in memory: no file, no shared page. */
	int in_memory = strcmp(path, ":memory:") == 0;
	/* A new database is its owner's only: SQLite gives the -wal and -shm
	 * files the mode of the database file. */
	int fd = in_memory ? -1 : open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_log(db, "open", path);
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_limit(db->h, SQLITE_LIMIT_LENGTH, 16 * 1024 * 1024);
	sqlite3_limit(db->h, SQLITE_LIMIT_SQL_LENGTH, 256 * 1024);
	sqlite3_limit(db->h, SQLITE_LIMIT_COLUMN, 200);
	sqlite3_limit(db->h, SQLITE_LIMIT_EXPR_DEPTH, 1000);
	sqlite3_limit(db->h, SQLITE_LIMIT_COMPOUND_SELECT, 4);
	sqlite3_limit(db->h, SQLITE_LIMIT_VARIABLE_NUMBER, 1100);
	sqlite3_limit(db->h, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db->h, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 2100);
	sqlite3_limit(db->h, SQLITE_LIMIT_TRIGGER_DEPTH, 10);
	if (exec(db, stmts[SQL_WAL]) != SQLITE_OK ||
	    exec(db, stmts[durable ? SQL_SYNC_FULL : SQL_SYNC_NORMAL]) != SQLITE_OK ||
	    exec(db, stmts[SQL_FK_ON]) != SQLITE_OK)
		goto fail;
	/* A database in memory has no WAL: its commits stay as they are. */
	sqlite3_stmt *mode = NULL;
	if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &mode, NULL) == SQLITE_OK &&
	    sqlite3_step(mode) == SQLITE_ROW)
		db->durable = durable && strcmp(db_col_text(mode, 0), "wal") == 0;
	sqlite3_finalize(mode);
	if (!in_memory)
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
	for (size_t i = 0; i < db->cap; i++)
		sqlite3_finalize(db->cache[i].st);
	free(db->cache);
	for (size_t i = 0; i < DB_QUERY_SLOTS; i++) {
		sqlite3_finalize(db->queries[i].st);
		free(db->queries[i].sql);
	}
	sqlite3_finalize(db->data_version);
	sqlite3_close(db->h);
	if (db->sh)
		munmap(db->sh, DB_GEN_SIZE);
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

static size_t
slot_of(const char *sql, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)sql * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (cap - 1);
}

static void
cache_grow(struct db *db)
{
	size_t cap = db->cap ? db->cap * 2 : DB_STMT_SLOTS;
	struct db_cached *old = db->cache;
	db->cache = xcalloc(cap, sizeof(*db->cache));
	for (size_t i = 0; i < db->cap; i++) {
		if (old[i].sql == NULL)
			continue;
		size_t j = slot_of(old[i].sql, cap);
		while (db->cache[j].sql)
			j = (j + 1) & (cap - 1);
		db->cache[j] = old[i];
	}
	free(old);
	db->cap = cap;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	if (db->cap) {
		for (size_t j = slot_of(sql, db->cap); db->cache[j].sql;
		    j = (j + 1) & (db->cap - 1))
			if (db->cache[j].sql == sql) {
				sqlite3_stmt *st = db->cache[j].st;
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return st;
			}
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL);
	if (rc != SQLITE_OK) {
		db_log(db, "prepare", sql);
		return NULL;
	}
	if (2 * (db->ncache + 1) > db->cap)
		cache_grow(db);
	size_t j = slot_of(sql, db->cap);
	while (db->cache[j].sql)
		j = (j + 1) & (db->cap - 1);
	db->cache[j].sql = sql;
	db->cache[j].st = st;
	db->ncache++;
	return st;
}

size_t
db_stmt_cached(struct db *db)
{
	return db->ncache;
}

/* Binds the arguments at *ap by fmt (see db_bind), consuming them.
 * Returns 0, or -1 when fmt does not name every parameter of st. */
static int
bind_va(struct db *db, sqlite3_stmt *st, const char *fmt, va_list *ap)
{
	int n = (int)strlen(fmt);
	/* The format names every parameter: a mismatch is a bug. */
	if (n != sqlite3_bind_parameter_count(st)) {
		fprintf(stderr, "db: format \"%s\" for %d parameters [%.200s]\n", fmt,
		    sqlite3_bind_parameter_count(st), sqlite3_sql(st));
		(void)db;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *v;
		int64_t x;
		switch (fmt[i]) {
		case 'i':
			db_bind_int(st, i + 1, va_arg(*ap, int64_t));
			break;
		case 'r':
			x = va_arg(*ap, int64_t);
			db_bind_ref(st, i + 1, x);
			break;
		case 's':
			db_bind_text(st, i + 1, va_arg(*ap, const char *));
			break;
		case 't':
			v = va_arg(*ap, const char *);
			db_bind_text(st, i + 1, v && *v ? v : NULL);
			break;
		case 'f':
			sqlite3_bind_double(st, i + 1, va_arg(*ap, double));
			break;
		case 'T':
			v = va_arg(*ap, const char *);
			sqlite3_bind_text(st, i + 1, v, (int)va_arg(*ap, size_t),
			    SQLITE_TRANSIENT);
			break;
		default:
			fprintf(stderr, "db: bad format letter '%c' [%.200s]\n", fmt[i],
			    sqlite3_sql(st));
			return -1;
		}
	}
	return 0;
}

sqlite3_stmt *
db_bind(struct db *db, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return NULL;
	va_start(ap, fmt);
	int rc = bind_va(db, st, fmt, &ap);
	va_end(ap);
	return rc == 0 ? st : NULL;
}

static enum err
err_of(enum db_rc r)
{
	return r == DB_DONE || r == DB_ROW ? ERR_OK : r == DB_CONSTRAINT ?
	    ERR_CONFLICT : ERR_DB;
}

enum err
db_exec(struct db *db, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return ERR_DB;
	va_start(ap, fmt);
	int rc = bind_va(db, st, fmt, &ap);
	va_end(ap);
	if (rc != 0)
		return ERR_INTERNAL;
	enum db_rc r;
	while ((r = db_step(db, st)) == DB_ROW)
		;
	sqlite3_reset(st);
	return err_of(r);
}

enum err
db_get(struct db *db, const char *sql, const char *fmt, const char *out, ...)
{
	va_list ap;
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return ERR_DB;
	va_start(ap, out);
	if (bind_va(db, st, fmt, &ap) != 0) {
		va_end(ap);
		return ERR_INTERNAL;
	}
	/* bind_va consumed the inputs: what is left are the outputs. */
	enum db_rc r = db_step(db, st);
	if (r != DB_ROW) {
		va_end(ap);
		sqlite3_reset(st);
		return r == DB_DONE ? ERR_NOT_FOUND : err_of(r);
	}
	int ncol = sqlite3_column_count(st);
	for (int i = 0; out[i] && i < ncol; i++) {
		char *dst;
		size_t sz;
		switch (out[i]) {
		case 'I':
			*va_arg(ap, int64_t *) = sqlite3_column_int64(st, i);
			break;
		case 'N':
			*va_arg(ap, int *) = sqlite3_column_int(st, i);
			break;
		case 'F':
			*va_arg(ap, double *) = sqlite3_column_double(st, i);
			break;
		case 'S':
			dst = va_arg(ap, char *);
			sz = va_arg(ap, size_t);
			snprintf(dst, sz, "%s", db_col_text(st, i));
			break;
		case '-':
			break;
		default:
			fprintf(stderr, "db: bad column letter '%c' [%.200s]\n", out[i],
			    sqlite3_sql(st));
			va_end(ap);
			sqlite3_reset(st);
			return ERR_INTERNAL;
		}
	}
	va_end(ap);
	sqlite3_reset(st);
	return ERR_OK;
}

void
db_done(sqlite3_stmt *st)
{
	if (st)
		sqlite3_reset(st);
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
			/* A write outside a transaction committed here. */
			checkpoint_if_due(db);
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
			if (!full(db, rc))
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
		if (exec(db, stmts[SQL_SAVEPOINT]) != SQLITE_OK)
			return ERR_DB;
		db->depth++;
		return ERR_OK;
	}
	/* The commit writes the WAL without syncing it; db_commit syncs it
	 * once the write lock is free (durable_commit). */
	if (db->durable && exec(db, stmts[SQL_SYNC_NORMAL]) != SQLITE_OK)
		return ERR_DB;
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_exec(db->h, stmts[SQL_BEGIN], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			db->depth = 1;
			return ERR_OK;
		}
		if ((rc & 0xff) != SQLITE_BUSY)
			break;
	}
	db_log(db, "begin", stmts[SQL_BEGIN]);
	if (db->durable)
		exec(db, stmts[SQL_SYNC_FULL]);
	return ERR_DB;
}

enum err
db_at_end(struct db *db, db_end_fn fn)
{
	if (db->depth == 0)
		return ERR_OK;
	for (int i = 0; i < db->nat_end; i++)
		if (db->at_end[i] == fn)
			return ERR_OK;
	if (db->nat_end == DB_AT_END_MAX)
		return ERR_INTERNAL;
	db->at_end[db->nat_end++] = fn;
	return ERR_OK;
}

int
db_in_txn(const struct db *db)
{
	return db->depth > 0;
}

/* Runs (commit) or forgets the work left for the transaction's end. */
static enum err
run_at_end(struct db *db, int commit)
{
	enum err e = ERR_OK;
	int n = db->nat_end;
	db->nat_end = 0;
	for (int i = 0; i < n; i++) {
		enum err r = db->at_end[i](db, commit && e == ERR_OK);
		if (e == ERR_OK)
			e = r;
	}
	return e;
}

/* Ends this connection's turn in the queue, if it has one. */
static void
queue_leave(struct db *db)
{
	if (!db->queued)
		return;
	db->queued = 0;
	uint32_t mine = db->ticket;
	/* Only if the queue did not move on without us (a stall). */
	if (__atomic_compare_exchange_n(&db->sh->queue_turn, &mine, mine + 1, 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&db->sh->queue_next, __ATOMIC_RELAXED) != mine + 1)
		syscall(SYS_futex, &db->sh->queue_turn, FUTEX_WAKE, INT32_MAX, NULL, NULL,
		    0);
}

void
db_queue_leave(struct db *db)
{
	queue_leave(db);
}

void
db_queue_enter(struct db *db)
{
	if (db->queued || db->sh == NULL)
		return;
	struct db_shared *sh = db->sh;
	uint32_t mine = __atomic_fetch_add(&sh->queue_next, 1, __ATOMIC_ACQ_REL);
	uint32_t seen = __atomic_load_n(&sh->queue_turn, __ATOMIC_ACQUIRE);
	int64_t seen_since = clock_mono_us();
	while (seen != mine) {
		/* A turn far ahead of ours: the queue moved past us (we were
		 * taken for dead); go on without waiting. */
		if ((int32_t)(seen - mine) > 0)
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		syscall(SYS_futex, &sh->queue_turn, FUTEX_WAIT, seen, &ts, NULL, 0);
		uint32_t now = __atomic_load_n(&sh->queue_turn, __ATOMIC_ACQUIRE);
		if (now != seen) {
			seen = now;
			seen_since = clock_mono_us();
		} else if (clock_mono_us() - seen_since >= DB_QUEUE_STALL_MS * 1000) {
			/* Its holder died (or waits on a slow disk: SQLite's
			 * own lock still keeps writers apart). */
			__atomic_compare_exchange_n(&sh->queue_turn, &now, now + 1, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			seen = __atomic_load_n(&sh->queue_turn, __ATOMIC_ACQUIRE);
			seen_since = clock_mono_us();
		}
	}
	db->queued = 1;
	db->ticket = mine;
}

/*
 * A durable connection's transaction commits with synchronous=NORMAL: its
 * WAL frames are written, not synced, and the write lock (and the queue's
 * turn) goes to the next writer at once. Then the WAL is synced here, and
 * only then does the caller answer: the next group's work overlaps this
 * one's fsync, and a sync covers every frame written before it, so one
 * acknowledged transaction and all it read are on disk. Statements outside
 * a transaction stay synchronous=FULL. A failed sync leaves the commit's
 * lasting unknown: ERR_DB, logged.
 */
static enum err
durable_commit(struct db *db)
{
	if (!db->durable)
		return ERR_OK;
	sqlite3_file *wal = NULL;
	int rc = sqlite3_file_control(db->h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
	if (rc == SQLITE_OK && wal && wal->pMethods)
		rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
	else
		rc = SQLITE_IOERR_FSYNC;
	exec(db, stmts[SQL_SYNC_FULL]);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: syncing the WAL after a commit failed (%d)\n", rc);
		return ERR_DB;
	}
	return ERR_OK;
}

enum err
db_commit(struct db *db)
{
	if (db->depth > 1) {
		db->depth--;
		return exec(db, stmts[SQL_RELEASE]) == SQLITE_OK ? ERR_OK : ERR_DB;
	}
	if (db->nat_end && run_at_end(db, 1) != ERR_OK) {
		db_rollback(db);
		return ERR_DB;
	}
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_exec(db->h, stmts[SQL_COMMIT], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			db->depth = 0;
			queue_leave(db);
			enum err e = durable_commit(db);
			checkpoint_if_due(db);
			return e;
		}
		if ((rc & 0xff) != SQLITE_BUSY) {
			if (full(db, rc)) {
				db_rollback(db);
				return ERR_DB;
			}
			break;
		}
	}
	db_log(db, "commit", stmts[SQL_COMMIT]);
	db_rollback(db);
	return ERR_DB;
}

void
db_rollback(struct db *db)
{
	if (db->depth > 1) {
		db->depth--;
		exec(db, stmts[SQL_ROLLBACK_TO]);
		exec(db, stmts[SQL_RELEASE]);
		return;
	}
	db->depth = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, stmts[SQL_ROLLBACK], NULL, NULL, NULL);
	run_at_end(db, 0);
	queue_leave(db);
	if (db->durable)
		exec(db, stmts[SQL_SYNC_FULL]);
}

int
db_txn_whole(struct db *db)
{
	return db->depth == 1 && !sqlite3_get_autocommit(db->h);
}

void
db_rollback_all(struct db *db)
{
	db->depth = 1;
	db_rollback(db);
}

/* Syncs path's directory, so that a rename in it lasts. */
static int
sync_dir(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

enum err
db_check_file(const char *path, int *version, char *why, size_t n)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_DB;
	*version = -1;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(why, n, "%s", h ? sqlite3_errmsg(h) : "cannot open");
		goto out;
	}
	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, n, "not a database: %s", sqlite3_errmsg(h));
		goto out;
	}
	if (strcmp(db_col_text(st, 0), "ok") != 0) {
		snprintf(why, n, "integrity check: %s", db_col_text(st, 0));
		goto out;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(h, stmts[SQL_USER_VERSION], -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, n, "no schema version: %s", sqlite3_errmsg(h));
		goto out;
	}
	*version = sqlite3_column_int(st, 0);
	rc = ERR_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
	return rc;
}

enum err
db_backup(struct db *db, const char *path, char *why, size_t n)
{
	char tmp[4096];
	sqlite3 *dst = NULL;
	int version;
	if (snprintf(tmp, sizeof(tmp), "%s.partial", path) >= (int)sizeof(tmp)) {
		snprintf(why, n, "path too long");
		return ERR_VALIDATION;
	}
	/* A copy of everything: its owner's only, as the database. */
	unlink(tmp);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, n, "%s: %s", tmp, strerror(errno));
		return ERR_INTERNAL;
	}
	close(fd);
	enum err rc = ERR_DB;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(why, n, "%s", sqlite3_errmsg(dst));
		goto fail;
	}
	/* One step: the whole copy is read in one read transaction, a
	 * snapshot of the database as of its start, which writers (WAL) do
	 * not wait for. Step by step, every write between two steps would
	 * start the copy over. */
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", db->h, "main");
	if (b == NULL) {
		snprintf(why, n, "%s", sqlite3_errmsg(dst));
		goto fail;
	}
	int step;
	for (int tries = 0; (step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    step == SQLITE_LOCKED; tries++) {
		if (tries > 1000)
			break;
		sqlite3_sleep(5);
	}
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(why, n, "%s", sqlite3_errstr(step));
		goto fail;
	}
	sqlite3_close(dst);
	dst = NULL;
	/* On disk, checked, then under its name. */
	if ((fd = open(tmp, O_RDWR | O_CLOEXEC)) < 0 || fsync(fd) != 0) {
		snprintf(why, n, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if (db_check_file(tmp, &version, why, n) != ERR_OK)
		goto fail;
	if (rename(tmp, path) != 0 || sync_dir(path) != 0) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return ERR_OK;
fail:
	sqlite3_close(dst);
	unlink(tmp);
	return rc;
}

void
db_counters(struct db *db, struct db_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (db->sh == NULL)
		return;
	out->commits = __atomic_load_n(&db->sh->gen, __ATOMIC_RELAXED);
	out->busy_retries = __atomic_load_n(&db->sh->busy_retries, __ATOMIC_RELAXED);
	out->group_commits = __atomic_load_n(&db->sh->group_commits, __ATOMIC_RELAXED);
	out->group_writes = __atomic_load_n(&db->sh->group_writes, __ATOMIC_RELAXED);
}

void
db_count_group(struct db *db, size_t writes)
{
	if (db->sh == NULL)
		return;
	__atomic_add_fetch(&db->sh->group_commits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&db->sh->group_writes, writes, __ATOMIC_RELAXED);
}

sqlite3_stmt *
db_query(struct db *db, const char *sql)
{
	uint64_t h = text_hash(TEXT_HASH_START, sql);
	struct db_query *q, *lru = NULL;
	for (q = db->queries; q < db->queries + DB_QUERY_SLOTS; q++) {
		if (q->sql && !q->busy && q->hash == h && strcmp(q->sql, sql) == 0) {
			q->busy = 1;
			q->used = ++db->tick;
			return q->st;
		}
		if (!q->busy && (lru == NULL || q->used < lru->used))
			lru = q;
	}
	sqlite3_stmt *st = NULL;
	for (int tries = 0; tries < DB_BUSY_TRIES; tries++) {
		int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &st, NULL);
		if (rc == SQLITE_OK)
			break;
		st = NULL;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
	}
	if (st == NULL) {
		db_log(db, "prepare", sql);
		return NULL;
	}
	if (lru == NULL)	/* every slot in use: this one is not kept */
		return st;
	sqlite3_finalize(lru->st);
	free(lru->sql);
	lru->sql = xstrdup(sql);
	lru->hash = h;
	lru->st = st;
	lru->used = ++db->tick;
	lru->busy = 1;
	return st;
}

void
db_query_done(struct db *db, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	for (struct db_query *q = db->queries; q < db->queries + DB_QUERY_SLOTS; q++)
		if (q->st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			q->busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

uint64_t
db_change_stamp(struct db *db)
{
	/* Commits through this layer (every process of the platform) bump
	 * the shared counter: one memory read. Writers outside it (an
	 * operator's sqlite3 shell) are caught by data_version, looked at
	 * once a second at most since it costs a read transaction. */
	int64_t now = clock_mono_us();
	if (db->sh == NULL || now - db->dv_checked_us >= DB_DV_INTERVAL_US) {
		if (db->data_version == NULL &&
		    sqlite3_prepare_v3(db->h, stmts[SQL_DATA_VERSION], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->data_version, NULL) != SQLITE_OK)
			return (uint64_t)now;	/* never equal twice: no caching */
		if (sqlite3_step(db->data_version) == SQLITE_ROW)
			db->dv = (uint64_t)sqlite3_column_int64(db->data_version, 0);
		sqlite3_reset(db->data_version);
		db->dv_checked_us = now;
	}
	uint64_t g = db->sh ? __atomic_load_n(&db->sh->gen, __ATOMIC_ACQUIRE) :
	    (uint64_t)sqlite3_total_changes64(db->h);
	uint64_t stamp = (db->dv << 40) ^ g;
	/* Inside a transaction (a group commit's), writes not committed yet
	 * are seen by this connection: they count too. */
	if (db->depth > 0)
		stamp ^= (uint64_t)sqlite3_total_changes64(db->h) *
		    0x9e3779b97f4a7c15ull | 1ull << 63;
	return stamp;
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, stmts[SQL_USER_VERSION]);
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
	sqlite3_stmt *st = db_prepare(db, stmts[SQL_FK_CHECK]);
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
	if (exec(db, stmts[SQL_FK_OFF]) != SQLITE_OK)
		return ERR_DB;
	enum err rc = migrate_all(db, schema);
	if (exec(db, stmts[SQL_FK_ON]) != SQLITE_OK)
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
