#include "unit.h"
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "id.h"

#include "platform.h"

static const char *const schema_v1 =
    "-- migration: 1 first\n"
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
static const char *const schema_v2 =
    "-- migration: 1 first\n"
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "-- migration: 2 second\n"
    "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT 'n';\n"
    "CREATE TABLE u (id INTEGER PRIMARY KEY);\n";
static const char *const schema_broken =
    "-- migration: 1 first\n"
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "-- migration: 2 second\n"
    "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT 'n';\n"
    "-- migration: 3 broken\n"
    "CREATE TABLE v (id INTEGER PRIMARY KEY);\n"
    "THIS IS NOT SQL;\n";

static int64_t
scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
migrate_should_create_the_real_schema_and_be_idempotent(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(db_migrate(db, schema_sql), ERR_OK);
	int latest = db_schema_latest(schema_sql);
	assert_true(latest >= 1);
	assert_int_equal(db_schema_version(db), latest);
	assert_int_equal(db_migrate(db, schema_sql), ERR_OK);
	assert_int_equal(db_schema_version(db), latest);
	/* The connection is set up as the SPEC says. */
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(scalar(db, "PRAGMA synchronous"), 2);
	sqlite3_stmt *st = db_prepare(db, "PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	db_close(db);
	unit_rmdb(path);
}

static void
migrate_should_upgrade_without_losing_data(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_migrate(db, schema_v1), ERR_OK);
	assert_int_equal(sqlite3_exec(db_handle(db),
	    "INSERT INTO t (name) VALUES ('kept')", NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_migrate(db, schema_v2), ERR_OK);
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t WHERE name = 'kept' "
	    "AND note = 'n'"), 1);
	db_close(db);
	unit_rmdb(path);
}

static void
migrate_should_roll_back_a_failing_migration_whole(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	fprintf(stderr, "(a db error line is expected below)\n");
	assert_int_equal(db_migrate(db, schema_broken), ERR_DB);
	/* 1 and 2 applied, 3 not at all: its table does not exist. */
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'v'"), 0);
	db_close(db);
	unit_rmdb(path);
}

static void
exec_ok(struct db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* The real schema up to (not including) migration n; caller frees. */
static char *
schema_before(int n)
{
	char mark[40];
	snprintf(mark, sizeof(mark), "\n-- migration: %d ", n);
	const char *end = strstr(schema_sql, mark);
	assert_non_null(end);
	return strndup(schema_sql, (size_t)(end - schema_sql) + 1);
}

static void
migration_7_should_keep_every_row_and_never_reuse_ids(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	char *v6 = schema_before(7);
	assert_int_equal(db_migrate(db, v6), ERR_OK);
	free(v6);
	assert_int_equal(db_schema_version(db), 6);
	/* A platform at version 6: a merchant, its user and an admin with a
	 * session, a ticket with a public reply and, last, an internal note. */
	exec_ok(db, "INSERT INTO merchants (id, document_id, name, slug, email, "
	    "created_at, updated_at) VALUES (1, 'mmmmmmmmmmmmmmmmmmmmmmm1', 'M', 'm', "
	    "'m@example.com', 'T0', 'T0')");
	exec_ok(db, "INSERT INTO users (id, document_id, email, username, "
	    "password_hash, role, merchant_id, created_at, updated_at) VALUES "
	    "(1, 'uuuuuuuuuuuuuuuuuuuuuuu1', 'u1@x.fr', 'u1', 'h', 'merchant', 1, "
	    "'T0', 'T0'), (2, 'uuuuuuuuuuuuuuuuuuuuuuu2', 'u2@x.fr', 'u2', 'h', "
	    "'admin', NULL, 'T0', 'T0')");
	exec_ok(db, "INSERT INTO sessions VALUES ('s', 2, 'c', 0, 99)");
	exec_ok(db, "INSERT INTO support_tickets (id, document_id, reference, "
	    "merchant_id, requester_id, subject, description, category, priority, "
	    "first_response_due_at, time_spent_minutes, created_at, updated_at) "
	    "VALUES (1, 'tttttttttttttttttttttttt', 'TCK-000001', 1, 1, 'S', 'D', "
	    "'technical', 'low', 'T9', 35, '2026-01-01', '2026-01-03')");
	exec_ok(db, "INSERT INTO ticket_responses (document_id, ticket_id, "
	    "merchant_id, author_id, author_role, body, internal, "
	    "time_spent_minutes, created_at, updated_at) VALUES "
	    "('rrrrrrrrrrrrrrrrrrrrrrr1', 1, 1, 2, 'admin', 'b', 0, 5, '2026-01-02', "
	    "'2026-01-02'), ('rrrrrrrrrrrrrrrrrrrrrrr2', 1, 1, 2, 'admin', 'n', 1, "
	    "30, '2026-01-03', '2026-01-03')");
	assert_int_equal(db_migrate(db, schema_sql), ERR_OK);
	assert_int_equal(db_schema_version(db), db_schema_latest(schema_sql));
	/* Every row is there, foreign keys hold and are on again; the
	 * session was not cascaded away by the rebuild of users. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM users"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sessions"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM ticket_responses"), 2);
	assert_int_equal(scalar(db, "SELECT credentials_version FROM users WHERE id = 2"), 1);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* What the merchant sees: the public reply's time and date only. */
	assert_int_equal(scalar(db, "SELECT time_spent_minutes FROM "
	    "support_tickets_as_merchant WHERE id = 1"), 5);
	assert_int_equal(scalar(db, "SELECT updated_at = '2026-01-02' FROM "
	    "support_tickets_as_merchant WHERE id = 1"), 1);
	assert_int_equal(scalar(db, "SELECT time_spent_minutes FROM support_tickets "
	    "WHERE id = 1"), 35);
	/* The highest id deleted is not given again. */
	exec_ok(db, "DELETE FROM users WHERE id = 2");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sessions"), 0);
	exec_ok(db, "INSERT INTO users (document_id, email, username, password_hash, "
	    "role, created_at, updated_at) VALUES ('uuuuuuuuuuuuuuuuuuuuuuu3', "
	    "'u3@x.fr', 'u3', 'h', 'admin', 'T1', 'T1')");
	assert_int_equal(scalar(db, "SELECT max(id) FROM users"), 3);
	/* A changed password ends the user's sessions and moves its version. */
	exec_ok(db, "INSERT INTO sessions VALUES ('s3', 3, 'c', 0, 99)");
	exec_ok(db, "UPDATE users SET name = 'x', failed_logins = 2 WHERE id = 3");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sessions"), 1);
	exec_ok(db, "UPDATE users SET password_hash = 'h2' WHERE id = 3");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(scalar(db, "SELECT credentials_version FROM users WHERE id = 3"), 2);
	db_close(db);
	unit_rmdb(path);
}

static void
migrate_should_refuse_a_migration_that_breaks_a_foreign_key(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	static const char *const schema =
	    "-- migration: 1 parent and child\n"
	    "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
	    "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id));\n"
	    "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);\n"
	    "-- migration: 2 loses the parent\n"
	    "DELETE FROM p;\n";
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	print_message("(a db error line is expected below)\n");
	assert_int_equal(db_migrate(db, schema), ERR_DB);
	assert_int_equal(db_schema_version(db), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM p"), 1);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	db_close(db);
	unit_rmdb(path);
}

static void
transactions_should_nest_as_savepoints(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_migrate(db, schema_v1), ERR_OK);
	assert_int_equal(db_begin(db), ERR_OK);
	sqlite3_exec(db_handle(db), "INSERT INTO t (name) VALUES ('outer')", 0, 0, 0);
	assert_int_equal(db_begin(db), ERR_OK);
	sqlite3_exec(db_handle(db), "INSERT INTO t (name) VALUES ('inner')", 0, 0, 0);
	db_rollback(db);
	assert_int_equal(db_commit(db), ERR_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t WHERE name = 'outer'"), 1);
	db_close(db);
	unit_rmdb(path);
}

static void
db_should_be_defensive(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	/* No extension loading, no attached databases, no schema writes. */
	assert_int_not_equal(sqlite3_exec(db_handle(db),
	    "SELECT load_extension('/tmp/x')", 0, 0, 0), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(db),
	    "ATTACH DATABASE '/tmp/other.db' AS o", 0, 0, 0), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(db),
	    "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql=''", 0, 0, 0),
	    SQLITE_OK);
	db_close(db);
	unit_rmdb(path);
}

/* The milliseconds a documentId's first characters say. */
static int64_t
document_id_time(const char *id)
{
	int64_t ms = 0;
	for (int k = 0; k < DOCUMENT_ID_TIME; k++)
		ms = ms * 36 + (id[k] <= '9' ? id[k] - '0' : 10 + id[k] - 'a');
	return ms;
}

static void
document_ids_should_be_24_lowercase_alphanumerics_in_time_order(void **state)
{
	char a[DOCUMENT_ID_LEN + 1], b[DOCUMENT_ID_LEN + 1];
	int seen[36] = { 0 };
	(void)state;
	int64_t before = clock_now_ms();
	for (int i = 0; i < 500; i++) {
		assert_int_equal(id_document_new(a), 0);
		assert_int_equal(strlen(a), 24);
		assert_true(id_is_document(a));
		/* The rest is random: every symbol turns up. */
		for (int k = DOCUMENT_ID_TIME; k < 24; k++)
			seen[a[k] >= 'a' ? a[k] - 'a' : 26 + a[k] - '0']++;
	}
	int64_t after = clock_now_ms();
	for (int k = 0; k < 36; k++)
		assert_true(seen[k] > 0);
	/* First the time it was made, so that it sorts after the ones before. */
	assert_in_range(document_id_time(a), before, after);
	usleep(2000);
	assert_int_equal(id_document_new(b), 0);
	assert_true(strcmp(a, b) < 0);
	assert_true(document_id_time(b) >= after + 2);
}

static void
url_ids_should_take_integers_and_document_ids_only(void **state)
{
	int64_t n = 0;
	(void)state;
	assert_int_equal(id_parse("42", &n), ID_INTEGER);
	assert_int_equal(n, 42);
	assert_int_equal(id_parse("a6t7bdp03ycub0y5zlqt9d6t", &n), ID_DOCUMENT);
	static const char *const bad[] = { "", "0", "042", "-1", "1e3", "abc",
	    "A6T7BDP03YCUB0Y5ZLQT9D6T", "a6t7bdp03ycub0y5zlqt9d6", "1 OR 1=1",
	    "9999999999999999999", "a6t7bdp03ycub0y5zlqt9d6t'" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(id_parse(bad[i], &n), ID_INVALID);
}

/* The statement cache grows as statements come: the 129th no longer
 * aborts, and every cached statement stays the one it was. */
static void
db_stmt_cache_should_grow_as_statements_come(void **state)
{
	char path[256];
	struct db *db;
	enum { N = 700 };
	char *sql[N];
	sqlite3_stmt *first[N];
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	for (int i = 0; i < N; i++) {
		char text[64];
		snprintf(text, sizeof(text), "SELECT %d + ?", i);
		sql[i] = strdup(text);
		first[i] = db_stmt(db, sql[i]);
		assert_non_null(first[i]);
	}
	assert_int_equal(db_stmt_cached(db), N);
	for (int i = 0; i < N; i++) {
		int64_t v = 0;
		assert_ptr_equal(db_stmt(db, sql[i]), first[i]);
		assert_int_equal(db_get(db, sql[i], "i", "I", (int64_t)1000, &v), ERR_OK);
		assert_int_equal(v, i + 1000);
	}
	assert_int_equal(db_stmt_cached(db), N);
	db_close(db);
	for (int i = 0; i < N; i++)
		free(sql[i]);
	unit_rmdb(path);
}

static const char *const helper_sql[] = {
	"CREATE TABLE h (id INTEGER PRIMARY KEY, name TEXT UNIQUE, ref INTEGER, "
	    "note TEXT, raw TEXT, score REAL)",
	"INSERT INTO h (name, ref, note, raw, score) VALUES (?, ?, ?, ?, ?)",
	"SELECT name, ref, note IS NULL, length(CAST(raw AS BLOB)), score, id FROM h "
	    "WHERE name = ?",
	"SELECT count(*) FROM h",
};

/* db_exec and db_get bind by their format, report constraints and
 * mismatches, and copy the first row's columns. */
static void
db_exec_and_get_should_bind_by_format(void **state)
{
	char path[256], name[8], text[64];
	struct db *db;
	int64_t ref = -1, rawlen = 0, id = 0;
	int nullnote = 0;
	double score = 0;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_exec(db, helper_sql[0], ""), ERR_OK);
	assert_int_equal(db_exec(db, helper_sql[1], "srtTf", "alpha", (int64_t)0, "",
	    "a\0b", (size_t)3, 2.5), ERR_OK);
	assert_int_equal(db_exec(db, helper_sql[1], "srtTf", "beta", (int64_t)42,
	    "kept", "xy", (size_t)2, 1.0), ERR_OK);
	/* A unique name twice: a conflict, nothing written. */
	assert_int_equal(db_exec(db, helper_sql[1], "srtTf", "alpha", (int64_t)1, "",
	    "", (size_t)0, 0.0), ERR_CONFLICT);
	/* A format that does not name every parameter: refused, not run. */
	assert_int_equal(db_exec(db, helper_sql[1], "sr", "gamma", (int64_t)1),
	    ERR_INTERNAL);
	assert_null(db_bind(db, helper_sql[1], "srtTfi", "gamma", (int64_t)1, "", "",
	    (size_t)0, 0.0, (int64_t)0));
	assert_int_equal(db_get(db, helper_sql[3], "", "I", &id), ERR_OK);
	assert_int_equal(id, 2);
	/* r binds 0 as NULL, t binds "" as NULL, T keeps its NUL. */
	assert_int_equal(db_get(db, helper_sql[2], "s", "SINIFI", "alpha", name,
	    sizeof(name), &ref, &nullnote, &rawlen, &score, &id), ERR_OK);
	assert_string_equal(name, "alpha");
	assert_int_equal(ref, 0);
	assert_int_equal(nullnote, 1);
	assert_int_equal(rawlen, 3);
	assert_true(score == 2.5);
	assert_int_equal(db_get(db, helper_sql[2], "s", "-I", "beta", &ref), ERR_OK);
	assert_int_equal(ref, 42);
	/* Text is cut to fit its buffer. */
	assert_int_equal(db_get(db, helper_sql[2], "s", "S", "alpha", text, (size_t)3),
	    ERR_OK);
	assert_string_equal(text, "al");
	/* No row: nothing copied. */
	ref = 7;
	assert_int_equal(db_get(db, helper_sql[2], "s", "-I", "nobody", &ref),
	    ERR_NOT_FOUND);
	assert_int_equal(ref, 7);
	/* A statement of the cache is left reset: a write lock is free. */
	sqlite3_stmt *st = db_bind(db, helper_sql[2], "s", "beta");
	assert_non_null(st);
	assert_int_equal(db_step(db, st), DB_ROW);
	db_done(st);
	assert_int_equal(db_begin(db), ERR_OK);
	assert_int_equal(db_commit(db), ERR_OK);
	db_close(db);
	unit_rmdb(path);
}


static void
db_query_should_keep_statements_by_their_text(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	char a[] = "SELECT 1 + ?", b[] = "SELECT 1 + ?";	/* same text, two copies */
	sqlite3_stmt *st = db_query(db, a);
	assert_non_null(st);
	/* In use: the same text gets a statement of its own. */
	sqlite3_stmt *other = db_query(db, b);
	assert_non_null(other);
	assert_ptr_not_equal(other, st);
	sqlite3_bind_int64(st, 1, 41);
	assert_int_equal(db_step(db, st), DB_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 42);
	db_query_done(db, st);
	db_query_done(db, other);
	/* Given back: the next call has it again, reset and unbound. */
	sqlite3_stmt *again = db_query(db, b);
	assert_true(again == st || again == other);
	assert_int_equal(db_step(db, again), DB_ROW);
	assert_int_equal(sqlite3_column_type(again, 0), SQLITE_NULL);
	db_query_done(db, again);
	/* 40 texts through 32 places: the ones used last stay. */
	char text[40][32];
	sqlite3_stmt *first[40];
	for (int i = 0; i < 40; i++) {
		snprintf(text[i], sizeof(text[i]), "SELECT %d", i);
		first[i] = db_query(db, text[i]);
		assert_int_equal(db_step(db, first[i]), DB_ROW);
		assert_int_equal(sqlite3_column_int(first[i], 0), i);
		db_query_done(db, first[i]);
	}
	sqlite3_stmt *last = db_query(db, text[39]);
	assert_ptr_equal(last, first[39]);
	db_query_done(db, last);
	db_close(db);
	unit_rmdb(path);
}

static void
db_should_take_the_write_lock_within_moments_of_its_release(void **state)
{
	char path[256];
	struct db *db, *other;
	struct db_counters before, after;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &db), ERR_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE t (x INTEGER)", ""), ERR_OK);
	db_counters(db, &before);
	/* A child holds the write lock for 20 ms, then commits. */
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (db_open(path, &other) != ERR_OK || db_begin(other) != ERR_OK ||
		    db_exec(other, "INSERT INTO t VALUES (1)", "") != ERR_OK)
			_exit(1);
		ssize_t w = write(ready[1], "x", 1);
		usleep(20000);
		_exit(w == 1 && db_commit(other) == ERR_OK ? 0 : 1);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	int64_t t0 = clock_mono_us();
	assert_int_equal(db_begin(db), ERR_OK);
	int64_t waited = clock_mono_us() - t0;
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (2)", ""), ERR_OK);
	assert_int_equal(db_commit(db), ERR_OK);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	int64_t n = 0;
	assert_int_equal(db_get(db, "SELECT count(*) FROM t", "", "I", &n), ERR_OK);
	assert_int_equal(n, 2);
	/* It waited for the commit, retrying in microseconds: SQLite's own
	 * busy timeout would have slept 1, 2, 5, 10 then 15 ms, past 33 ms.
	 * The shared page counted the retries and both commits. */
	assert_true(waited >= 15000);
	assert_true(waited < 20000 + 8000);
	db_counters(db, &after);
	assert_true(after.busy_retries > before.busy_retries);
	assert_int_equal(after.commits - before.commits, 2);	/* 1, then 2 */
	close(ready[0]);
	close(ready[1]);
	db_close(db);
	unit_rmdb(path);
}

/* Microseconds db_queue_enter(db) took. */
static int64_t
enter_us(struct db *db)
{
	int64_t t0 = clock_mono_us();
	db_queue_enter(db);
	return clock_mono_us() - t0;
}

static void
group_queue_should_skip_a_dead_turn_and_keep_order(void **state)
{
	char path[256];
	struct db *a, *b, *c, *d;
	(void)state;
	unit_tmpdb(path, sizeof(path));
	assert_int_equal(db_open(path, &a), ERR_OK);
	assert_int_equal(db_open(path, &b), ERR_OK);
	assert_int_equal(db_open(path, &c), ERR_OK);
	assert_int_equal(db_open(path, &d), ERR_OK);
	/* An empty queue: the turn at once. */
	assert_true(enter_us(a) < 50000);
	/* a never gives it back (as a process that died): b waits 200 ms,
	 * then takes it. */
	int64_t w = enter_us(b);
	assert_true(w >= 190000 && w < 2000000);
	/* a's late end does not end b's turn: c waits for it as well. */
	db_queue_leave(a);
	w = enter_us(c);
	assert_true(w >= 190000 && w < 2000000);
	/* Turns given back in order: the next comes at once. */
	db_queue_leave(b);
	db_queue_leave(c);
	assert_true(enter_us(d) < 50000);
	/* A transaction's end ends the turn. */
	assert_int_equal(db_begin(d), ERR_OK);
	assert_int_equal(db_commit(d), ERR_OK);
	assert_true(enter_us(a) < 50000);
	db_queue_leave(a);
	db_close(a);
	db_close(b);
	db_close(c);
	db_close(d);
	unit_rmdb(path);
}

/*
 * A VFS over the default one that counts the syncs of WAL files and, at
 * each, whether another connection could take the write lock then.
 */
static sqlite3_vfs counting_vfs, *real_vfs;
static struct db *other;	/* the other connection */
static int wal_syncs, wal_syncs_unlocked;

struct counted_file {
	sqlite3_file	 base;	/* counting_methods */
	const sqlite3_io_methods *real;	/* differ with the kind of file */
	int		 wal;
	/* the real file follows */
};

#define REAL(f)	(((struct counted_file *)(f))->real)

static sqlite3_file *
real_file(sqlite3_file *f)
{
	return (sqlite3_file *)((struct counted_file *)f + 1);
}

static int
counted_sync(sqlite3_file *f, int flags)
{
	if (((struct counted_file *)f)->wal) {
		wal_syncs++;
		if (other && sqlite3_exec(db_handle(other), "BEGIN IMMEDIATE; ROLLBACK",
		    NULL, NULL, NULL) == SQLITE_OK)
			wal_syncs_unlocked++;
	}
	return REAL(f)->xSync(real_file(f), flags);
}

#define PASS(name, args, call) \
	static int counted_##name args { return REAL(f)->name call; }
PASS(xClose, (sqlite3_file *f), (real_file(f)))
PASS(xRead, (sqlite3_file *f, void *b, int n, sqlite3_int64 o), (real_file(f), b, n, o))
PASS(xWrite, (sqlite3_file *f, const void *b, int n, sqlite3_int64 o),
    (real_file(f), b, n, o))
PASS(xTruncate, (sqlite3_file *f, sqlite3_int64 n), (real_file(f), n))
PASS(xFileSize, (sqlite3_file *f, sqlite3_int64 *n), (real_file(f), n))
PASS(xLock, (sqlite3_file *f, int l), (real_file(f), l))
PASS(xUnlock, (sqlite3_file *f, int l), (real_file(f), l))
PASS(xCheckReservedLock, (sqlite3_file *f, int *r), (real_file(f), r))
PASS(xFileControl, (sqlite3_file *f, int op, void *a), (real_file(f), op, a))
PASS(xSectorSize, (sqlite3_file *f), (real_file(f)))
PASS(xDeviceCharacteristics, (sqlite3_file *f), (real_file(f)))
PASS(xShmMap, (sqlite3_file *f, int i, int n, int e, void volatile **p),
    (real_file(f), i, n, e, p))
PASS(xShmLock, (sqlite3_file *f, int o, int n, int fl), (real_file(f), o, n, fl))
PASS(xShmUnmap, (sqlite3_file *f, int d), (real_file(f), d))
#undef PASS

static void
counted_barrier(sqlite3_file *f)
{
	REAL(f)->xShmBarrier(real_file(f));
}

static const sqlite3_io_methods counting_methods = {
	2, counted_xClose, counted_xRead, counted_xWrite, counted_xTruncate,
	counted_sync, counted_xFileSize, counted_xLock, counted_xUnlock,
	counted_xCheckReservedLock, counted_xFileControl, counted_xSectorSize,
	counted_xDeviceCharacteristics, counted_xShmMap, counted_xShmLock,
	counted_barrier, counted_xShmUnmap, NULL, NULL	/* no memory map */
};

static int
counted_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	(void)vfs;
	struct counted_file *cf = (struct counted_file *)f;
	memset(cf, 0, sizeof(*cf));
	int rc = real_vfs->xOpen(real_vfs, name, real_file(f), flags, out);
	if (rc != SQLITE_OK || real_file(f)->pMethods == NULL)
		return rc;
	cf->real = real_file(f)->pMethods;
	cf->wal = (flags & SQLITE_OPEN_WAL) != 0;
	f->pMethods = &counting_methods;
	return SQLITE_OK;
}

static void
durable_commit_should_sync_the_wal_once_the_write_lock_is_free(void **state)
{
	char path[256];
	struct db *db;
	(void)state;
	real_vfs = sqlite3_vfs_find(NULL);
	counting_vfs = *real_vfs;
	counting_vfs.zName = "counting";
	counting_vfs.szOsFile = (int)sizeof(struct counted_file) + real_vfs->szOsFile;
	counting_vfs.xOpen = counted_open;
	assert_int_equal(sqlite3_vfs_register(&counting_vfs, 1), SQLITE_OK);
	unit_tmpdb(path, sizeof(path));
	for (int durable = 1; durable >= 0; durable--) {
		db_set_durable(durable);
		assert_int_equal(db_open(path, &db), ERR_OK);
		assert_int_equal(db_exec(db, "CREATE TABLE IF NOT EXISTS t (v)", ""), ERR_OK);
		assert_int_equal(db_open(path, &other), ERR_OK);
		sqlite3_busy_handler(db_handle(other), NULL, NULL);
		/* A new WAL's header is synced when it is written: before. */
		assert_int_equal(db_exec(db, "INSERT INTO t VALUES (0)", ""), ERR_OK);
		wal_syncs = wal_syncs_unlocked = 0;
		assert_int_equal(db_begin(db), ERR_OK);
		assert_int_equal(db_exec(db, "INSERT INTO t VALUES (1)", ""), ERR_OK);
		/* Inside the transaction, the commit will not sync... */
		assert_int_equal(scalar(db, "PRAGMA synchronous"), 1);
		assert_int_equal(db_commit(db), ERR_OK);
		/* ... db_commit does, once, with the lock free: durable only. */
		assert_int_equal(wal_syncs, durable);
		assert_int_equal(wal_syncs_unlocked, durable);
		/* Statements outside a transaction sync at their commit. */
		assert_int_equal(scalar(db, "PRAGMA synchronous"), durable ? 2 : 1);
		wal_syncs = wal_syncs_unlocked = 0;
		assert_int_equal(db_exec(db, "INSERT INTO t VALUES (2)", ""), ERR_OK);
		assert_int_equal(wal_syncs, durable);
		assert_int_equal(wal_syncs_unlocked, 0);
		/* A rollback leaves the connection as it was. */
		assert_int_equal(db_begin(db), ERR_OK);
		db_rollback(db);
		assert_int_equal(scalar(db, "PRAGMA synchronous"), durable ? 2 : 1);
		db_close(other);
		other = NULL;
		db_close(db);
	}
	/* A database without a WAL (in memory) commits as ever. */
	db_set_durable(1);
	assert_int_equal(db_open(":memory:", &db), ERR_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE t (v)", ""), ERR_OK);
	assert_int_equal(db_begin(db), ERR_OK);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (1)", ""), ERR_OK);
	assert_int_equal(db_commit(db), ERR_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 1);
	db_close(db);
	sqlite3_vfs_unregister(&counting_vfs);
	unit_rmdb(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrate_should_create_the_real_schema_and_be_idempotent),
		cmocka_unit_test(migrate_should_upgrade_without_losing_data),
		cmocka_unit_test(migrate_should_roll_back_a_failing_migration_whole),
		cmocka_unit_test(migration_7_should_keep_every_row_and_never_reuse_ids),
		cmocka_unit_test(migrate_should_refuse_a_migration_that_breaks_a_foreign_key),
		cmocka_unit_test(transactions_should_nest_as_savepoints),
		cmocka_unit_test(db_should_be_defensive),
		cmocka_unit_test(document_ids_should_be_24_lowercase_alphanumerics_in_time_order),
		cmocka_unit_test(url_ids_should_take_integers_and_document_ids_only),
		cmocka_unit_test(db_stmt_cache_should_grow_as_statements_come),
		cmocka_unit_test(db_exec_and_get_should_bind_by_format),
		cmocka_unit_test(db_query_should_keep_statements_by_their_text),
		cmocka_unit_test(db_should_take_the_write_lock_within_moments_of_its_release),
		cmocka_unit_test(group_queue_should_skip_a_dead_turn_and_keep_order),
		cmocka_unit_test(durable_commit_should_sync_the_wal_once_the_write_lock_is_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
