/*
 * Stripe webhooks through the real stack: a valid event, a bad signature,
 * a stale timestamp, a replayed event, events out of order; invoices from
 * Stripe; and an invoice PDF downloaded through nginx.
 */
#include <time.h>

#include "harness.h"

#include <sqlite3.h>

#include "crypto.h"

static const char secret[] = "whsec_test_webhooks";
static sqlite3 *dbh;
static int64_t clara_sub;

static int64_t
q(const char *sql)
{
	return stack_db_int(dbh, sql);
}

static void
qtext(const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	out[0] = '\0';
	sqlite3_prepare_v2(dbh, sql, -1, &st, NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int
setup(void **state)
{
	char env[128], path[400];
	(void)state;
	snprintf(env, sizeof(env), "STRIPE_WEBHOOK_SECRET=%s", secret);
	if (stack_start(env) != 0 || stack_as_admin() != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	if (sqlite3_open(path, &dbh) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(dbh, 5000);
	/* Clara's subscription is known to Stripe as sub_clara. */
	clara_sub = q("SELECT s.id FROM subscriptions s JOIN merchants m ON "
	    "m.id = s.merchant_id WHERE m.slug = 'boutique-clara'");
	char sql[200];
	snprintf(sql, sizeof(sql), "UPDATE subscriptions SET stripe_subscription_id = "
	    "'sub_clara' WHERE id = %lld", (long long)clara_sub);
	return clara_sub > 0 && sqlite3_exec(dbh, sql, 0, 0, 0) == SQLITE_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	sqlite3_close(dbh);
	return stack_stop();
}

/* Posts an event signed at time t (0: now), with the right secret unless
 * told otherwise. */
static struct reply
post_event(const char *body, int64_t t, const char *with_secret)
{
	char payload[16384], hex[65], h[200];
	unsigned char mac[32];
	if (t == 0)
		t = (int64_t)time(NULL);
	const char *sec = with_secret ? with_secret : secret;
	snprintf(payload, sizeof(payload), "%lld.%s", (long long)t, body);
	crypto_hmac_sha256(sec, strlen(sec), payload, strlen(payload), mac);
	crypto_hex(mac, 32, hex);
	snprintf(h, sizeof(h), "Stripe-Signature: t=%lld,v1=%s", (long long)t, hex);
	const char *const hs[] = { h, NULL };
	char saved[sizeof(harness_auth)];
	memcpy(saved, harness_auth, sizeof(saved));
	harness_auth[0] = '\0';	/* Stripe has no other credential */
	struct reply r = request_full("POST", "/api/stripe/webhook", body, strlen(body), hs);
	memcpy(harness_auth, saved, sizeof(saved));
	return r;
}

static void
sub_event(char *out, size_t n, const char *id, const char *type, int64_t created,
    const char *status, int cancel_at_end)
{
	snprintf(out, n, "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\","
	    "\"created\":%lld,\"data\":{\"object\":{\"id\":\"sub_clara\",\"object\":"
	    "\"subscription\",\"status\":\"%s\",\"current_period_start\":1795000000,"
	    "\"current_period_end\":1797592000,\"trial_end\":null,"
	    "\"cancel_at_period_end\":%s,\"metadata\":{}}}}", id, type,
	    (long long)created, status, cancel_at_end ? "true" : "false");
}

static void
status_is(const char *want)
{
	char sql[160], got[32];
	snprintf(sql, sizeof(sql), "SELECT status FROM subscriptions WHERE id = %lld",
	    (long long)clara_sub);
	qtext(sql, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
valid_events_should_apply_once(void **state)
{
	(void)state;
	char ev[2048];
	sub_event(ev, sizeof(ev), "evt_1", "customer.subscription.updated", 1000,
	    "past_due", 1);
	struct reply r = post_event(ev, 0, NULL);
	assert_reply(r, 200, "{\"received\":true}");
	reply_free(&r);
	status_is("past_due");
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT cancel_at_period_end FROM subscriptions "
	    "WHERE id = %lld AND current_period_end = '2026-12-18T11:06:40.000Z'",
	    (long long)clara_sub);
	assert_int_equal(q(sql), 1);
	/* Replayed: recognised, not applied again (a local change stays). */
	snprintf(sql, sizeof(sql), "UPDATE subscriptions SET status = 'active' WHERE "
	    "id = %lld", (long long)clara_sub);
	assert_int_equal(sqlite3_exec(dbh, sql, 0, 0, 0), SQLITE_OK);
	r = post_event(ev, 0, NULL);
	assert_reply(r, 200, "{\"received\":true,\"duplicate\":true}");
	reply_free(&r);
	status_is("active");
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE id = 'evt_1'"), 1);
}

static void
events_out_of_order_should_not_go_back_in_time(void **state)
{
	(void)state;
	char newer[2048], older[2048];
	sub_event(newer, sizeof(newer), "evt_3", "customer.subscription.updated", 3000,
	    "active", 0);
	sub_event(older, sizeof(older), "evt_2", "customer.subscription.updated", 2000,
	    "past_due", 0);
	struct reply r = post_event(newer, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	r = post_event(older, 0, NULL);
	assert_reply(r, 200, "{\"received\":true}");
	reply_free(&r);
	status_is("active");
}

static void
bad_signatures_and_stale_events_should_be_refused(void **state)
{
	(void)state;
	char ev[2048];
	sub_event(ev, sizeof(ev), "evt_bad", "customer.subscription.deleted", 9000,
	    "canceled", 0);
	struct reply r = post_event(ev, 0, "whsec_wrong");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid Stripe-Signature\",\"details\":{}}}");
	reply_free(&r);
	r = post_event(ev, (int64_t)time(NULL) - 301, NULL);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	/* No header at all. */
	struct reply r2 = request_full("POST", "/api/stripe/webhook", ev, strlen(ev), NULL);
	assert_int_equal(r2.status, 400);
	reply_free(&r2);
	status_is("active");
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE id = 'evt_bad'"), 0);
	/* The same event, well signed: the subscription ends. */
	r = post_event(ev, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	status_is("cancelled");
}

static void
stripe_invoices_should_become_numbered_invoices(void **state)
{
	(void)state;
	/* Clara subscribes again through Stripe: sub_clara2. */
	char sql[300];
	snprintf(sql, sizeof(sql), "INSERT INTO subscriptions (document_id, merchant_id, "
	    "plan_id, status, stripe_subscription_id, created_at, updated_at) SELECT "
	    "'webhooksub0000000000000a', merchant_id, plan_id, 'active', 'sub_clara2', "
	    "'t', 't' FROM subscriptions WHERE id = %lld", (long long)clara_sub);
	assert_int_equal(sqlite3_exec(dbh, sql, 0, 0, 0), SQLITE_OK);
	int64_t before = q("SELECT count(*) FROM invoices");
	const char *inv = "{\"id\":\"evt_in1\",\"type\":\"invoice.finalized\","
	    "\"created\":5000,\"data\":{\"object\":{\"id\":\"in_1\",\"object\":\"invoice\","
	    "\"subscription\":\"sub_clara2\",\"currency\":\"eur\",\"subtotal\":7900,"
	    "\"total\":9480,\"total_excluding_tax\":7900,"
	    "\"period_start\":1795000000,\"period_end\":1797592000,\"lines\":{\"data\":"
	    "[{\"description\":\"Business (nov. 2026)\",\"amount\":7900}]}}}}";
	struct reply r = post_event(inv, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM invoices"), before + 1);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_1' AND status = 'open' AND subtotal_cents = 7900 AND total_cents = 9480 "
	    "AND number LIKE 'F-%'"), 1);
	/* Payment failed, then paid. */
	const char *failed = "{\"id\":\"evt_in2\",\"type\":\"invoice.payment_failed\","
	    "\"created\":5100,\"data\":{\"object\":{\"id\":\"in_1\",\"object\":\"invoice\","
	    "\"subscription\":\"sub_clara2\"}}}";
	r = post_event(failed, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM subscriptions WHERE "
	    "stripe_subscription_id = 'sub_clara2' AND status = 'past_due'"), 1);
	assert_true(q("SELECT count(*) FROM email_outbox WHERE kind = 'payment_failed' "
	    "AND recipient = 'contact@boutique-clara.fr'") >= 1);
	const char *paid = "{\"id\":\"evt_in3\",\"type\":\"invoice.paid\","
	    "\"created\":5200,\"data\":{\"object\":{\"id\":\"in_1\",\"object\":\"invoice\","
	    "\"subscription\":\"sub_clara2\"}}}";
	r = post_event(paid, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_1' AND status = 'paid' AND paid_at IS NOT NULL"), 1);
	assert_int_equal(q("SELECT count(*) FROM invoices"), before + 1);
	/* A failure told late, after the payment, changes nothing. */
	assert_int_equal(sqlite3_exec(dbh, "UPDATE subscriptions SET status = 'active' "
	    "WHERE stripe_subscription_id = 'sub_clara2'", 0, 0, 0), SQLITE_OK);
	const char *late = "{\"id\":\"evt_in4\",\"type\":\"invoice.payment_failed\","
	    "\"created\":5050,\"data\":{\"object\":{\"id\":\"in_1\",\"object\":"
	    "\"invoice\",\"subscription\":\"sub_clara2\"}}}";
	r = post_event(late, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM subscriptions WHERE "
	    "stripe_subscription_id = 'sub_clara2' AND status = 'active'"), 1);
}

/* A yen invoice: Stripe's 5000 is ¥5,000, 500000 hundredths here (not
 * ¥50.00); paid at Stripe's time of payment. */
static void
stripe_yen_invoices_should_count_whole_yen(void **state)
{
	(void)state;
	const char *inv = "{\"id\":\"evt_jp1\",\"type\":\"invoice.finalized\","
	    "\"created\":6000,\"data\":{\"object\":{\"id\":\"in_jp1\",\"object\":"
	    "\"invoice\",\"subscription\":\"sub_clara2\",\"currency\":\"jpy\","
	    "\"subtotal\":5000,\"total\":6000,\"period_start\":1797592000,"
	    "\"period_end\":1800270400,"
	    "\"lines\":{\"data\":[{\"description\":\"Tokyo (dec. 2026)\",\"amount\":"
	    "5000}]}}}}";
	struct reply r = post_event(inv, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_jp1' AND currency = 'JPY' AND subtotal_cents = 500000 AND tax_cents = "
	    "100000 AND total_cents = 600000"), 1);
	/* Paid when Stripe says, however late its event comes. */
	const char *paid = "{\"id\":\"evt_jp2\",\"type\":\"invoice.paid\","
	    "\"created\":6100,\"data\":{\"object\":{\"id\":\"in_jp1\",\"object\":"
	    "\"invoice\",\"subscription\":\"sub_clara2\",\"status_transitions\":"
	    "{\"paid_at\":1797600000}}}}";
	r = post_event(paid, 0, NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_jp1' AND status = 'paid' AND paid_at = '2026-12-18T13:20:00.000Z'"), 1);
}


/* A payload of test/fixtures/stripe/ (events as Stripe sends them, in the
 * shape of each API version), with each `from` replaced by its `to`. */
static char *
fixture(const char *name, const char *const *swap)
{
	char path[256];
	snprintf(path, sizeof(path), "test/fixtures/stripe/%s", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *b = calloc(1, 16384);
	size_t n = fread(b, 1, 16383, f);
	fclose(f);
	b[n] = '\0';
	for (int i = 0; swap && swap[i]; i += 2) {
		char *at = strstr(b, swap[i]);
		assert_non_null(at);
		size_t a = strlen(swap[i]), z = strlen(swap[i + 1]);
		memmove(at + z, at + a, strlen(at + a) + 1);
		memcpy(at, swap[i + 1], z);
	}
	return b;
}

static void
post_fixture(const char *name, const char *const *swap, int status)
{
	char *ev = fixture(name, swap);
	struct reply r = post_event(ev, 0, NULL);
	if (r.status != status)
		fail_msg("%s: %d %s", name, r.status, r.body);
	reply_free(&r);
	free(ev);
}

/* The invoice of each version, as Stripe charged it (79.00 and 15.80 of
 * VAT): the same local invoice, its period that of the subscription's
 * line (not the invoice's period_start/end, the period before), paid at
 * Stripe's time, each event's version recorded. */
static void
stripe_invoices_of_both_versions_should_mirror_what_stripe_charged(void **state)
{
	(void)state;
	/* Maison Dupont moves to a subscription made at Stripe under the
	 * 2025-03-31 version: found by our documentId in its metadata. */
	assert_int_equal(sqlite3_exec(dbh, "UPDATE subscriptions SET status = "
	    "'cancelled' WHERE merchant_id = (SELECT id FROM merchants WHERE slug = "
	    "'maison-dupont'); INSERT INTO subscriptions (document_id, merchant_id, "
	    "plan_id, status, created_at, updated_at) SELECT 'webhooksub0000000000000b', "
	    "id, 2, 'pending', 't', 't' FROM merchants WHERE slug = 'maison-dupont'",
	    0, 0, 0), SQLITE_OK);
	post_fixture("customer.subscription.updated.2025-03-31.json", NULL, 200);
	assert_int_equal(q("SELECT count(*) FROM subscriptions WHERE document_id = "
	    "'webhooksub0000000000000b' AND stripe_subscription_id = 'sub_basil' AND "
	    "status = 'active' AND current_period_start = '2027-01-18T11:06:40.000Z' AND "
	    "current_period_end = '2027-02-18T11:06:40.000Z'"), 1);
	int64_t numbered = q("SELECT last FROM invoice_counters WHERE series = 'F' "
	    "ORDER BY year DESC LIMIT 1");
	post_fixture("invoice.paid.2024-06-20.json", NULL, 200);
	post_fixture("invoice.paid.2025-03-31.json", NULL, 200);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_1QvInv2024' AND kind = 'invoice' AND status = 'paid' AND subtotal_cents = "
	    "7900 AND tax_rate_bps = 2000 AND tax_cents = 1580 AND total_cents = 9480 AND "
	    "period_start = '2026-12-18T11:06:40.000Z' AND period_end = "
	    "'2027-01-18T11:06:40.000Z' AND paid_at = '2026-12-18T13:06:40.000Z' AND "
	    "lines = '[{\"description\":\"1 × Business (at €79.00 / month)\",\"quantity\":1,"
	    "\"unitPriceCents\":7900,\"amountCents\":7900}]'"), 1);
	assert_int_equal(q("SELECT count(*) FROM invoices i JOIN merchants m ON m.id = "
	    "i.merchant_id WHERE i.stripe_invoice_id = 'in_1QvInv2025' AND m.slug = "
	    "'maison-dupont' AND i.status = 'paid' AND i.subtotal_cents = 7900 AND "
	    "i.tax_cents = 1580 AND i.total_cents = 9480 AND i.period_start = "
	    "'2027-01-18T11:06:40.000Z' AND i.period_end = '2027-02-18T11:06:40.000Z' AND "
	    "i.paid_at = '2027-01-18T13:06:40.000Z'"), 1);
	assert_int_equal(q("SELECT last FROM invoice_counters WHERE series = 'F' ORDER BY "
	    "year DESC LIMIT 1"), numbered + 2);
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE outcome = 'applied' "
	    "AND ((id = 'evt_1QvInv2024' AND api_version = '2024-06-20') OR (id IN "
	    "('evt_1QvInv2025', 'evt_1QvSub2025') AND api_version = '2025-03-31.basil'))"),
	    3);
}

/* A downgrade's credit: Stripe's invoice of -20.00 (a proration of -50.00
 * and the next month's 25.00, 5.00 of VAT off) is a credit note of ours,
 * in the credit notes' series, never an invoice with a negative total. */
static void
stripe_negative_invoice_should_become_a_credit_note(void **state)
{
	(void)state;
	static const char *const swap[] = {
	    "evt_1QvInv2024", "evt_credit1", "in_1QvInv2024\",\n      \"object",
	    "in_credit1\",\n      \"object", "\"amount\": 7900,\n            \"amount_excl",
	    "\"amount\": -5000,\n            \"amount_excl", "\"proration\": false",
	    "\"proration\": true", "\"subtotal\": 7900", "\"subtotal\": -5000",
	    "\"total\": 9480", "\"total\": -6000", "\"total_excluding_tax\": 7900",
	    "\"total_excluding_tax\": -5000", NULL };
	int64_t credits = q("SELECT count(*) FROM invoices WHERE kind = 'credit_note'");
	post_fixture("invoice.paid.2024-06-20.json", swap, 200);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE kind = 'credit_note'"),
	    credits + 1);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_credit1' AND kind = 'credit_note' AND number LIKE 'A-%' AND status = "
	    "'paid' AND subtotal_cents = 5000 AND tax_cents = 1000 AND total_cents = 6000 "
	    "AND lines = '[{\"description\":\"1 × Business (at €79.00 / month)\","
	    "\"quantity\":1,\"unitPriceCents\":5000,\"amountCents\":5000}]'"), 1);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE total_cents < 0"), 0);
}

/* A trial's first invoice is of nothing: it takes no number, the gapless
 * series goes on from the last real invoice. */
static void
stripe_trial_invoice_of_nothing_should_take_no_number(void **state)
{
	(void)state;
	static const char *const swap[] = {
	    "evt_1QvInv2024", "evt_trial0", "in_1QvInv2024\",\n      \"object",
	    "in_trial0\",\n      \"object", "\"amount\": 7900,\n            \"amount_excl",
	    "\"amount\": 0,\n            \"amount_excl", "\"subtotal\": 7900",
	    "\"subtotal\": 0", "\"total\": 9480", "\"total\": 0",
	    "\"total_excluding_tax\": 7900", "\"total_excluding_tax\": 0", NULL };
	int64_t numbered = q("SELECT last FROM invoice_counters WHERE series = 'F' "
	    "ORDER BY year DESC LIMIT 1");
	post_fixture("invoice.paid.2024-06-20.json", swap, 200);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_trial0'"), 0);
	assert_int_equal(q("SELECT last FROM invoice_counters WHERE series = 'F' ORDER BY "
	    "year DESC LIMIT 1"), numbered);
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE id = 'evt_trial0' AND "
	    "outcome = 'ignored' AND detail = 'an invoice of nothing takes no number'"), 1);
}

/* What the platform cannot map is not answered 200 and dropped: it is
 * logged, kept as 'unmapped', refused so that Stripe sends it again, and
 * applied when it comes again in a shape the platform reads. */
static void
stripe_events_that_cannot_be_mapped_should_be_refused_and_kept(void **state)
{
	(void)state;
	static const char *const status[] = { "evt_1QvSub2025", "evt_frozen1",
	    "\"status\": \"active\"", "\"status\": \"frozen\"", NULL };
	char *ev = fixture("customer.subscription.updated.2025-03-31.json", status);
	struct reply r = post_event(ev, 0, NULL);
	free(ev);
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Stripe event evt_frozen1 "
	    "(customer.subscription.updated) could not be mapped: unknown subscription "
	    "status \\\"frozen\\\"\",\"details\":{}}}");
	reply_free(&r);
	/* A discount: Stripe's lines, tax and total do not make our invoice. */
	static const char *const discount[] = {
	    "evt_1QvInv2024", "evt_discount1", "in_1QvInv2024\",\n      \"object",
	    "in_discount1\",\n      \"object", "\"total\": 9480", "\"total\": 8532",
	    "\"total_excluding_tax\": 7900", "\"total_excluding_tax\": 7110", NULL };
	post_fixture("invoice.paid.2024-06-20.json", discount, 400);
	assert_int_equal(q("SELECT count(*) FROM invoices WHERE stripe_invoice_id = "
	    "'in_discount1'"), 0);
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE outcome = 'unmapped' "
	    "AND ((id = 'evt_discount1' AND detail LIKE 'lines of 7900, subtotal 7900, "
	    "tax 1422 and total 8532 do not add up%') OR (id = 'evt_frozen1' AND "
	    "api_version = '2025-03-31.basil'))"), 2);
	char *log = calloc(1, 1 << 20), path[400];
	snprintf(path, sizeof(path), "%s/log/platform.log", S.var);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	log[fread(log, 1, (1 << 20) - 1, f)] = '\0';
	fclose(f);
	assert_non_null(strstr(log, "stripe: event evt_discount1 (invoice.paid, version "
	    "2024-06-20) could not be mapped: lines of 7900"));
	free(log);
	/* Sent again as it should be: applied, not a duplicate. */
	static const char *const fixed[] = {
	    "evt_1QvInv2024", "evt_discount1", "in_1QvInv2024\",\n      \"object",
	    "in_discount1\",\n      \"object", NULL };
	char *again = fixture("invoice.paid.2024-06-20.json", fixed);
	r = post_event(again, 0, NULL);
	free(again);
	assert_reply(r, 200, "{\"received\":true}");
	reply_free(&r);
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE id = 'evt_discount1' "
	    "AND outcome = 'applied' AND detail IS NULL"), 1);
}

/* Stripe Checkout's events: a completed session gives the pending
 * subscription Stripe's; an expired one (left on Stripe's page) ends it. */
static void
checkout_events_should_finish_or_end_the_pending_subscription(void **state)
{
	(void)state;
	assert_int_equal(sqlite3_exec(dbh, "UPDATE subscriptions SET status = "
	    "'cancelled' WHERE merchant_id IN (SELECT id FROM merchants WHERE slug IN "
	    "('cafe-lumiere', 'papeterie-sud')); INSERT INTO subscriptions (document_id, "
	    "merchant_id, plan_id, status, stripe_checkout_session_id, created_at, "
	    "updated_at) SELECT CASE slug WHEN 'cafe-lumiere' THEN "
	    "'webhooksub0000000000000c' ELSE 'webhooksub0000000000000d' END, id, 1, "
	    "'pending', CASE slug WHEN 'cafe-lumiere' THEN 'cs_test_b1QvCheckout1' ELSE "
	    "'cs_test_b1QvCheckout2' END, 't', 't' FROM merchants WHERE slug IN "
	    "('cafe-lumiere', 'papeterie-sud')", 0, 0, 0), SQLITE_OK);
	post_fixture("checkout.session.completed.2024-06-20.json", NULL, 200);
	assert_int_equal(q("SELECT count(*) FROM subscriptions WHERE document_id = "
	    "'webhooksub0000000000000c' AND stripe_subscription_id = 'sub_cafe'"), 1);
	post_fixture("checkout.session.expired.2025-03-31.json", NULL, 200);
	assert_int_equal(q("SELECT count(*) FROM subscriptions WHERE document_id = "
	    "'webhooksub0000000000000d' AND status = 'cancelled' AND cancellation_reason = "
	    "'checkout expired' AND cancelled_at IS NOT NULL"), 1);
	assert_int_equal(q("SELECT count(*) FROM stripe_events WHERE id IN "
	    "('evt_1QvCheckout1', 'evt_1QvCheckout2') AND outcome = 'applied'"), 2);
	/* Sent again: nothing more. */
	char *ev = fixture("checkout.session.expired.2025-03-31.json", NULL);
	struct reply r = post_event(ev, 0, NULL);
	free(ev);
	assert_reply(r, 200, "{\"received\":true,\"duplicate\":true}");
	reply_free(&r);
}

static void
invoice_pdf_should_download_through_nginx(void **state)
{
	(void)state;
	int64_t inv = q("SELECT i.id FROM invoices i JOIN merchants m ON m.id = "
	    "i.merchant_id WHERE m.slug = 'boutique-clara' AND i.status = 'paid' "
	    "ORDER BY i.id LIMIT 1");
	char path[96], number[40], want[96];
	snprintf(path, sizeof(path), "SELECT number FROM invoices WHERE id = %lld",
	    (long long)inv);
	qtext(path, number, sizeof(number));
	snprintf(path, sizeof(path), "/api/invoices/%lld/pdf", (long long)inv);
	struct reply r = request("GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.len > 1000);
	assert_memory_equal(r.body, "%PDF-", 5);
	assert_non_null(strstr(r.headers, "content-type: application/pdf"));
	snprintf(want, sizeof(want), "attachment; filename=\"%s.pdf\"", number);
	assert_non_null(strstr(r.headers, want));
	/* An invoice names its customer: no cache keeps it. */
	assert_non_null(strstr(r.headers, "cache-control: private, no-store\r\n"));
	struct reply r2 = request("GET", path, NULL);
	assert_int_equal(r2.len, r.len);
	assert_memory_equal(r2.body, r.body, r.len);
	reply_free(&r);
	reply_free(&r2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_events_should_apply_once),
		cmocka_unit_test(events_out_of_order_should_not_go_back_in_time),
		cmocka_unit_test(bad_signatures_and_stale_events_should_be_refused),
		cmocka_unit_test(stripe_invoices_should_become_numbered_invoices),
		cmocka_unit_test(stripe_yen_invoices_should_count_whole_yen),
		cmocka_unit_test(stripe_invoices_of_both_versions_should_mirror_what_stripe_charged),
		cmocka_unit_test(stripe_negative_invoice_should_become_a_credit_note),
		cmocka_unit_test(stripe_trial_invoice_of_nothing_should_take_no_number),
		cmocka_unit_test(stripe_events_that_cannot_be_mapped_should_be_refused_and_kept),
		cmocka_unit_test(checkout_events_should_finish_or_end_the_pending_subscription),
		cmocka_unit_test(invoice_pdf_should_download_through_nginx),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
