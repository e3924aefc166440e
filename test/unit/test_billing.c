/*
 * The billing engine over simulated time: the clock moves, billing_run()
 * takes what is due, exactly as the background worker does.
 */
#include <sys/wait.h>

#include "unit.h"
#include "invoices.h"
#include "subscriptions.h"
#include "pdf.h"

static char dbpath[256];
static char auth[JWT_MAX_LEN + 16];
static struct app *app;
static struct seller seller;
static int64_t offset;

static int
setup(void **state)
{
	(void)state;
	if (unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app) != 0)
		return -1;
	unit_bearer(app, "admin@example.com", auth, sizeof(auth));
	seller_from_config(&seller);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	clock_set_offset_ms(0);
	app_close(app);
	unit_rmdb(dbpath);
	return 0;
}

/* Moves the clock on and lets the engine catch up. */
static int
advance(int64_t ms)
{
	offset += ms;
	clock_set_offset_ms(offset);
	return billing_run(app_db(app), &seller, clock_now_ms());
}

static cJSON *
call(enum http_method m, const char *path, const char *query, const char *body,
    int *status)
{
	struct request req;
	struct response resp;
	unit_request(&req, m, path, query);
	if (body) {
		req.body = body;
		req.body_len = strlen(body);
		http_add_header(&req, "content-type", "application/json");
	}
	/* Signed now: the clock moves by months between calls. */
	unit_bearer(app, "admin@example.com", auth, sizeof(auth));
	http_add_header(&req, "authorization", auth);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	*status = resp.status;
	cJSON *o = cJSON_Parse(buf_str(&resp.body));
	resp_free(&resp);
	arena_free(&req.arena);
	return o;
}

static int64_t
sql_int(const char *sql)
{
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The text of the first column of the first row of sql into out. */
static void
sql_text(const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void
sql_exec(const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(app_db(app)), sql, 0, 0, 0), SQLITE_OK);
}

/* A new merchant (slug) paying plan (slug); returns the subscription id. */
static int64_t
subscribe(const char *slug, const char *plan, const char *payment)
{
	char body[512];
	int st;
	snprintf(body, sizeof(body), "{\"data\":{\"name\":\"%s\",\"slug\":\"%s\","
	    "\"email\":\"%s@example.com\",\"country\":\"FR\"}}", slug, slug, slug);
	cJSON *o = call(METHOD_POST, "/api/merchants", "", body, &st);
	assert_int_equal(st, 201);
	int64_t m = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	char sql[200];
	snprintf(sql, sizeof(sql), "UPDATE merchants SET payment_method = '%s' "
	    "WHERE id = %lld", payment, (long long)m);
	sql_exec(sql);
	int64_t p = 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM subscription_plans WHERE slug = '%s'",
	    plan);
	p = sql_int(sql);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"plan\":%lld}}",
	    (long long)m, (long long)p);
	o = call(METHOD_POST, "/api/subscriptions", "", body, &st);
	if (st != 201)
		fail_msg("subscribe: %d %s", st, cJSON_PrintUnformatted(o));
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	return id;
}

static const char *
status_of(int64_t sub, char *out, size_t n)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT status FROM subscriptions WHERE id = %lld",
	    (long long)sub);
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static int64_t
count_invoices(int64_t sub, const char *status)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE "
	    "subscription_id = %lld AND status = '%s' AND kind = 'invoice'",
	    (long long)sub, status);
	return sql_int(sql);
}

static void
trial_should_convert_and_renew_for_a_year(void **state)
{
	char s[16];
	(void)state;
	int64_t sub = subscribe("yearly-shop", "starter", "card");
	assert_string_equal(status_of(sub, s, sizeof(s)), "trialing");
	assert_int_equal(count_invoices(sub, "paid"), 0);
	/* Day 14: the trial ends, the first month is invoiced and paid. */
	assert_int_equal(advance(14 * CLOCK_DAY_MS + 1000), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "active");
	assert_int_equal(count_invoices(sub, "paid"), 1);
	/* Eleven more months, one at a time: one renewal each. */
	for (int i = 0; i < 11; i++) {
		assert_int_equal(advance(31 * CLOCK_DAY_MS), 1);
		assert_string_equal(status_of(sub, s, sizeof(s)), "active");
	}
	assert_int_equal(count_invoices(sub, "paid"), 12);
	/* Every invoice: 29,00 + 20 % VAT = 34,80, one period each, and no
	 * number is skipped or repeated within its year. */
	assert_int_equal(sql_int("SELECT count(*) FROM invoices WHERE subscription_id "
	    "= 1 AND (subtotal_cents != 2900 OR tax_cents != 580 OR total_cents != 3480)"),
	    0);
	assert_int_equal(sql_int("SELECT count(*) FROM invoices i WHERE "
	    "CAST(substr(number, 8) AS INTEGER) != (SELECT count(*) FROM invoices j "
	    "WHERE substr(j.number, 1, 6) = substr(i.number, 1, 6) AND j.id <= i.id)"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM email_outbox WHERE kind = "
	    "'invoice_issued'"), sql_int("SELECT count(*) FROM invoices"));
	/* Periods follow each other without gap. */
	assert_int_equal(sql_int("SELECT count(*) FROM invoices a JOIN invoices b ON "
	    "b.subscription_id = a.subscription_id AND b.id = (SELECT min(id) FROM "
	    "invoices WHERE subscription_id = a.subscription_id AND id > a.id) "
	    "WHERE a.period_end != b.period_start"), 0);
}

static void
failed_payment_should_retry_and_recover(void **state)
{
	char s[16];
	(void)state;
	offset = 0;
	clock_set_offset_ms(0);
	/* A plan without trial: pending until the first invoice is paid. */
	int st;
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "", "{\"data\":{"
	    "\"name\":\"Now\",\"slug\":\"now\",\"priceCents\":1000}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	int64_t sub = subscribe("card-fails", "now", "card");
	assert_string_equal(status_of(sub, s, sizeof(s)), "active");
	assert_int_equal(count_invoices(sub, "paid"), 1);
	/* The card starts failing: the renewal is refused. */
	char sql[200];
	snprintf(sql, sizeof(sql), "UPDATE merchants SET payment_method = "
	    "'failing-card' WHERE slug = 'card-fails'");
	sql_exec(sql);
	advance(31 * CLOCK_DAY_MS);
	assert_string_equal(status_of(sub, s, sizeof(s)), "past_due");
	assert_int_equal(count_invoices(sub, "open"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM email_outbox WHERE kind = "
	    "'payment_failed'"), 1);
	/* Day 1: retried, refused again. */
	assert_int_equal(advance(1 * CLOCK_DAY_MS + 1000), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "past_due");
	/* Nothing happens before day 3. */
	assert_int_equal(advance(1 * CLOCK_DAY_MS), 0);
	/* The card works again: day 3's retry succeeds. */
	sql_exec("UPDATE merchants SET payment_method = 'card' WHERE slug = 'card-fails'");
	assert_int_equal(advance(1 * CLOCK_DAY_MS), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "active");
	assert_int_equal(count_invoices(sub, "open"), 0);
	assert_int_equal(count_invoices(sub, "paid"), 2);
	assert_int_equal(sql_int("SELECT payment_attempts FROM invoices WHERE "
	    "subscription_id = 2 ORDER BY id DESC LIMIT 1"), 3);
}

static void
final_failure_should_cancel(void **state)
{
	char s[16];
	(void)state;
	int64_t sub = subscribe("never-pays", "now", "failing-card");
	assert_string_equal(status_of(sub, s, sizeof(s)), "pending");
	/* Retries after 1, 3 and 5 days, then the end. */
	assert_int_equal(advance(1 * CLOCK_DAY_MS + 1000), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "pending");
	assert_int_equal(advance(2 * CLOCK_DAY_MS), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "pending");
	assert_int_equal(advance(2 * CLOCK_DAY_MS), 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "cancelled");
	assert_int_equal(count_invoices(sub, "uncollectible"), 1);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriptions WHERE id = %lld "
	    "AND cancellation_reason = 'payment_failed'", (long long)sub);
	assert_int_equal(sql_int(sql), 1);
	/* Nothing is due for it any more. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE "
	    "subscription_id = %lld", (long long)sub);
	int64_t n = sql_int(sql);
	advance(40 * CLOCK_DAY_MS);
	assert_string_equal(status_of(sub, s, sizeof(s)), "cancelled");
	assert_int_equal(sql_int(sql), n);
}

static void
cancellation_should_take_effect_at_period_end_or_now(void **state)
{
	char s[16], path[96];
	int st;
	(void)state;
	int64_t sub = subscribe("leaving-later", "now", "card");
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub);
	cJSON *o = call(METHOD_PUT, path, "", "{\"data\":{\"reason\":\"too expensive\"}}",
	    &st);
	assert_int_equal(st, 200);
	const cJSON *d = cJSON_GetObjectItem(o, "data");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(d, "status")), "active");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "cancelAtPeriodEnd")));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(d,
	    "cancellationReason")), "too expensive");
	cJSON_Delete(o);
	/* Reactivated, cancelled again: at the period's end it ends, unbilled. */
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/reactivate", (long long)sub);
	o = call(METHOD_PUT, path, "", NULL, &st);
	assert_int_equal(st, 200);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "cancelAtPeriodEnd")));
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub);
	o = call(METHOD_PUT, path, "", NULL, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	int64_t before = count_invoices(sub, "paid");
	assert_int_equal(advance(31 * CLOCK_DAY_MS + 1000) >= 1, 1);
	assert_string_equal(status_of(sub, s, sizeof(s)), "cancelled");
	assert_int_equal(count_invoices(sub, "paid"), before);
	/* Reactivating after the end: refused. */
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/reactivate", (long long)sub);
	o = call(METHOD_PUT, path, "", NULL, &st);
	assert_int_equal(st, 409);
	cJSON_Delete(o);

	/* Immediately: cancelled at once; a new subscription is then possible. */
	int64_t sub2 = subscribe("leaving-now", "now", "card");
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub2);
	o = call(METHOD_PUT, path, "", "{\"data\":{\"immediately\":true}}", &st);
	assert_int_equal(st, 200);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "status")), "cancelled");
	cJSON_Delete(o);
	o = call(METHOD_PUT, path, "", NULL, &st);
	assert_int_equal(st, 409);
	cJSON_Delete(o);
}

static void
one_live_subscription_per_merchant(void **state)
{
	int st;
	(void)state;
	subscribe("only-one", "starter", "card");
	int64_t m = sql_int("SELECT id FROM merchants WHERE slug = 'only-one'");
	char body[128];
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"plan\":2}}",
	    (long long)m);
	cJSON *o = call(METHOD_POST, "/api/subscriptions", "", body, &st);
	assert_int_equal(st, 409);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "error"), "name")), "ApplicationError");
	cJSON_Delete(o);
}

/* POST /api/subscriptions for an existing merchant; returns the answer. */
static cJSON *
resubscribe(int64_t merchant, const char *plan, int *st)
{
	char body[160], sql[160];
	snprintf(sql, sizeof(sql), "SELECT id FROM subscription_plans WHERE slug = '%s'",
	    plan);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"plan\":%lld}}",
	    (long long)merchant, (long long)sql_int(sql));
	return call(METHOD_POST, "/api/subscriptions", "", body, st);
}

static void
cancel_now(int64_t sub)
{
	char path[96];
	int st;
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub);
	cJSON *o = call(METHOD_PUT, path, "", "{\"data\":{\"immediately\":true}}", &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
}

static const char *
data_str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), k));
}

static void
trials_should_be_once_per_merchant_and_debts_should_block(void **state)
{
	int st;
	char s[16];
	(void)state;
	/* A trial, cancelled at once, then a new subscription: no new trial,
	 * on this plan or another; the first period is billed at once. */
	int64_t sub = subscribe("trial-hunter", "starter", "card");
	assert_string_equal(status_of(sub, s, sizeof(s)), "trialing");
	int64_t m = sql_int("SELECT id FROM merchants WHERE slug = 'trial-hunter'");
	static const char *const plans[] = { "starter", "business" };
	for (size_t i = 0; i < 2; i++) {
		cancel_now(sub);
		cJSON *o = resubscribe(m, plans[i], &st);
		assert_int_equal(st, 201);
		assert_string_equal(data_str(o, "status"), "active");
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
		    "data"), "trialEnd")));
		sub = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "data"), "id"));
		cJSON_Delete(o);
		assert_int_equal(count_invoices(sub, "paid"), 1);
	}
	/* A merchant whose first invoice is unpaid cancels at once: a new
	 * subscription waits until that invoice is paid. */
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "", "{\"data\":{"
	    "\"name\":\"Upfront\",\"slug\":\"upfront\",\"priceCents\":1500}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	sub = subscribe("debtor", "upfront", "failing-card");
	assert_string_equal(status_of(sub, s, sizeof(s)), "pending");
	cancel_now(sub);
	int64_t d = sql_int("SELECT id FROM merchants WHERE slug = 'debtor'");
	char want[200], sql[200];
	snprintf(sql, sizeof(sql), "SELECT id FROM invoices WHERE subscription_id = %lld",
	    (long long)sub);
	int64_t inv = sql_int(sql);
	char number[32];
	snprintf(sql, sizeof(sql), "SELECT number FROM invoices WHERE id = %lld",
	    (long long)inv);
	sql_text(sql, number, sizeof(number));
	snprintf(want, sizeof(want), "This merchant has an unpaid invoice (%s): it must "
	    "be paid before a new subscription", number);
	for (size_t i = 0; i < 2; i++) {
		o = resubscribe(d, i ? "starter" : "upfront", &st);
		assert_int_equal(st, 409);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "error"), "message")), want);
		cJSON_Delete(o);
	}
	/* Once paid (here by hand) it may subscribe, and, never having had a
	 * trial, it gets one. */
	snprintf(sql, sizeof(sql), "UPDATE invoices SET status = 'paid' WHERE id = %lld",
	    (long long)inv);
	sql_exec(sql);
	o = resubscribe(d, "starter", &st);
	assert_int_equal(st, 201);
	assert_string_equal(data_str(o, "status"), "trialing");
	cJSON_Delete(o);
	/* A merchant whose debts were written off after dunning may subscribe
	 * again, but pays up front: no trial. */
	int64_t gone = subscribe("written-off", "upfront", "failing-card");
	for (int i = 0; i < 3; i++)
		advance(3 * CLOCK_DAY_MS);
	assert_string_equal(status_of(gone, s, sizeof(s)), "cancelled");
	assert_int_equal(count_invoices(gone, "uncollectible"), 1);
	int64_t w = sql_int("SELECT id FROM merchants WHERE slug = 'written-off'");
	sql_exec("UPDATE merchants SET payment_method = 'card' WHERE slug = 'written-off'");
	o = resubscribe(w, "starter", &st);
	assert_int_equal(st, 201);
	assert_string_equal(data_str(o, "status"), "active");
	cJSON_Delete(o);
}

static void
plan_change_should_be_prorated_to_the_day(void **state)
{
	int st;
	char path[96];
	(void)state;
	offset = 0;
	clock_set_offset_ms(0);
	/* Two plans without trial: 30,00 and 90,00 a month. */
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "", "{\"data\":{"
	    "\"name\":\"Small\",\"slug\":\"small\",\"priceCents\":3000}}", &st);
	cJSON_Delete(o);
	o = call(METHOD_POST, "/api/subscription-plans", "", "{\"data\":{"
	    "\"name\":\"Large\",\"slug\":\"large\",\"priceCents\":9000}}", &st);
	cJSON_Delete(o);
	int64_t large = sql_int("SELECT id FROM subscription_plans WHERE slug = 'large'");
	int64_t small = sql_int("SELECT id FROM subscription_plans WHERE slug = 'small'");
	int64_t sub = subscribe("upgrader", "small", "card");
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT CAST(round((julianday(current_period_end) "
	    "- julianday(current_period_start))) AS INTEGER) FROM subscriptions "
	    "WHERE id = %lld", (long long)sub);
	int64_t days = sql_int(sql);	/* 28 to 31 */
	/* Ten days in, upgrade: (90 - 30) * (days - 10) / days, before tax. */
	offset += 10 * CLOCK_DAY_MS + 3600 * 1000;
	clock_set_offset_ms(offset);
	snprintf(path, sizeof(path), "/api/subscriptions/%lld", (long long)sub);
	char body[96];
	snprintf(body, sizeof(body), "{\"data\":{\"plan\":%lld}}", (long long)large);
	o = call(METHOD_PUT, path, "", body, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	int64_t want = money_mul_div(6000, days - 10 - 1, days);
	/* days left counts whole days: 10 days and an hour in, days - 11 remain. */
	snprintf(sql, sizeof(sql), "SELECT subtotal_cents FROM invoices WHERE "
	    "subscription_id = %lld AND kind = 'invoice' ORDER BY id DESC LIMIT 1",
	    (long long)sub);
	assert_int_equal(sql_int(sql), want);
	snprintf(sql, sizeof(sql), "SELECT total_cents FROM invoices WHERE "
	    "subscription_id = %lld ORDER BY id DESC LIMIT 1", (long long)sub);
	assert_int_equal(sql_int(sql), want + money_mul_div(want, 2000, 10000));
	/* Downgrading the same day: a credit note of its own series. */
	snprintf(body, sizeof(body), "{\"data\":{\"plan\":%lld}}", (long long)small);
	o = call(METHOD_PUT, path, "", body, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	snprintf(sql, sizeof(sql), "SELECT subtotal_cents FROM invoices WHERE "
	    "subscription_id = %lld AND kind = 'credit_note' AND number LIKE 'A-%%'",
	    (long long)sub);
	assert_int_equal(sql_int(sql), want);
	/* A plan change to the same plan bills nothing. */
	int64_t n = sql_int("SELECT count(*) FROM invoices");
	o = call(METHOD_PUT, path, "", body, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	assert_int_equal(sql_int("SELECT count(*) FROM invoices"), n);
}

static void
invoice_numbers_should_stay_gapless_across_processes(void **state)
{
	(void)state;
	int64_t merchant = sql_int("SELECT id FROM merchants LIMIT 1");
	int64_t before = sql_int("SELECT count(*) FROM invoices WHERE number LIKE 'F-%'");
	enum { PROCS = 4, EACH = 25 };
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct db *db = NULL;
			int bad = db_open(dbpath, &db) != ERR_OK;
			for (int i = 0; i < EACH && !bad; i++) {
				struct invoice_line l = { "Concurrent", 1, 100 };
				int64_t id;
				char number[32];
				if (db_begin(db) != ERR_OK) {
					bad = 1;
					break;
				}
				if (invoice_issue(db, &seller, merchant, 0, "invoice", &l, 1,
				    "EUR", 0, 0, clock_now_ms(), &id, number) != ERR_OK) {
					db_rollback(db);
					bad = 1;
					break;
				}
				bad = db_commit(db) != ERR_OK;
			}
			db_close(db);
			_exit(bad);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status = 0;
		wait(&status);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	int year = clock_year(clock_now_ms());
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT count(*), count(DISTINCT number), "
	    "max(CAST(substr(number, 8) AS INTEGER)) FROM invoices WHERE number "
	    "LIKE 'F-%d-%%'", year);
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t count = sqlite3_column_int64(st, 0);
	assert_int_equal(count, sqlite3_column_int64(st, 1));	/* no repeat */
	assert_int_equal(count, sqlite3_column_int64(st, 2));	/* no gap */
	sqlite3_finalize(st);
	assert_true(sql_int("SELECT count(*) FROM invoices WHERE number LIKE 'F-%'") ==
	    before + PROCS * EACH);
}

static void
invoice_pdf_should_carry_the_mentions_and_never_change(void **state)
{
	(void)state;
	int st;
	char path[96], file[128], cmd[300];
	/* A merchant with accents in its name and address. */
	cJSON *o = call(METHOD_POST, "/api/merchants", "", "{\"data\":{\"name\":"
	    "\"Épicerie Zoé & Fils\",\"slug\":\"epicerie\",\"email\":"
	    "\"zoe@example.fr\",\"country\":\"FR\",\"vatNumber\":\"FR40303265045\","
	    "\"address\":\"3 place de l'Église, 13001 Marseille\"}}", &st);
	assert_int_equal(st, 201);
	int64_t m = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	char body[128];
	int64_t plan = sql_int("SELECT id FROM subscription_plans WHERE slug = 'now'");
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"plan\":%lld}}",
	    (long long)m, (long long)plan);
	o = call(METHOD_POST, "/api/subscriptions", "", body, &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT id FROM invoices WHERE merchant_id = %lld",
	    (long long)m);
	int64_t inv = sql_int(sql);
	snprintf(path, sizeof(path), "/api/invoices/%lld/pdf", (long long)inv);
	struct request req;
	struct response r1, r2;
	for (int k = 0; k < 2; k++) {
		struct response *r = k ? &r2 : &r1;
		unit_request(&req, METHOD_GET, path, "");
		unit_bearer(app, "admin@example.com", auth, sizeof(auth));
		http_add_header(&req, "authorization", auth);
		resp_init(r);
		app_handle(app, &req, r);
		arena_free(&req.arena);
		assert_int_equal(r->status, 200);
		assert_string_equal(r->content_type, "application/pdf");
	}
	/* The same bytes every time. */
	assert_int_equal(r1.body.len, r2.body.len);
	assert_memory_equal(r1.body.data, r2.body.data, r1.body.len);
	assert_memory_equal(r1.body.data, "%PDF-", 5);
	snprintf(file, sizeof(file), "/tmp/unit-invoice-%d.pdf", (int)getpid());
	FILE *f = fopen(file, "wb");
	fwrite(r1.body.data, 1, r1.body.len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "pdftotext -q -layout %s %s.txt", file, file);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.txt", file);
	f = fopen(cmd, "r");
	char text[20000];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(file);
	unlink(cmd);
	resp_free(&r1);
	resp_free(&r2);
	char number[40];
	snprintf(sql, sizeof(sql), "SELECT number FROM invoices WHERE id = %lld",
	    (long long)inv);
	sql_text(sql, number, sizeof(number));
	static const char *want[] = {
		"FACTURE", NULL, "Épicerie Zoé & Fils", "3 place de l'Église",
		"FR40303265045", "Marketplace SAS", "SIREN 303265045",
		"Total HT", "10,00 €", "TVA 20,00 %", "2,00 €", "Total TTC", "12,00 €",
		"Période de service", "Date d'émission", "Échéance",
		"pénalités de retard", "trois fois le taux d'intérêt légal",
		"indemnité", "40 €", "Payée le",
	};
	want[1] = number;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("the PDF lacks \"%s\":\n%s", want[i], text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trial_should_convert_and_renew_for_a_year),
		cmocka_unit_test(failed_payment_should_retry_and_recover),
		cmocka_unit_test(final_failure_should_cancel),
		cmocka_unit_test(cancellation_should_take_effect_at_period_end_or_now),
		cmocka_unit_test(one_live_subscription_per_merchant),
		cmocka_unit_test(trials_should_be_once_per_merchant_and_debts_should_block),
		cmocka_unit_test(plan_change_should_be_prorated_to_the_day),
		cmocka_unit_test(invoice_numbers_should_stay_gapless_across_processes),
		cmocka_unit_test(invoice_pdf_should_carry_the_mentions_and_never_change),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
