/*
 * The Stripe client against a fake Stripe HTTP server on loopback (a
 * thread of this test): exact form-encoded requests, idempotency keys,
 * retries on 500, errors on 402 and 400; and webhook signatures.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "unit.h"
#include "../fake_http.h"
#include "crypto.h"
#include <curl/curl.h>
#include "stripe.h"
#include "invoices.h"
#include "subscriptions.h"
#include "background.h"
#include "provider.h"

#define MAX_SEEN 16

struct seen {
	char	 method[8], path[128], headers[2048], body[2048];
};

static struct {
	int		 fd, port;
	struct seen	 seen[MAX_SEEN];
	int		 nseen;
	int		 script_status[8];
	const char	*script_body[8];
	int		 nscript, next;
	/* Called on each request before it is answered (a race to stage). */
	void		(*hook)(const struct seen *);
	pthread_t	 thread;
	volatile int	 stop;
} fake;

static void *
serve(void *arg)
{
	(void)arg;
	while (!fake.stop) {
		int c = accept(fake.fd, NULL, NULL);
		if (c < 0)
			continue;
		char req[8192];
		char *end = fake_http_read(c, req, sizeof(req));
		if (end == NULL) {
			close(c);
			continue;
		}
		if (fake.nseen < MAX_SEEN) {
			struct seen *s = &fake.seen[fake.nseen++];
			sscanf(req, "%7s %127s", s->method, s->path);
			snprintf(s->headers, sizeof(s->headers), "%.*s", (int)(end - req), req);
			snprintf(s->body, sizeof(s->body), "%s", end + 4);
		}
		if (fake.hook && fake.nseen > 0)
			fake.hook(&fake.seen[fake.nseen - 1]);
		int status = 200;
		const char *body = "{}";
		if (fake.next < fake.nscript) {
			status = fake.script_status[fake.next];
			body = fake.script_body[fake.next];
			fake.next++;
		}
		char resp[4096];
		int len = snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    status, strlen(body), body);
		if (write(c, resp, (size_t)len) < 0)
			perror("write");
		close(c);
	}
	return NULL;
}

static int
setup(void **state)
{
	(void)state;
	if ((fake.fd = unit_listen(&fake.port)) < 0)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return pthread_create(&fake.thread, NULL, serve, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	fake.stop = 1;
	shutdown(fake.fd, SHUT_RDWR);
	close(fake.fd);
	pthread_join(fake.thread, NULL);
	curl_global_cleanup();
	return 0;
}

static void
script(int n, const int *status, const char *const *bodies)
{
	fake.nseen = 0;
	fake.next = 0;
	fake.nscript = n;
	for (int i = 0; i < n; i++) {
		fake.script_status[i] = status[i];
		fake.script_body[i] = bodies[i];
	}
}

static void
client(struct stripe *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "sk_test_123");
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", fake.port);
	s->timeout_ms = 5000;
	s->backoff_ms = 1;
}

static void
stripe_should_send_exact_form_bodies_and_keys(void **state)
{
	struct stripe s;
	struct stripe_reply r;
	(void)state;
	client(&s);
	static const int st[] = { 200 };
	static const char *const b[] = { "{\"id\":\"cus_1\",\"object\":\"customer\"}" };
	script(1, st, b);
	struct kv form[] = {
		{ "email", "a+b@x.fr" },
		{ "name", "Boutique Cl\xc3\xa0ra & Co" },
		{ "metadata[merchant]", "12" },
	};
	assert_int_equal(stripe_call(&s, "POST", "/v1/customers", form, 3, "idem-1",
	    &r), ERR_OK);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")),
	    "cus_1");
	cJSON_Delete(r.json);
	assert_int_equal(fake.nseen, 1);
	struct seen *x = &fake.seen[0];
	assert_string_equal(x->method, "POST");
	assert_string_equal(x->path, "/v1/customers");
	assert_string_equal(x->body, "email=a%2Bb%40x.fr&name=Boutique%20Cl%C3%A0ra%20"
	    "%26%20Co&metadata[merchant]=12");
	assert_non_null(strstr(x->headers, "Authorization: Bearer sk_test_123\r\n"));
	assert_non_null(strstr(x->headers, "Idempotency-Key: idem-1\r\n"));
	assert_non_null(strstr(x->headers,
	    "Content-Type: application/x-www-form-urlencoded\r\n"));
	/* A GET carries neither a body nor a key. */
	script(1, st, b);
	assert_int_equal(stripe_call(&s, "GET", "/v1/customers/cus_1", NULL, 0, NULL,
	    &r), ERR_OK);
	cJSON_Delete(r.json);
	assert_string_equal(fake.seen[0].method, "GET");
	assert_null(strstr(fake.seen[0].headers, "Idempotency-Key"));
}

static void
stripe_should_retry_5xx_with_the_same_key(void **state)
{
	struct stripe s;
	struct stripe_reply r;
	(void)state;
	client(&s);
	static const int st[] = { 500, 503, 200 };
	static const char *const b[] = { "{\"error\":{}}", "{}", "{\"id\":\"sub_9\"}" };
	script(3, st, b);
	struct kv form[] = { { "customer", "cus_1" }, { "items[0][price]", "price_1" } };
	assert_int_equal(stripe_call(&s, "POST", "/v1/subscriptions", form, 2, "k-42",
	    &r), ERR_OK);
	assert_int_equal(r.attempts, 3);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id")),
	    "sub_9");
	cJSON_Delete(r.json);
	assert_int_equal(fake.nseen, 3);
	for (int i = 0; i < 3; i++) {
		assert_non_null(strstr(fake.seen[i].headers, "Idempotency-Key: k-42\r\n"));
		assert_string_equal(fake.seen[i].body,
		    "customer=cus_1&items[0][price]=price_1");
	}
	/* Always 500: given up after the retries, with a clear error. */
	static const int st5[] = { 500, 500, 500, 500 };
	static const char *const b5[] = { "{}", "{}", "{}", "{}" };
	script(4, st5, b5);
	assert_int_equal(stripe_call(&s, "POST", "/v1/subscriptions", form, 2, "k-43",
	    &r), ERR_UNAVAILABLE);
	assert_int_equal(r.attempts, STRIPE_RETRIES + 1);
	assert_string_equal(r.error, "Stripe answered 500");
	cJSON_Delete(r.json);
}

static void
stripe_should_not_retry_4xx_and_say_why(void **state)
{
	struct stripe s;
	struct stripe_reply r;
	(void)state;
	client(&s);
	static const int st[] = { 402 };
	static const char *const b[] = { "{\"error\":{\"type\":\"card_error\","
	    "\"code\":\"card_declined\",\"message\":\"Your card was declined.\"}}" };
	script(1, st, b);
	assert_int_equal(stripe_call(&s, "POST", "/v1/invoices/in_1/pay", NULL, 0, "p-1",
	    &r), ERR_VALIDATION);
	assert_int_equal(r.status, 402);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.error, "Stripe: Your card was declined.");
	cJSON_Delete(r.json);
	static const int st4[] = { 400 };
	static const char *const b4[] = { "{\"error\":{\"type\":\"invalid_request_error\","
	    "\"message\":\"No such price: 'price_x'\",\"param\":\"items[0][price]\"}}" };
	script(1, st4, b4);
	assert_int_equal(stripe_call(&s, "POST", "/v1/subscriptions", NULL, 0, "p-2",
	    &r), ERR_VALIDATION);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.error, "Stripe: No such price: 'price_x'");
	cJSON_Delete(r.json);
}

static void
stripe_should_retry_network_errors(void **state)
{
	struct stripe s;
	struct stripe_reply r;
	(void)state;
	client(&s);
	/* A port nobody listens on. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	close(fd);
	assert_int_equal(stripe_call(&s, "GET", "/v1/customers", NULL, 0, NULL, &r),
	    ERR_UNAVAILABLE);
	assert_int_equal(r.attempts, STRIPE_RETRIES + 1);
	assert_int_equal(r.status, 0);
	assert_true(strlen(r.error) > 0);
	cJSON_Delete(r.json);
}

static void
sign(const char *secret, int64_t t, const char *body, char *out, size_t n)
{
	char payload[4096], hex[65];
	unsigned char mac[32];
	snprintf(payload, sizeof(payload), "%lld.%s", (long long)t, body);
	crypto_hmac_sha256(secret, strlen(secret), payload, strlen(payload), mac);
	crypto_hex(mac, 32, hex);
	snprintf(out, n, "%s", hex);
}

static void
webhook_signatures_should_be_checked(void **state)
{
	(void)state;
	const char *secret = "whsec_test";
	const char *body = "{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}";
	int64_t now = 1795625263;
	char sig[65], h[512];
	sign(secret, now, body, sig, sizeof(sig));
	snprintf(h, sizeof(h), "t=%lld,v1=%s", (long long)now, sig);
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now), 0);
	/* Any v1 may match; v0 never counts. */
	snprintf(h, sizeof(h), "t=%lld,v1=%064d,v1=%s,v0=%064d", (long long)now, 0,
	    sig, 0);
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now), 0);
	snprintf(h, sizeof(h), "t=%lld,v0=%s", (long long)now, sig);
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now), -1);
	/* Another secret, another body. */
	snprintf(h, sizeof(h), "t=%lld,v1=%s", (long long)now, sig);
	assert_int_equal(stripe_verify("whsec_other", h, body, strlen(body), now), -1);
	assert_int_equal(stripe_verify(secret, h, "{\"id\":\"evt_2\"}", 13, now), -1);
	/* 300 s of tolerance, either way. */
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now + 300), 0);
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now + 301), -1);
	assert_int_equal(stripe_verify(secret, h, body, strlen(body), now - 301), -1);
	/* Malformed headers. */
	static const char *const bad[] = { "", "v1=abc", "t=,v1=x", "t=abc,v1=x",
	    "t=1795625263", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(stripe_verify(secret, bad[i], body, strlen(body), now), -1);
	assert_int_equal(stripe_verify(secret, NULL, body, strlen(body), now), -1);
	assert_int_equal(stripe_verify("", h, body, strlen(body), now), -1);
}

/* The provider: the platform's routes with Stripe on. */

static char dbpath[256];
static struct app *app;

static cJSON *
call(enum http_method m, const char *path, const char *body, int *status)
{
	struct request req;
	struct response resp;
	char auth[JWT_MAX_LEN + 16];
	unit_request(&req, m, path, "");
	if (body) {
		req.body = body;
		req.body_len = strlen(body);
		http_add_header(&req, "content-type", "application/json");
	}
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

/* A page route's answer: its status and Location header into loc. */
static int
call_page(const char *path, char *loc, size_t n)
{
	struct request req;
	struct response resp;
	char auth[JWT_MAX_LEN + 16];
	const char *q = strchr(path, '?');
	char p[256];
	snprintf(p, sizeof(p), "%.*s", q ? (int)(q - path) : (int)strlen(path), path);
	unit_request(&req, METHOD_GET, p, q ? q + 1 : "");
	unit_bearer(app, "admin@example.com", auth, sizeof(auth));
	http_add_header(&req, "authorization", auth);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	int status = resp.status;
	const char *l = strstr(buf_str(&resp.headers), "Location: ");
	snprintf(loc, n, "%.*s", l ? (int)strcspn(l + 10, "\r\n") : 0, l ? l + 10 : "");
	resp_free(&resp);
	arena_free(&req.arena);
	return status;
}

/* A platform whose billing provider is the fake Stripe. */
static void
stripe_on(void)
{
	char base[64];
	assert_int_equal(unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", fake.port);
	setenv("STRIPE_SECRET_KEY", "sk_test_123", 1);
	setenv("STRIPE_API_BASE", base, 1);
	unit_config_load();
}

static void
stripe_off(void)
{
	unsetenv("STRIPE_SECRET_KEY");
	unsetenv("STRIPE_API_BASE");
	unit_config_load();
	app_close(app);
	unit_rmdb(dbpath);
}

static const char *
dstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), k));
}

static void
provider_should_bill_through_stripe(void **state)
{
	int st;
	char path[128], want[256];
	(void)state;
	stripe_on();

	/* A plan: its product, then its price. */
	static const int s1[] = { 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_1\"}", "{\"id\":\"price_1\"}" };
	script(2, s1, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Pro Stripe\",\"slug\":\"pro-stripe\",\"priceCents\":4900,"
	    "\"trialDays\":14}}", &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(o, "stripeProductId"), "prod_1");
	assert_string_equal(dstr(o, "stripePriceId"), "price_1");
	int64_t plan = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].path, "/v1/products");
	assert_string_equal(fake.seen[0].body, "name=Pro%20Stripe&metadata[platform]=marketplace");
	assert_non_null(strstr(fake.seen[0].headers, "Idempotency-Key: plan-"));
	assert_string_equal(fake.seen[1].path, "/v1/prices");
	assert_string_equal(fake.seen[1].body, "product=prod_1&unit_amount=4900&"
	    "currency=eur&recurring[interval]=month");

	/* A subscription: the merchant's customer first, then Stripe's
	 * subscription, whose answer is stored. */
	static const int s2[] = { 200, 200 };
	static const char *const b2[] = { "{\"id\":\"cus_9\"}", "{\"id\":\"sub_9\","
	    "\"status\":\"trialing\",\"current_period_start\":1795000000,"
	    "\"current_period_end\":1796209600,\"trial_end\":1796209600}" };
	script(2, s2, b2);
	char body[160];
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":2,\"plan\":%lld}}",
	    (long long)plan);
	o = call(METHOD_POST, "/api/subscriptions", body, &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(o, "status"), "trialing");
	assert_string_equal(dstr(o, "stripeSubscriptionId"), "sub_9");
	assert_string_equal(dstr(o, "trialEnd"), "2026-12-02T11:06:40.000Z");
	int64_t sub = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].path, "/v1/customers");
	snprintf(want, sizeof(want), "email=hello%%40bobs-bikes.example&"
	    "name=Bob%%27s%%20Bikes&metadata[merchant]=");
	assert_int_equal(strncmp(fake.seen[0].body, want, strlen(want)), 0);
	assert_int_equal(strlen(fake.seen[0].body), strlen(want) + 24);
	assert_string_equal(fake.seen[1].path, "/v1/subscriptions");
	snprintf(want, sizeof(want), "customer=cus_9&items[0][price]=price_1&"
	    "metadata[subscription]=");
	assert_int_equal(strncmp(fake.seen[1].body, want, strlen(want)), 0);
	assert_non_null(strstr(fake.seen[1].body, "&trial_period_days=14"));
	assert_non_null(strstr(fake.seen[1].headers, "Idempotency-Key: subscription-"));
	/* Bob's Bikes is a German business with a VAT number: a reverse
	 * charge, no VAT, no tax rate at Stripe. */
	assert_null(strstr(fake.seen[1].body, "default_tax_rates"));

	/* The built-in engine leaves it to Stripe, even past its trial. */
	struct seller sel;
	seller_from_config(&sel);
	int64_t before = 0;
	sqlite3_stmt *q = db_prepare(app_db(app), "SELECT count(*) FROM invoices");
	if (sqlite3_step(q) == SQLITE_ROW)
		before = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_true(billing_run(app_db(app), &sel, clock_now_ms() + 60 * CLOCK_DAY_MS) >= 0);
	q = db_prepare(app_db(app), "SELECT count(*) FROM invoices");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), before);
	sqlite3_finalize(q);

	/* Cancel at period end, then at once: through Stripe. */
	static const int s3[] = { 200 };
	static const char *const b3[] = { "{\"id\":\"sub_9\",\"status\":\"trialing\","
	    "\"cancel_at_period_end\":true}" };
	script(1, s3, b3);
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub);
	o = call(METHOD_PUT, path, "{\"data\":{\"reason\":\"moving\"}}", &st);
	assert_int_equal(st, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "cancelAtPeriodEnd")));
	assert_string_equal(dstr(o, "cancellationReason"), "moving");
	cJSON_Delete(o);
	assert_string_equal(fake.seen[0].method, "POST");
	assert_string_equal(fake.seen[0].path, "/v1/subscriptions/sub_9");
	assert_string_equal(fake.seen[0].body, "cancel_at_period_end=true");
	/* Kept after all: no reason to cancel any more. */
	static const char *const b3r[] = { "{\"id\":\"sub_9\",\"status\":\"trialing\","
	    "\"cancel_at_period_end\":false}" };
	script(1, s3, b3r);
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/reactivate", (long long)sub);
	o = call(METHOD_PUT, path, NULL, &st);
	assert_int_equal(st, 200);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "cancelAtPeriodEnd")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "cancellationReason")));
	cJSON_Delete(o);
	assert_string_equal(fake.seen[0].body, "cancel_at_period_end=false");
	snprintf(path, sizeof(path), "/api/subscriptions/%lld/cancel", (long long)sub);
	static const char *const b4[] = { "{\"id\":\"sub_9\",\"status\":\"canceled\","
	    "\"canceled_at\":1795100000}" };
	script(1, s3, b4);
	o = call(METHOD_PUT, path, "{\"data\":{\"immediately\":true}}", &st);
	assert_int_equal(st, 200);
	assert_string_equal(dstr(o, "status"), "cancelled");
	cJSON_Delete(o);
	assert_string_equal(fake.seen[0].method, "DELETE");
	assert_string_equal(fake.seen[0].path, "/v1/subscriptions/sub_9");

	/* A refusal from Stripe is the caller's error, and nothing is kept. */
	static const int s5[] = { 402 };
	static const char *const b5[] = { "{\"error\":{\"type\":\"card_error\","
	    "\"message\":\"Your card was declined.\"}}" };
	script(1, s5, b5);
	o = call(METHOD_POST, "/api/subscriptions", body, &st);
	assert_int_equal(st, 409);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    o, "error"), "message")), "Stripe: Your card was declined.");
	cJSON_Delete(o);
	/* It had its trial: Stripe is asked for none this time. */
	assert_string_equal(fake.seen[0].path, "/v1/subscriptions");
	assert_null(strstr(fake.seen[0].body, "trial_period_days"));
	q = db_prepare(app_db(app), "SELECT count(*) FROM subscriptions WHERE "
	    "merchant_id = 2 AND status != 'cancelled'");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 0);
	sqlite3_finalize(q);

	stripe_off();
}

/* The number of rows a query counts. */
static int64_t
count(const char *sql)
{
	sqlite3_stmt *q = db_prepare(app_db(app), sql);
	int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return n;
}

/* Onboarding with Stripe on: the subscription is Stripe's; when Stripe
 * refuses it, the owner, the merchant and the shop are removed again (and
 * the admin's audit trail says so), and no deployment is queued. */
static void
onboarding_should_subscribe_through_stripe_or_leave_nothing(void **state)
{
	int st;
	char body[512];
	(void)state;
	stripe_on();
	static const int s1[] = { 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_2\"}", "{\"id\":\"price_2\"}" };
	script(2, s1, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Shop\",\"slug\":\"shop-stripe\",\"priceCents\":1900,\"trialDays\":7}}", &st);
	assert_int_equal(st, 201);
	long long plan = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	snprintf(body, sizeof(body), "{\"data\":{\"owner\":{\"email\":\"ana@shop.example\","
	    "\"password\":\"correct-horse-battery\"},\"merchant\":{\"name\":\"Ana\","
	    "\"country\":\"FR\"},\"plan\":%lld,\"subdomain\":\"ana-shop\"}}", plan);
	int64_t jobs = count("SELECT count(*) FROM jobs WHERE kind = 'backend.deploy'");
	int64_t audits = count("SELECT count(*) FROM audit_logs");

	/* Refused: nothing stays. Ana is in France: Stripe is to charge
	 * French VAT, its tax rate made the first time. */
	static const int s2[] = { 200, 200, 402 };
	static const char *const b2[] = { "{\"id\":\"cus_a\"}", "{\"id\":\"txr_fr20\","
	    "\"object\":\"tax_rate\",\"percentage\":20.0}", "{\"error\":{\"type\":"
	    "\"card_error\",\"message\":\"Your card was declined.\"}}" };
	script(3, s2, b2);
	o = call(METHOD_POST, "/api/platform/onboard-merchant", body, &st);
	assert_int_equal(st, 409);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    o, "error"), "message")), "Stripe: Your card was declined.");
	cJSON_Delete(o);
	assert_string_equal(fake.seen[1].path, "/v1/tax_rates");
	assert_string_equal(fake.seen[1].body, "display_name=TVA&percentage=20&"
	    "inclusive=false&country=FR&description=TVA%20fran%C3%A7aise%20%28plateforme"
	    "%29&metadata[platform]=marketplace");
	assert_non_null(strstr(fake.seen[1].headers, "Idempotency-Key: tax-rate-2000\r\n"));
	assert_non_null(strstr(fake.seen[2].body, "&default_tax_rates[0]=txr_fr20&"));
	assert_int_equal(count("SELECT count(*) FROM users WHERE email = "
	    "'ana@shop.example'"), 0);
	assert_int_equal(count("SELECT count(*) FROM merchants WHERE slug = 'ana-shop'"), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant_backends WHERE subdomain = "
	    "'ana-shop'"), 0);
	assert_int_equal(count("SELECT count(*) FROM jobs WHERE kind = 'backend.deploy'"),
	    jobs);
	/* Made and removed: three creations, three deletions. */
	assert_int_equal(count("SELECT count(*) FROM audit_logs"), audits + 6);
	assert_int_equal(count("SELECT count(*) FROM audit_logs WHERE action = 'delete' "
	    "AND content_type IN ('users', 'merchants', 'merchant-backends')"), 3);

	/* Accepted: Stripe's subscription, then the deployment. */
	static const char *const b3[] = { "{\"id\":\"cus_b\"}", "{\"id\":\"sub_b\","
	    "\"status\":\"trialing\",\"current_period_start\":1795000000,"
	    "\"current_period_end\":1795604800,\"trial_end\":1795604800}" };
	script(2, s1, b3);
	o = call(METHOD_POST, "/api/platform/onboard-merchant", body, &st);
	assert_int_equal(st, 201);
	const cJSON *d = cJSON_GetObjectItem(o, "data");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(d,
	    "subscription"), "stripeSubscriptionId")), "sub_b");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(d,
	    "subscription"), "status")), "trialing");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(d,
	    "deployment"), "action")), "deploy");
	cJSON_Delete(o);
	/* The tax rate is Stripe's already. */
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[1].path, "/v1/subscriptions");
	assert_non_null(strstr(fake.seen[1].body, "items[0][price]=price_2"));
	assert_non_null(strstr(fake.seen[1].body, "&default_tax_rates[0]=txr_fr20&"));
	assert_non_null(strstr(fake.seen[1].body, "&trial_period_days=7"));
	assert_int_equal(count("SELECT count(*) FROM jobs WHERE kind = 'backend.deploy'"),
	    jobs + 1);

	stripe_off();
}

/* Staged by the fake Stripe while it makes the subscription: another one
 * starts for the same merchant. */
static void
start_a_rival(const struct seen *x)
{
	sqlite3 *db;
	if (strcmp(x->path, "/v1/subscriptions") != 0 || strcmp(x->method, "POST") != 0)
		return;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return;
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "INSERT INTO subscriptions (document_id, merchant_id, plan_id, "
	    "status, created_at, updated_at) VALUES ('rivalsub0000000000000000', 2, 1, "
	    "'active', 't', 't')", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* A subscription Stripe made that the platform cannot record (another
 * started meanwhile) is cancelled at Stripe again: nothing bills that
 * nobody here knows of. */
static void
provider_should_cancel_at_stripe_what_it_could_not_record(void **state)
{
	int st;
	(void)state;
	stripe_on();
	static const int s1[] = { 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_r\"}", "{\"id\":\"price_r\"}" };
	script(2, s1, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Race\",\"slug\":\"race\",\"priceCents\":2900}}", &st);
	assert_int_equal(st, 201);
	char body[160];
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":2,\"plan\":%lld}}",
	    (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "id")));
	cJSON_Delete(o);
	static const int s2[] = { 200, 200, 200 };
	static const char *const b2[] = { "{\"id\":\"cus_r\"}", "{\"id\":\"sub_race\","
	    "\"status\":\"active\",\"current_period_start\":1795000000,"
	    "\"current_period_end\":1797592000}", "{\"id\":\"sub_race\","
	    "\"status\":\"canceled\"}" };
	script(3, s2, b2);
	fake.hook = start_a_rival;
	o = call(METHOD_POST, "/api/subscriptions", body, &st);
	fake.hook = NULL;
	assert_int_equal(st, 409);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    o, "error"), "message")), "This merchant already has a live subscription");
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 3);
	assert_string_equal(fake.seen[1].path, "/v1/subscriptions");
	assert_string_equal(fake.seen[2].method, "DELETE");
	assert_string_equal(fake.seen[2].path, "/v1/subscriptions/sub_race");
	assert_int_equal(count("SELECT count(*) FROM subscriptions WHERE "
	    "stripe_subscription_id = 'sub_race'"), 0);
	stripe_off();
}

/* The id of a record in a route's answer. */
static int64_t
data_id(const cJSON *o)
{
	return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "id"));
}

/* Prices are immutable at Stripe: a plan's new price is a new Stripe
 * price, the old one archived, the plan's subscriptions moved to it from
 * their next period (once); withdrawing or deleting a plan archives its
 * product and price. */
static void
plan_changes_should_reach_stripe(void **state)
{
	int st;
	char path[96], body[160];
	(void)state;
	stripe_on();
	static const int ok2[] = { 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_c\"}", "{\"id\":\"price_c1\"}" };
	script(2, ok2, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Change\",\"slug\":\"change\",\"priceCents\":3900}}", &st);
	assert_int_equal(st, 201);
	int64_t plan = data_id(o);
	cJSON_Delete(o);
	static const char *const b2[] = { "{\"id\":\"cus_c\"}", "{\"id\":\"sub_c\","
	    "\"status\":\"active\",\"current_period_start\":1795000000,"
	    "\"current_period_end\":1797592000}" };
	script(2, ok2, b2);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":2,\"plan\":%lld}}",
	    (long long)plan);
	o = call(METHOD_POST, "/api/subscriptions", body, &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);

	/* 49.00 instead of 39.00: a new price, the old one archived. */
	static const char *const b3[] = { "{\"id\":\"price_c2\"}", "{\"id\":\"price_c1\","
	    "\"active\":false}" };
	script(2, ok2, b3);
	snprintf(path, sizeof(path), "/api/subscription-plans/%lld", (long long)plan);
	o = call(METHOD_PUT, path, "{\"data\":{\"priceCents\":4900}}", &st);
	assert_int_equal(st, 200);
	assert_string_equal(dstr(o, "stripePriceId"), "price_c2");
	assert_string_equal(dstr(o, "stripeProductId"), "prod_c");
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].path, "/v1/prices");
	assert_string_equal(fake.seen[0].body, "product=prod_c&unit_amount=4900&"
	    "currency=eur&recurring[interval]=month");
	assert_string_equal(fake.seen[1].path, "/v1/prices/price_c1");
	assert_string_equal(fake.seen[1].body, "active=false");

	/* The subscription moves at its renewal, by the background job. */
	static const char *const b4[] = { "{\"id\":\"sub_c\",\"items\":{\"data\":[{\"id\":"
	    "\"si_c\",\"price\":{\"id\":\"price_c1\"}}]}}", "{\"id\":\"sub_c\"}" };
	script(2, ok2, b4);
	assert_int_equal(jobs_drain(app_db(app), background_jobs, nbackground_jobs, "test",
	    clock_now_ms(), 10), 1);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].method, "GET");
	assert_string_equal(fake.seen[0].path, "/v1/subscriptions/sub_c");
	assert_string_equal(fake.seen[1].path, "/v1/subscriptions/sub_c");
	assert_string_equal(fake.seen[1].body, "items[0][id]=si_c&items[0][price]=price_c2&"
	    "proration_behavior=none");
	assert_non_null(strstr(fake.seen[1].headers, "Idempotency-Key: "
	    "subscription-sub_c-price-price_c2\r\n"));
	/* Run again: read, and nothing to move. */
	static const char *const b5[] = { "{\"id\":\"sub_c\",\"items\":{\"data\":[{\"id\":"
	    "\"si_c\",\"price\":{\"id\":\"price_c2\"}}]}}" };
	script(1, ok2, b5);
	struct stripe s;
	stripe_from_config(&s);
	assert_int_equal(provider_reprice(app_db(app), &s, plan), ERR_OK);
	assert_int_equal(fake.nseen, 1);

	/* Neither amount, currency nor interval: Stripe is not asked. */
	script(0, NULL, NULL);
	o = call(METHOD_PUT, path, "{\"data\":{\"description\":\"For changes\"}}", &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 0);

	/* Withdrawn: its price and product archived. */
	static const char *const b6[] = { "{}", "{}" };
	script(2, ok2, b6);
	o = call(METHOD_PUT, path, "{\"data\":{\"active\":false}}", &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].path, "/v1/prices/price_c2");
	assert_string_equal(fake.seen[0].body, "active=false");
	assert_string_equal(fake.seen[1].path, "/v1/products/prod_c");
	assert_string_equal(fake.seen[1].body, "active=false");

	/* Deleted while a subscription holds it: refused, nothing archived;
	 * a plan nobody holds: deleted, and archived at Stripe. */
	script(0, NULL, NULL);
	o = call(METHOD_DELETE, path, NULL, &st);
	assert_int_equal(st, 409);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 0);
	static const char *const b7[] = { "{\"id\":\"prod_d\"}", "{\"id\":\"price_d\"}" };
	script(2, ok2, b7);
	o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Gone\",\"slug\":\"gone\",\"priceCents\":900}}", &st);
	assert_int_equal(st, 201);
	snprintf(path, sizeof(path), "/api/subscription-plans/%lld", (long long)data_id(o));
	cJSON_Delete(o);
	script(2, ok2, b6);
	o = call(METHOD_DELETE, path, NULL, &st);
	assert_int_equal(st, 204);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].path, "/v1/prices/price_d");
	assert_string_equal(fake.seen[1].path, "/v1/products/prod_d");
	assert_string_equal(fake.seen[1].body, "active=false");
	stripe_off();
}

/* The card is collected on Stripe's own page: a Checkout Session in
 * subscription mode (the trial and the VAT in it), its place held by a
 * pending subscription; an unfinished one gives way to a new one; the
 * return URL records what Stripe made; the customer portal is a session
 * of Stripe's too. */
static void
checkout_should_collect_the_card_at_stripe(void **state)
{
	int st;
	char body[160], want[1024], loc[256];
	(void)state;
	stripe_on();
	static const int ok3[] = { 200, 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_k\"}", "{\"id\":\"price_k\"}" };
	script(2, ok3, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Card\",\"slug\":\"card\",\"priceCents\":2900,\"trialDays\":14}}", &st);
	assert_int_equal(st, 201);
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":2,\"plan\":%lld}}",
	    (long long)data_id(o));
	cJSON_Delete(o);

	/* A merchant without a customer has no portal yet. */
	script(0, NULL, NULL);
	o = call(METHOD_POST, "/api/merchants/2/billing-portal", NULL, &st);
	assert_int_equal(st, 409);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 0);

	static const char *const b2[] = { "{\"id\":\"cus_k\"}", "{\"id\":\"cs_test_a1\","
	    "\"object\":\"checkout.session\",\"status\":\"open\",\"url\":"
	    "\"https://checkout.stripe.com/c/pay/cs_test_a1\"}" };
	script(2, ok3, b2);
	o = call(METHOD_POST, "/api/subscriptions/checkout", body, &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(o, "url"), "https://checkout.stripe.com/c/pay/cs_test_a1");
	assert_string_equal(dstr(o, "sessionId"), "cs_test_a1");
	const cJSON *sub = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "subscription");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(sub, "status")),
	    "pending");
	const char *doc = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "documentId"));
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[1].path, "/v1/checkout/sessions");
	snprintf(want, sizeof(want), "mode=subscription&customer=cus_k&"
	    "line_items[0][price]=price_k&line_items[0][quantity]=1&client_reference_id=%s&"
	    "metadata[subscription]=%s&subscription_data[metadata][subscription]=%s&"
	    "success_url=https%%3A%%2F%%2Flocalhost%%3A8443%%2Fmarketplace%%2Fcheckout%%2F"
	    "return%%3Fsession_id%%3D%%7BCHECKOUT_SESSION_ID%%7D&cancel_url=https%%3A%%2F%%2F"
	    "localhost%%3A8443%%2Fmarketplace%%2Fmerchant-dashboard.html%%3Fmerchant%%3D2%%26"
	    "flash%%3DFLASH_CHECKOUT_CANCELLED&subscription_data[trial_period_days]=14",
	    doc, doc, doc);
	assert_string_equal(fake.seen[1].body, want);
	snprintf(want, sizeof(want), "Idempotency-Key: checkout-%s\r\n", doc);
	assert_non_null(strstr(fake.seen[1].headers, want));
	int64_t first = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(sub, "id"));
	cJSON_Delete(o);

	/* Left on Stripe's page, then started again: the first session is
	 * expired at Stripe, its pending subscription cancelled. */
	static const char *const b3[] = { "{\"id\":\"cs_test_a1\",\"status\":\"open\"}",
	    "{\"id\":\"cs_test_a1\",\"status\":\"expired\"}", "{\"id\":\"cs_test_a2\","
	    "\"status\":\"open\",\"url\":\"https://checkout.stripe.com/c/pay/cs_test_a2\"}" };
	script(3, ok3, b3);
	o = call(METHOD_POST, "/api/subscriptions/checkout", body, &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(o, "sessionId"), "cs_test_a2");
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 3);
	assert_string_equal(fake.seen[0].path, "/v1/checkout/sessions/cs_test_a1");
	assert_string_equal(fake.seen[1].path, "/v1/checkout/sessions/cs_test_a1/expire");
	/* Still its trial: the first checkout gave none. */
	assert_non_null(strstr(fake.seen[2].body, "&subscription_data[trial_period_days]=14"));
	snprintf(want, sizeof(want), "SELECT count(*) FROM subscriptions WHERE id = %lld "
	    "AND status = 'cancelled' AND cancellation_reason = 'checkout abandoned'",
	    (long long)first);
	assert_int_equal(count(want), 1);

	/* Back from Stripe's page, paid: the subscription Stripe made. */
	static const char *const b4[] = { "{\"id\":\"cs_test_a2\",\"status\":\"complete\","
	    "\"subscription\":{\"id\":\"sub_k\",\"object\":\"subscription\",\"status\":"
	    "\"trialing\",\"current_period_start\":1795000000,\"current_period_end\":"
	    "1796209600,\"trial_end\":1796209600}}" };
	script(1, ok3, b4);
	assert_int_equal(call_page("/marketplace/checkout/return?session_id=cs_test_a2",
	    loc, sizeof(loc)), 303);
	assert_string_equal(loc, "/marketplace/merchant-dashboard.html?merchant=2&"
	    "flash=FLASH_CHECKOUT_DONE");
	assert_string_equal(fake.seen[0].path, "/v1/checkout/sessions/cs_test_a2?"
	    "expand%5B%5D=subscription");
	assert_int_equal(count("SELECT count(*) FROM subscriptions WHERE merchant_id = 2 "
	    "AND stripe_subscription_id = 'sub_k' AND status = 'trialing' AND trial_end = "
	    "'2026-12-02T11:06:40.000Z' AND stripe_checkout_session_id = 'cs_test_a2'"), 1);
	/* A session nobody here started, or not a session id. */
	script(0, NULL, NULL);
	assert_int_equal(call_page("/marketplace/checkout/return?session_id=cs_test_zz",
	    loc, sizeof(loc)), 404);
	assert_int_equal(call_page("/marketplace/checkout/return?session_id=x%27%3B",
	    loc, sizeof(loc)), 400);
	assert_int_equal(fake.nseen, 0);

	/* The customer portal: Stripe's session, back to the dashboard. */
	static const char *const b5[] = { "{\"id\":\"bps_1\",\"object\":"
	    "\"billing_portal.session\",\"url\":\"https://billing.stripe.com/p/session/"
	    "test_1\"}" };
	script(1, ok3, b5);
	o = call(METHOD_POST, "/api/merchants/2/billing-portal", NULL, &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(o, "url"), "https://billing.stripe.com/p/session/test_1");
	cJSON_Delete(o);
	assert_string_equal(fake.seen[0].path, "/v1/billing_portal/sessions");
	assert_string_equal(fake.seen[0].body, "customer=cus_k&return_url=https%3A%2F%2F"
	    "localhost%3A8443%2Fmarketplace%2Fmerchant-dashboard.html%3Fmerchant%3D2");
	stripe_off();
}

/* Stripe counts yen without decimals and Kuwaiti dinars in thousandths;
 * the platform counts every currency in hundredths. */
static void
stripe_amounts_should_follow_each_currencys_minor_unit(void **state)
{
	(void)state;
	assert_int_equal(stripe_amount_to("JPY", 50000), 500);
	assert_int_equal(stripe_amount_to("jpy", 50050), -1);
	assert_int_equal(stripe_amount_to("EUR", 4900), 4900);
	assert_int_equal(stripe_amount_to("kwd", 1234), 12340);
	assert_int_equal(stripe_amount_from("jpy", 5000), 500000);
	assert_int_equal(stripe_amount_from("eur", 118), 118);
	assert_int_equal(stripe_amount_from("BHD", 12340), 1234);
	assert_int_equal(stripe_amount_from(NULL, 99), 99);
}

/* A yen plan reaches Stripe in yen; a price with a fraction of a yen is
 * refused before anything is made at Stripe. */
static void
provider_should_price_yen_without_decimals(void **state)
{
	int st;
	(void)state;
	stripe_on();
	static const int s1[] = { 200, 200 };
	static const char *const b1[] = { "{\"id\":\"prod_jp\"}", "{\"id\":\"price_jp\"}" };
	script(2, s1, b1);
	cJSON *o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Tokyo\",\"slug\":\"tokyo\",\"priceCents\":50000,\"currency\":\"JPY\"}}",
	    &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[1].body, "product=prod_jp&unit_amount=500&"
	    "currency=jpy&recurring[interval]=month");
	script(2, s1, b1);
	o = call(METHOD_POST, "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Osaka\",\"slug\":\"osaka\",\"priceCents\":50050,\"currency\":\"JPY\"}}",
	    &st);
	assert_int_equal(st, 400);
	char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "error"), "details"));
	assert_string_equal(got, "{\"errors\":[{\"path\":[\"priceCents\"],\"message\":"
	    "\"priceCents must be a whole number of units in a currency without decimals "
	    "(JPY: 500 yen is 50000)\",\"name\":\"ValidationError\",\"value\":50050}]}");
	free(got);
	cJSON_Delete(o);
	assert_int_equal(fake.nseen, 0);
	stripe_off();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stripe_should_send_exact_form_bodies_and_keys),
		cmocka_unit_test(stripe_should_retry_5xx_with_the_same_key),
		cmocka_unit_test(stripe_should_not_retry_4xx_and_say_why),
		cmocka_unit_test(stripe_should_retry_network_errors),
		cmocka_unit_test(webhook_signatures_should_be_checked),
		cmocka_unit_test(provider_should_bill_through_stripe),
		cmocka_unit_test(stripe_amounts_should_follow_each_currencys_minor_unit),
		cmocka_unit_test(provider_should_price_yen_without_decimals),
		cmocka_unit_test(onboarding_should_subscribe_through_stripe_or_leave_nothing),
		cmocka_unit_test(provider_should_cancel_at_stripe_what_it_could_not_record),
		cmocka_unit_test(plan_changes_should_reach_stripe),
		cmocka_unit_test(checkout_should_collect_the_card_at_stripe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
