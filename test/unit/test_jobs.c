/* The durable job table: claims, leases, apply-once, retries. */
#include "unit.h"
#include "background.h"
#include "jobs.h"
#include "outbox.h"

static char dbpath[256];
static struct app *app;
static int fail_next;

static int
setup(void **state)
{
	(void)state;
	return unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app);
}

static int
teardown(void **state)
{
	(void)state;
	app_close(app);
	unit_rmdb(dbpath);
	return 0;
}

/* An atomic job: queues an e-mail; fails (after writing) when asked. */
static enum err
job_mail(struct db *db, const struct job *job, int64_t now)
{
	(void)job;
	enum err rc = outbox_queue(db, "test", "x@example.com", "s", "b", 0, NULL, now);
	if (rc == ERR_OK && fail_next) {
		fail_next--;
		return ERR_INTERNAL;
	}
	return rc;
}

static const struct job_kind kinds[] = { { "test.mail", 1, job_mail } };

static int64_t
q(const char *sql)
{
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
jobs_should_be_queued_once_per_key(void **state)
{
	(void)state;
	struct db *db = app_db(app);
	assert_int_equal(jobs_enqueue(db, "test.mail", "k1", NULL, 1000), ERR_OK);
	assert_int_equal(jobs_enqueue(db, "test.mail", "k1", NULL, 1000), ERR_OK);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE unique_key = 'k1'"), 1);
}

static void
jobs_should_be_applied_once(void **state)
{
	(void)state;
	struct db *db = app_db(app);
	int64_t mails = q("SELECT count(*) FROM email_outbox");
	assert_int_equal(jobs_drain(db, kinds, 1, "w1", 2000, 100), 1);
	assert_int_equal(q("SELECT count(*) FROM email_outbox"), mails + 1);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE unique_key = 'k1' AND "
	    "state = 'done'"), 1);
	/* Done is done: nothing runs again. */
	assert_int_equal(jobs_drain(db, kinds, 1, "w1", 999999999, 100), 0);
	assert_int_equal(q("SELECT count(*) FROM email_outbox"), mails + 1);
}

static void
claims_of_a_dead_worker_should_expire(void **state)
{
	(void)state;
	struct db *db = app_db(app);
	struct job job;
	int got = 0;
	assert_int_equal(jobs_enqueue(db, "test.mail", "k2", NULL, 3000), ERR_OK);
	/* Worker 1 claims it and dies before finishing. */
	assert_int_equal(jobs_claim(db, "w1", 3000, &job, &got), ERR_OK);
	assert_true(got);
	jobs_release(&job);
	/* Within the lease nobody else takes it. */
	assert_int_equal(jobs_claim(db, "w2", 3000 + JOBS_LEASE_MS - 1, &job, &got),
	    ERR_OK);
	assert_false(got);
	/* After it, worker 2 does, and applies it once. */
	int64_t mails = q("SELECT count(*) FROM email_outbox");
	assert_int_equal(jobs_drain(db, kinds, 1, "w2", 3000 + JOBS_LEASE_MS, 10), 1);
	assert_int_equal(q("SELECT count(*) FROM email_outbox"), mails + 1);
	assert_int_equal(q("SELECT attempts FROM jobs WHERE unique_key = 'k2'"), 2);
}

static void
failing_jobs_should_roll_back_retry_and_give_up(void **state)
{
	(void)state;
	struct db *db = app_db(app);
	int64_t mails = q("SELECT count(*) FROM email_outbox");
	assert_int_equal(jobs_enqueue(db, "test.mail", "k3", NULL, 5000), ERR_OK);
	fail_next = 100;
	int64_t now = 5000;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(jobs_drain(db, kinds, 1, "w1", now, 10), 1);
		/* Its write was rolled back with it. */
		assert_int_equal(q("SELECT count(*) FROM email_outbox"), mails);
		now += (int64_t)60000 << i;	/* the next attempt's time */
	}
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE unique_key = 'k3' AND "
	    "state = 'failed' AND last_error LIKE 'test.mail failed%'"), 1);
	assert_int_equal(jobs_drain(db, kinds, 1, "w1", now * 10, 10), 0);
	fail_next = 0;
	/* An unknown kind fails the same way, without crashing the worker. */
	assert_int_equal(jobs_enqueue(db, "nope", "k4", NULL, 1), ERR_OK);
	assert_int_equal(jobs_drain(db, kinds, 1, "w1", 10, 10), 1);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE unique_key = 'k4' AND "
	    "last_error = 'no handler for nope'"), 1);
}

static void
schedule_should_queue_billing_once_a_minute(void **state)
{
	(void)state;
	struct db *db = app_db(app);
	int64_t t = 1800000000000LL;
	for (int s = 0; s < 60; s++)
		assert_int_equal(background_schedule(db, t + s * 1000), ERR_OK);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE kind = 'billing.run'"), 1);
	assert_int_equal(background_schedule(db, t + 60000), ERR_OK);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE kind = 'billing.run'"), 2);
	/* (The unknown job of the test before comes back for its retries; the
	 * shops' probes are queued too, one each PLATFORM_PROBE_INTERVAL_S.) */
	assert_true(jobs_drain(db, background_jobs, nbackground_jobs, "w",
	    t + 60000, 200) >= 2);
	assert_int_equal(q("SELECT count(*) FROM jobs WHERE kind = 'billing.run' AND "
	    "state = 'done'"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jobs_should_be_queued_once_per_key),
		cmocka_unit_test(jobs_should_be_applied_once),
		cmocka_unit_test(claims_of_a_dead_worker_should_expire),
		cmocka_unit_test(failing_jobs_should_roll_back_retry_and_give_up),
		cmocka_unit_test(schedule_should_queue_billing_once_a_minute),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
