/*
 * The database layer over SQLite: a defensive connection (WAL, foreign
 * keys, a busy handler retrying in microseconds, synchronous=FULL unless
 * configured otherwise, tight limits), per-connection caches of prepared
 * statements, transactions, and versioned migrations.
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>
#include <sqlite3.h>

#include "err.h"

struct db;

/* The three outcomes of a statement. */
enum db_rc { DB_ROW, DB_DONE, DB_CONSTRAINT, DB_ERROR };

/* Opens (creating if needed, mode 0600) the database at path. Returns
 * ERR_OK and sets *out, or ERR_DB with a line on stderr. Free with
 * db_close(). */
enum err	 db_open(const char *path, struct db **out);
/* Whether the connections opened from now on wait for the disk at each
 * commit (synchronous=FULL: a commit survives a power loss; the default)
 * or not (NORMAL: it survives any process crash, and a power loss may take
 * back the commits since the last checkpoint; the database stays whole).
 * Set from PLATFORM_DB_DURABLE when the configuration loads. */
void		 db_set_durable(int on);
/* Finalises every cached statement and closes the connection. */
void		 db_close(struct db *db);
/* The raw handle, for sqlite3_* calls on it. */
sqlite3		*db_handle(struct db *db);

/* Applies every migration of schema (the text of schema.sql) newer than
 * the database's user_version, each in its own transaction, with foreign
 * keys off and every foreign key checked before the commit. Returns ERR_OK
 * or ERR_DB. Safe to run from several processes at once. */
enum err	 db_migrate(struct db *db, const char *schema);
/* Returns the database's schema version (PRAGMA user_version). */
int		 db_schema_version(struct db *db);
/* Returns the highest migration number in schema. */
int		 db_schema_latest(const char *schema);

/* Returns the cached prepared statement for sql (a string with static
 * storage, from a statement table: the cache is keyed by its address and
 * grows as needed), reset and unbound, or NULL with a log line. The
 * statement belongs to the cache. */
sqlite3_stmt	*db_stmt(struct db *db, const char *sql);
/* How many statements the cache holds (it grows as needed). */
size_t		 db_stmt_cached(struct db *db);
/* Returns the cached statement for sql (as db_stmt) with fmt's arguments
 * bound, one letter a parameter in order:
 *   i  int64_t
 *   r  int64_t, a record id: SQL NULL when 0
 *   s  const char *: NULL binds SQL NULL
 *   t  const char *: NULL or "" binds SQL NULL
 *   f  double
 *   T  const char *, size_t: text of that length (NULs kept)
 * fmt must name every parameter of the statement. Returns NULL (with a
 * log line) on a prepare error or a format mismatch. The statement belongs
 * to the cache: step it with db_step, end its run with db_done. */
sqlite3_stmt	*db_bind(struct db *db, const char *sql, const char *fmt, ...);
/* Runs sql with fmt's arguments (as db_bind) to its end, ignoring rows,
 * and resets it. Returns ERR_OK, ERR_CONFLICT (a constraint refused it),
 * ERR_INTERNAL (format mismatch) or ERR_DB. */
enum err	 db_exec(struct db *db, const char *sql, const char *fmt, ...);
/* Runs query sql with fmt's arguments (as db_bind) for its first row and
 * copies its columns, left to right, into the pointers that follow the
 * inputs, one letter of out a column:
 *   I  int64_t *      N  int *      F  double *
 *   S  char *, size_t (the text, "" for NULL, cut to fit)
 *   -  skips the column
 * Returns ERR_OK, ERR_NOT_FOUND (no row: outputs untouched), ERR_INTERNAL
 * (format mismatch) or ERR_DB. The statement is reset. */
enum err	 db_get(struct db *db, const char *sql, const char *fmt,
		    const char *out, ...);
/* Ends the run of a statement from db_bind or db_stmt (resets it, so it
 * holds no lock); NULL is ignored. */
void		 db_done(sqlite3_stmt *st);
/* Prepares a one-off statement (run-time SQL from the query compiler);
 * the caller finalises it. */
sqlite3_stmt	*db_prepare(struct db *db, const char *sql);
/* Returns a prepared statement for run-time SQL (the query compiler's),
 * kept prepared by its text for the next call with the same text (the
 * 32 used last are kept), or NULL with a log line. The statement belongs
 * to the cache: give it back with db_query_done, which resets it; until
 * then a call with the same text prepares another one. */
sqlite3_stmt	*db_query(struct db *db, const char *sql);
/* Gives back a statement from db_query (NULL is ignored). */
void		 db_query_done(struct db *db, sqlite3_stmt *st);
/* Steps a statement, retrying SQLITE_BUSY a bounded number of times.
 * Logs errors with the statement's SQL. */
enum db_rc	 db_step(struct db *db, sqlite3_stmt *st);

/* BEGIN IMMEDIATE (retried while busy), COMMIT and ROLLBACK. */
enum err	 db_begin(struct db *db);
enum err	 db_commit(struct db *db);
void		 db_rollback(struct db *db);
/* Work a transaction leaves for its end: fn(db, 1) runs at the outermost
 * commit, just before COMMIT and inside the transaction (an error it
 * returns rolls everything back and fails the commit); fn(db, 0) at the
 * outermost rollback, to forget it; either way fn forgets the work once
 * called, whatever it returns. Inside a transaction only (ERR_OK and
 * nothing registered outside one); a function registered twice in a
 * transaction runs once. Returns ERR_OK, or ERR_INTERNAL past
 * DB_AT_END_MAX functions. */
#define DB_AT_END_MAX	8
typedef enum err (*db_end_fn)(struct db *db, int commit);
enum err	 db_at_end(struct db *db, db_end_fn fn);
/* Whether a transaction is open (at any depth). */
int		 db_in_txn(const struct db *db);
/* Whether the outermost transaction is open and nothing is nested in it:
 * false once SQLite has rolled it back by itself (a full disk, an I/O
 * error) or a caller left a level open. */
int		 db_txn_whole(struct db *db);
/* The queue of group commits (several requests' writes in one
 * transaction): the processes sharing the database take their turns in
 * the order they asked, where SQLite's busy handler lets whoever polls
 * first win and a waiter can starve. db_queue_enter waits for this
 * connection's turn (at once if it has it); the turn ends with the next
 * transaction's end (commit or rollback), or db_queue_leave. A turn that
 * lasts past 200 ms is taken to be a dead process's and skipped; SQLite's
 * own lock still keeps writers apart. */
void		 db_queue_enter(struct db *db);
void		 db_queue_leave(struct db *db);
/* Rolls back every level, whatever the depth. */
void		 db_rollback_all(struct db *db);

/* Checkpoints (copying the WAL into the database, once it passed 1,000
 * pages) are made after the commit that made them due, by the committing
 * call. After db_checkpoint_later, they wait for db_checkpoint_if_due
 * instead: a server calls it once its answers are sent, so that no client
 * waits for a checkpoint. */
void		 db_checkpoint_later(struct db *db);
void		 db_checkpoint_if_due(struct db *db);

/* A value that changes whenever the database content may have changed,
 * by this connection or any other, committed or not (inside a
 * transaction, this connection's own writes change it too): for caches of
 * rendered answers. */
uint64_t	 db_change_stamp(struct db *db);

/* Copies the database, online, to path: a snapshot as of the copy's
 * start (one read transaction: writers go on meanwhile), written to
 * "<path>.partial", synced, checked (PRAGMA integrity_check), then renamed
 * to path, mode 0600. Returns ERR_OK, or an error with *why filled (no
 * file left behind). */
enum err	 db_backup(struct db *db, const char *path, char *why, size_t n);
/* Opens the database file path read-only and checks it: integrity_check
 * says "ok", and *version is its schema version (user_version). Returns
 * ERR_OK, or ERR_DB with *why filled. */
enum err	 db_check_file(const char *path, int *version, char *why, size_t n);

/* Whether a write of this connection met a full disk since the last call
 * (which clears it): nothing was written, and the episode is logged once
 * (its start, and its end at the next commit). */
int		 db_take_full(struct db *db);

/* What the shared page of the database counts, summed over every process
 * since the page was made. */
struct db_counters {
	uint64_t	 commits;	/* commits of write transactions */
	uint64_t	 busy_retries;	/* SQLite busy-handler retries */
	uint64_t	 group_commits;	/* group commits made (db_count_group) */
	uint64_t	 group_writes;	/* the requests they committed */
};
/* Fills *out (all zero without the shared page). */
void		 db_counters(struct db *db, struct db_counters *out);
/* Counts a group commit made, of writes requests. */
void		 db_count_group(struct db *db, size_t writes);

/* Bind helpers: NULL strings bind SQL NULL. */
void	 db_bind_text(sqlite3_stmt *st, int i, const char *s);
void	 db_bind_int(sqlite3_stmt *st, int i, int64_t v);
/* Binds a record id, or SQL NULL when id is 0 (no such relation). */
void	 db_bind_ref(sqlite3_stmt *st, int i, int64_t id);
/* Column helper: the text of a column, "" for NULL. */
const char *db_col_text(sqlite3_stmt *st, int i);

#endif
