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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fuzz_should_never_break_the_query_parser),
		cmocka_unit_test(fuzz_should_never_break_body_parsing_and_validation),
		cmocka_unit_test(fuzz_should_never_break_json_on_random_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
