/* The demo data: a year of billing history made by the engine. */
#include "unit.h"

static int64_t
q(struct app *app, const char *sql)
{
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
demo_should_hold_a_year_of_history(void **state)
{
	char path[256];
	struct app *app;
	(void)state;
	assert_int_equal(unit_app_open(path, sizeof(path), 1 << 16, &app), 0);
	assert_int_equal(demo_seed(app_db(app)), ERR_OK);
	/* Signed up over the past twelve months, on each plan. */
	assert_true(q(app, "SELECT count(DISTINCT plan_id) FROM subscriptions") >= 3);
	assert_true(q(app, "SELECT julianday('now') - julianday(min(signup_date)) "
	    "FROM merchants") > 300);
	/* One past due, one cancelled, one in trial; the rest active. */
	assert_int_equal(q(app, "SELECT count(*) FROM subscriptions WHERE status = 'past_due'"), 1);
	assert_int_equal(q(app, "SELECT count(*) FROM subscriptions WHERE status = 'cancelled'"), 1);
	assert_int_equal(q(app, "SELECT count(*) FROM subscriptions WHERE status = 'trialing'"), 1);
	assert_true(q(app, "SELECT count(*) FROM subscriptions WHERE status = 'active'") >= 5);
	/* Renewals with paid invoices; Boutique Clara has some. */
	assert_true(q(app, "SELECT count(*) FROM invoices WHERE status = 'paid'") > 30);
	assert_true(q(app, "SELECT count(*) FROM invoices i JOIN merchants m ON "
	    "m.id = i.merchant_id WHERE m.slug = 'boutique-clara' AND i.status = 'paid'") >= 1);
	/* Gapless numbers within each year. */
	assert_int_equal(q(app, "SELECT count(*) FROM invoices i WHERE "
	    "CAST(substr(number, 8) AS INTEGER) != (SELECT count(*) FROM invoices j "
	    "WHERE substr(j.number, 1, 6) = substr(i.number, 1, 6) AND j.id <= i.id)"), 0);
	/* Seeding again changes nothing. */
	int64_t n = q(app, "SELECT count(*) FROM invoices");
	assert_int_equal(demo_seed(app_db(app)), ERR_OK);
	assert_int_equal(q(app, "SELECT count(*) FROM invoices"), n);
	app_close(app);
	unit_rmdb(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_should_hold_a_year_of_history),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
