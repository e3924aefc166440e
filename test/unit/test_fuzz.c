/*
 * Randomised abuse of the parsers (query string, Strapi query language,
 * JSON bodies, validation), deterministic so a failure replays. Run under
 * ASan+UBSan by `make test`: any memory error or crash fails it; every
 * answer must be a well-formed envelope with a 2xx or 4xx status.
 */
#include "unit.h"
#include "json.h"

static char dbpath[256];
static char auth[JWT_MAX_LEN + 16];
static char merchant_auth[JWT_MAX_LEN + 16];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *const qtokens[] = {
	"filters", "[", "]", "$eq", "$in", "$or", "$and", "$null", "$contains",
	"name", "slug", "priceCents", "active", "features", "id", "0", "1", "99",
	"=", "&", "%", "%2", "%5B", "%5D", "%00", "+", "sort", ":", "asc", "desc",
	",", "pagination", "page", "pageSize", "start", "limit", "-1",
	"99999999999999999999", "fields", "populate", "*", "'", "\"", ";", "--",
	"\xc3\xa9", "\xff", " ", "$startsWith", "$endsWith", "$notIn", "[0]",
};

static const char *const jtokens[] = {
	"{", "}", "[", "]", ":", ",", "\"data\"", "\"name\"", "\"slug\"",
	"\"priceCents\"", "\"features\"", "\"limits\"", "\"maxStaff\"", "\"x\"",
	"1", "-1", "1.5", "1e999", "true", "false", "null", "\"\\u0000\"",
	"\"\\ud800\"", "\"a\\\"b\"", "\"\xc3\xa9\"", "\"\xff\"", " ", "\"active\"",
	"\"interval\"", "\"month\"", "\"pro\"", "\"supportLevel\"", "\"email\"",
};

static int
setup(void **state)
{
	struct app *app = NULL;
	if (unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app) != 0)
		return -1;
	unit_bearer(app, "admin@example.com", auth, sizeof(auth));
	unit_bearer(app, "clara@example.com", merchant_auth, sizeof(merchant_auth));
	*state = app;
	return 0;
}

static int
teardown(void **state)
{
	app_close(*state);
	unit_rmdb(dbpath);
	return 0;
}

static void
check_answer(const struct response *resp, const char *input)
{
	if (resp->status >= 500 || resp->status < 200)
		fail_msg("status %d for %s", resp->status, input);
	if (resp->status == 204)
		return;
	cJSON *o = cJSON_Parse(buf_str(&resp->body));
	if (o == NULL || (!cJSON_GetObjectItem(o, "data")))
		fail_msg("malformed answer for %s: %s", input, buf_str(&resp->body));
	cJSON_Delete(o);
}

/* POSTs body to path as the caller of bearer; returns the answer. */
static void
post(struct app *app, const char *path, const char *bearer, const char *body,
    struct response *resp)
{
	struct request req;
	unit_request(&req, METHOD_POST, path, "");
	http_add_header(&req, "authorization", bearer);
	http_add_header(&req, "content-type", "application/json");
	req.body = body;
	req.body_len = strlen(body);
	resp_init(resp);
	app_handle(app, &req, resp);
	arena_free(&req.arena);
}

/* Found by fuzz_json (libFuzzer): a reference given as a number past what
 * an int64_t holds was converted anyway (undefined behaviour, which the
 * sanitizer build stops on). It is an id that names nothing. */
static void
numbers_past_2_53_should_be_refused_not_converted(void **state)
{
	struct response resp;
	post(*state, "/api/support-tickets", merchant_auth, "{\"data\":{\"merchant\":"
	    "02222222222222222222222222222222228978}}", &resp);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(buf_str(&resp.body), "\"path\":[\"merchant\"],"
	    "\"message\":\"a merchant opens tickets for itself\""));
	resp_free(&resp);
	post(*state, "/api/support-tickets", auth, "{\"data\":{\"merchant\":1e300,"
	    "\"subject\":\"S\",\"description\":\"D\",\"category\":\"billing\","
	    "\"priority\":\"low\"}}", &resp);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(buf_str(&resp.body), "\"path\":[\"merchant\"],"
	    "\"message\":\"merchant does not exist\""));
	resp_free(&resp);
}

static void
fuzz_should_never_break_the_query_parser(void **state)
{
	char q[512];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		int parts = 1 + (int)(next() % 24);
		for (int k = 0; k < parts && n < sizeof(q) - 64; k++)
			n += (size_t)snprintf(q + n, sizeof(q) - n, "%s",
			    qtokens[next() % (sizeof(qtokens) / sizeof(qtokens[0]))]);
		struct request req;
		struct response resp;
		unit_request(&req, METHOD_GET, "/api/subscription-plans", q);
		resp_init(&resp);
		app_handle(*state, &req, &resp);
		check_answer(&resp, q);
		resp_free(&resp);
		arena_free(&req.arena);
	}
}

static void
fuzz_should_never_break_body_parsing_and_validation(void **state)
{
	char b[1024];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		/* Half start from a plausible body, half from nothing. */
		if (next() & 1)
			n = (size_t)snprintf(b, sizeof(b), "{\"data\":{\"name\":\"N\",\"slug\":\"s%d\","
			    "\"priceCents\":1,", iter);
		int parts = 1 + (int)(next() % 30);
		for (int k = 0; k < parts && n < sizeof(b) - 64; k++)
			n += (size_t)snprintf(b + n, sizeof(b) - n, "%s",
			    jtokens[next() % (sizeof(jtokens) / sizeof(jtokens[0]))]);
		if (next() & 1)
			n += (size_t)snprintf(b + n, sizeof(b) - n, "}}");
		struct request req;
		struct response resp;
		unit_request(&req, METHOD_POST, "/api/subscription-plans", "");
		http_add_header(&req, "authorization", auth);
		req.body = b;
		req.body_len = n;
		resp_init(&resp);
		app_handle(*state, &req, &resp);
		check_answer(&resp, b);
		resp_free(&resp);
		arena_free(&req.arena);
	}
}

static void
fuzz_should_never_break_json_on_random_bytes(void **state)
{
	unsigned char b[256];
	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		size_t n = next() % sizeof(b);
		for (size_t i = 0; i < n; i++)
			b[i] = (unsigned char)"{}[]\":,\\u0 1aZ\xc3\xa9\xff"[next() % 18];
		cJSON *o = NULL;
		const char *why = NULL;
		enum err e = json_parse_body((const char *)b, n, &o, &why);
		assert_true(e == ERR_OK || e == ERR_BAD_REQUEST);
		assert_true((e == ERR_OK) == (o != NULL));
		cJSON_Delete(o);
	}
}

/* GET /api/support-tickets?<query> with credentials; the answer's status
 * and, for lists, its total (else -1). */
static int
search(struct app *app, const char *query, const char *bearer, int64_t *total)
{
	struct request req;
	struct response resp;
	unit_request(&req, METHOD_GET, "/api/support-tickets", query);
	http_add_header(&req, "authorization", bearer);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	check_answer(&resp, query);
	int st = resp.status;
	cJSON *o = cJSON_Parse(buf_str(&resp.body));
	const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "meta"), "pagination"), "total");
	*total = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : -1;
	cJSON_Delete(o);
	resp_free(&resp);
	arena_free(&req.arena);
	return st;
}

static void
fuzz_should_never_break_ticket_search(void **state)
{
	struct app *app = *state;
	for (int i = 0; i < 3; i++) {
		struct request req;
		struct response resp;
		unit_request(&req, METHOD_POST, "/api/support-tickets", "");
		http_add_header(&req, "authorization", merchant_auth);
		req.body = "{\"data\":{\"subject\":\"Search me\",\"description\":"
		    "\"Payment page shows an error\",\"category\":\"billing\","
		    "\"priority\":\"low\"}}";
		req.body_len = strlen(req.body);
		resp_init(&resp);
		app_handle(app, &req, &resp);
		assert_int_equal(resp.status, 201);
		resp_free(&resp);
		arena_free(&req.arena);
	}
	int64_t all = 0, n = 0;
	assert_int_equal(search(app, "", auth, &all), 200);
	assert_true(all >= 3);
	/* Blank and punctuation-only searches filter nothing. */
	static const char *const blank[] = { "q=", "q=%20", "q=+", "q=+++", "q=...",
	    "q=%22", "q=%22%22", "q=-", "q=*", "q=(", "q=%5E", "q=:", "q=%C2%AB%C2%BB",
	    "q=%E2%80%A6", "q=!%3F", "q=%22+%22", "q=%E2%80%94+%E2%80%94" };
	for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		if (search(app, blank[i], auth, &n) != 200 || n != all)
			fail_msg("%s: total %lld, want %lld", blank[i], (long long)n,
			    (long long)all);
	}
	/* Query syntax is taken as words; words are found. */
	static const char *const words[] = { "q=AND", "q=NEAR(a+b)", "q=OR+NOT",
	    "q=payment*", "q=%22payment%22", "q=^payment", "q=subject:payment" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_int_equal(search(app, words[i], auth, &n), 200);
	assert_int_equal(search(app, "q=payment+...", auth, &n), 200);
	assert_int_equal(n, 3);
	/* Random bytes, percent-encoded, as staff and as a merchant: a list
	 * or a 400, never a 500. */
	char q[400];
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = next() % 60, k = (size_t)snprintf(q, sizeof(q), "q=");
		for (size_t i = 0; i < len; i++) {
			unsigned c = next() & 3 ? " \"*^:()-+.,!?'aZ9\xc3\xa9\xe2\x80\xa6"
			    [next() % 22] & 0xffu : next() & 0xffu;
			k += (size_t)snprintf(q + k, sizeof(q) - k, "%%%02X", c);
		}
		int st = search(app, q, iter & 1 ? auth : merchant_auth, &n);
		if (st != 200 && st != 400)
			fail_msg("%s: %d", q, st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_past_2_53_should_be_refused_not_converted),
		cmocka_unit_test(fuzz_should_never_break_the_query_parser),
		cmocka_unit_test(fuzz_should_never_break_body_parsing_and_validation),
		cmocka_unit_test(fuzz_should_never_break_json_on_random_bytes),
		cmocka_unit_test(fuzz_should_never_break_ticket_search),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
