#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "jobs.h"

enum stmt_jobs {
	STMT_JOBS_PUT,
	STMT_JOBS_NEXT,
	STMT_JOBS_LOCK,
	STMT_JOBS_DONE,
	STMT_JOBS_RETRY,
	STMT_JOBS_DUE,
	STMT_JOBS__MAX
};

static const char *const stmts[STMT_JOBS__MAX] = {
	[STMT_JOBS_PUT] = "INSERT OR IGNORE INTO jobs (kind, unique_key, payload, "
	    "run_at_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)",
	/* Due queued jobs, and running ones whose lease has ended. */
	[STMT_JOBS_NEXT] = "SELECT id, kind, payload, attempts, max_attempts FROM jobs "
	    "WHERE (state = 'queued' AND run_at_ms <= ?1) OR (state = 'running' AND "
	    "locked_until_ms <= ?1) ORDER BY run_at_ms, id LIMIT 1",
	[STMT_JOBS_LOCK] = "UPDATE jobs SET state = 'running', locked_by = ?, "
	    "locked_until_ms = ?, attempts = attempts + 1, updated_ms = ? WHERE id = ?",
	[STMT_JOBS_DONE] = "UPDATE jobs SET state = 'done', locked_by = NULL, "
	    "last_error = NULL, updated_ms = ? WHERE id = ?",
	[STMT_JOBS_RETRY] = "UPDATE jobs SET state = ?, run_at_ms = ?, locked_by = NULL, "
	    "locked_until_ms = 0, last_error = ?, updated_ms = ? WHERE id = ?",
	[STMT_JOBS_DUE] = "SELECT 1 FROM jobs WHERE (state = 'queued' AND run_at_ms <= ?1) "
	    "OR (state = 'running' AND locked_until_ms <= ?1) LIMIT 1",
};

int
jobs_due(struct db *db, int64_t now)
{
	int64_t one = 0;
	return db_get(db, stmts[STMT_JOBS_DUE], "i", "I", now, &one) == ERR_OK;
}

enum err
jobs_enqueue(struct db *db, const char *kind, const char *unique_key,
    const char *payload, int64_t run_at)
{
	int64_t now = clock_now_ms();
	return db_exec(db, stmts[STMT_JOBS_PUT], "sssiii", kind, unique_key,
	    payload ? payload : "{}", run_at, now, now) == ERR_OK ? ERR_OK : ERR_DB;
}

enum err
jobs_claim(struct db *db, const char *who, int64_t now, struct job *job, int *got)
{
	*got = 0;
	memset(job, 0, sizeof(*job));
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_JOBS_NEXT], "i", now);
	if (st == NULL)
		goto fail;
	enum db_rc r = db_step(db, st);
	if (r == DB_ROW) {
		job->id = sqlite3_column_int64(st, 0);
		snprintf(job->kind, sizeof(job->kind), "%s", db_col_text(st, 1));
		job->payload = cJSON_Parse(db_col_text(st, 2));
		job->attempts = sqlite3_column_int(st, 3) + 1;
		job->max_attempts = sqlite3_column_int(st, 4);
	}
	db_done(st);
	if (r == DB_DONE) {
		db_rollback(db);
		return ERR_OK;
	}
	if (r != DB_ROW || db_exec(db, stmts[STMT_JOBS_LOCK], "siii", who,
	    now + JOBS_LEASE_MS, now, job->id) != ERR_OK || db_commit(db) != ERR_OK)
		goto fail;
	*got = 1;
	return ERR_OK;
fail:
	db_rollback(db);
	jobs_release(job);
	return ERR_DB;
}

void
jobs_release(struct job *job)
{
	cJSON_Delete(job->payload);
	job->payload = NULL;
}

static enum err
mark_done(struct db *db, int64_t id, int64_t now)
{
	return db_exec(db, stmts[STMT_JOBS_DONE], "ii", now, id) == ERR_OK ? ERR_OK :
	    ERR_DB;
}

enum err
jobs_run(struct db *db, const struct job_kind *kinds, size_t nkinds,
    struct job *job, int64_t now)
{
	const struct job_kind *k = NULL;
	enum err rc = ERR_INTERNAL;
	for (size_t i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].kind, job->kind) == 0)
			k = &kinds[i];
	if (k && k->atomic) {
		if ((rc = db_begin(db)) == ERR_OK) {
			rc = k->run(db, job, now);
			if (rc == ERR_OK)
				rc = mark_done(db, job->id, now);
			if (rc == ERR_OK)
				rc = db_commit(db);
			else
				db_rollback(db);
		}
	} else if (k) {
		rc = k->run(db, job, now);
		if (rc == ERR_OK)
			rc = mark_done(db, job->id, now);
	}
	if (rc == ERR_OK)
		return ERR_OK;
	/* Failed: again after 1, 2, 4 ... minutes, or given up. */
	int last = job->attempts >= job->max_attempts;
	int64_t delay = (int64_t)60000 << (job->attempts > 10 ? 10 : job->attempts - 1);
	char why[96];
	snprintf(why, sizeof(why), k ? "%s failed (%s)" : "no handler for %s%s",
	    job->kind, k ? err_name(rc) : "");
	enum err e = db_exec(db, stmts[STMT_JOBS_RETRY], "sisii", last ? "failed" : "queued",
	    now + delay, why, now, job->id);
	fprintf(stderr, "job %lld: %s, attempt %d of %d\n", (long long)job->id, why,
	    job->attempts, job->max_attempts);
	return e == ERR_OK ? rc : ERR_DB;
}

int
jobs_drain(struct db *db, const struct job_kind *kinds, size_t nkinds,
    const char *who, int64_t now, int max)
{
	int ran = 0;
	while (ran < max) {
		struct job job;
		int got = 0;
		if (jobs_claim(db, who, now, &job, &got) != ERR_OK)
			return -1;
		if (!got)
			break;
		enum err rc = jobs_run(db, kinds, nkinds, &job, now);
		jobs_release(&job);
		if (rc == ERR_DB)
			return -1;
		ran++;
	}
	return ran;
}
