/*
 * Subscription statistics against figures worked out by hand on a fixed
 * data set (the comments give the arithmetic).
 */
#include "unit.h"
#include "subscriptions.h"

static char dbpath[256];
static struct app *app;
static int docn;

static void
exec_sql(const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db_handle(app_db(app)), sql, 0, 0, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static const char *
docid(void)
{
	static char d[32];
	snprintf(d, sizeof(d), "stats%019d", ++docn);
	return d;
}

static void
merchant(int id)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "INSERT INTO merchants (id, document_id, name, "
	    "slug, email, created_at, updated_at) VALUES (%d, '%s', 'M%d', 'm%d', "
	    "'m%d@example.com', 't', 't')", id, docid(), id, id, id);
	exec_sql(sql);
}

static void
sub(int id, int m, int plan, const char *status, const char *created,
    const char *trial_end, const char *cancelled)
{
	char sql[800];
	snprintf(sql, sizeof(sql), "INSERT INTO subscriptions (id, document_id, "
	    "merchant_id, plan_id, status, trial_end, cancelled_at, created_at, "
	    "updated_at) VALUES (%d, '%s', %d, %d, '%s', %s%s%s, %s%s%s, '%s', '%s')",
	    id, docid(), m, plan, status, trial_end ? "'" : "", trial_end ?
	    trial_end : "NULL", trial_end ? "'" : "", cancelled ? "'" : "",
	    cancelled ? cancelled : "NULL", cancelled ? "'" : "", created, created);
	exec_sql(sql);
}

static void
invoice(int s, int m, const char *kind, const char *status, int subtotal,
    const char *paid)
{
	static int n;
	char sql[900];
	n++;
	snprintf(sql, sizeof(sql), "INSERT INTO invoices (document_id, number, kind, "
	    "merchant_id, subscription_id, status, lines, subtotal_cents, "
	    "tax_rate_bps, tax_cents, total_cents, currency, seller, buyer, "
	    "issued_at, due_at, paid_at, created_at, updated_at) VALUES ('%s', "
	    "'T-%06d', '%s', %d, %d, '%s', '[]', %d, 2000, %d, %d, 'EUR', '{}', '{}', "
	    "'%s', '%s', %s%s%s, 't', 't')", docid(), n, kind, m, s, status, subtotal,
	    subtotal / 5, subtotal + subtotal / 5, paid ? paid : "2026-05-01T00:00:00.000Z",
	    paid ? paid : "2026-05-01T00:00:00.000Z", paid ? "'" : "",
	    paid ? paid : "NULL", paid ? "'" : "");
	exec_sql(sql);
}

static int
setup(void **state)
{
	(void)state;
	if (unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app) != 0)
		return -1;
	/* Plans 1-3 are the demo's: 29, 79, 249 EUR a month; 4: 360 EUR a year. */
	exec_sql("INSERT INTO subscription_plans (id, document_id, name, slug, "
	    "price_cents, interval, created_at, updated_at) VALUES (4, "
	    "'statsplan000000000000004', 'Annual', 'annual', 36000, 'year', 't', 't')");
	for (int m = 11; m <= 16; m++)
		merchant(m);
	sub(1, 11, 1, "active", "2026-01-10T00:00:00.000Z", "2026-01-24T00:00:00.000Z", NULL);
	sub(2, 12, 2, "active", "2026-02-01T00:00:00.000Z", NULL, NULL);
	sub(3, 13, 4, "active", "2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z", NULL);
	sub(4, 14, 1, "past_due", "2026-04-01T00:00:00.000Z", NULL, NULL);
	sub(5, 15, 2, "cancelled", "2026-01-05T00:00:00.000Z", "2026-01-19T00:00:00.000Z",
	    "2026-06-01T00:00:00.000Z");
	sub(6, 16, 3, "trialing", "2026-06-10T00:00:00.000Z", "2026-06-24T00:00:00.000Z", NULL);
	static const char *const s1[] = { "2026-01-24", "2026-02-24", "2026-03-24",
	    "2026-04-24", "2026-05-24" };
	static const char *const s2[] = { "2026-02-01", "2026-03-01", "2026-04-01",
	    "2026-05-01", "2026-06-01" };
	char t[32];
	for (int i = 0; i < 5; i++) {
		snprintf(t, sizeof(t), "%sT00:00:00.000Z", s1[i]);
		invoice(1, 11, "invoice", "paid", 2900, t);
		snprintf(t, sizeof(t), "%sT00:00:00.000Z", s2[i]);
		invoice(2, 12, "invoice", "paid", 7900, t);
	}
	invoice(3, 13, "invoice", "paid", 36000, "2026-03-15T00:00:00.000Z");
	invoice(4, 14, "invoice", "paid", 2900, "2026-04-01T00:00:00.000Z");
	invoice(4, 14, "invoice", "open", 2900, NULL);
	invoice(2, 12, "credit_note", "paid", 500, "2026-05-10T00:00:00.000Z");
	invoice(2, 12, "invoice", "paid", 1000, "2025-05-01T00:00:00.000Z");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	app_close(app);
	unit_rmdb(dbpath);
	return 0;
}

static void
stats_should_match_hand_computed_figures(void **state)
{
	int64_t now;
	(void)state;
	assert_int_equal(clock_parse_ms("2026-06-15T12:00:00.000Z", &now), 0);
	cJSON *o = subscriptions_stats(app_db(app), now);
	assert_non_null(o);
	assert_int_equal(unit_num(o, "byStatus.active"), 3);
	assert_int_equal(unit_num(o, "byStatus.past_due"), 1);
	assert_int_equal(unit_num(o, "byStatus.cancelled"), 1);
	assert_int_equal(unit_num(o, "byStatus.trialing"), 1);
	assert_int_equal(unit_num(o, "byStatus.pending"), 0);
	/* MRR: 2900 + 7900 + 36000 / 12 = 13800; ARR 12 x; ARPU over 3. */
	assert_int_equal(unit_num(o, "mrrCents"), 13800);
	assert_int_equal(unit_num(o, "arrCents"), 165600);
	assert_int_equal(unit_num(o, "arpuCents"), 4600);
	/* Trials ended: subscriptions 1, 3, 5; paid since: 1 and 3. */
	assert_int_equal(unit_num(o, "trials.ended"), 3);
	assert_int_equal(unit_num(o, "trials.converted"), 2);
	assert_true(unit_num(o, "trialConversionRate") > 0.6666 &&
	    unit_num(o, "trialConversionRate") < 0.6667);
	/* Churn from 2026-05-16: 5 cancelled in the window; 1-5 live then. */
	assert_int_equal(unit_num(o, "churn.cancelled"), 1);
	assert_int_equal(unit_num(o, "churn.liveAtStart"), 5);
	assert_true(unit_num(o, "monthlyChurnRate") > 0.1999 &&
	    unit_num(o, "monthlyChurnRate") < 0.2001);
	/* Revenue before tax by month of payment, July 2025 to June 2026. */
	static const struct { const char *month; int cents; } rev[12] = {
		{ "2025-07", 0 }, { "2025-08", 0 }, { "2025-09", 0 }, { "2025-10", 0 },
		{ "2025-11", 0 }, { "2025-12", 0 },
		{ "2026-01", 2900 },			/* 1 */
		{ "2026-02", 2900 + 7900 },		/* 1, 2 */
		{ "2026-03", 2900 + 7900 + 36000 },	/* 1, 2, 3 */
		{ "2026-04", 2900 + 7900 + 2900 },	/* 1, 2, 4 */
		{ "2026-05", 2900 + 7900 - 500 },	/* 1, 2, less a credit note */
		{ "2026-06", 7900 },			/* 2 */
	};
	const cJSON *arr = cJSON_GetObjectItem(o, "revenueByMonth");
	assert_int_equal(cJSON_GetArraySize(arr), 12);
	for (int i = 0; i < 12; i++) {
		const cJSON *m = cJSON_GetArrayItem(arr, i);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(m, "month")),
		    rev[i].month);
		assert_int_equal(unit_num(m, "revenueCents"), rev[i].cents);
	}
	/* By plan: Starter 1 and 4 live, 1 active; Business 2; Enterprise 6
	 * (trialing); Annual 3. */
	static const struct { const char *name; int live, active; } plans[4] = {
		{ "Starter", 2, 1 }, { "Business", 1, 1 }, { "Enterprise", 1, 0 },
		{ "Annual", 1, 1 },
	};
	const cJSON *bp = cJSON_GetObjectItem(o, "byPlan");
	assert_int_equal(cJSON_GetArraySize(bp), 4);
	for (int i = 0; i < 4; i++) {
		const cJSON *p, *found = NULL;
		cJSON_ArrayForEach(p, bp)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")),
			    plans[i].name) == 0)
				found = p;
		assert_non_null(found);
		assert_int_equal(unit_num(found, "live"), plans[i].live);
		assert_int_equal(unit_num(found, "active"), plans[i].active);
	}
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats_should_match_hand_computed_figures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
