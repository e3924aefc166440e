/*
 * nginx's sign-in limit, on a stack with the production setting
 * (PLATFORM_LOGIN_RATE=10): ten failed sign-ins in a minute from one
 * address are answered, the 11th is a 429 in the API's error shape.
 */
#include "harness.h"

static int
setup(void **state)
{
	(void)state;
	return stack_start("PLATFORM_LOGIN_RATE=10");
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

static void
eleventh_failed_sign_in_in_a_minute_should_get_429(void **state)
{
	(void)state;
	char body[160];
	/* Distinct unknown accounts: the per-account delay plays no part. */
	for (int i = 1; i <= 10; i++) {
		snprintf(body, sizeof(body), "{\"identifier\":\"nobody%d@example.com\","
		    "\"password\":\"wrong-password\"}", i);
		struct reply r = request("POST", "/api/auth/local", body);
		if (r.status != 400)
			fail_msg("attempt %d: %ld %s", i, r.status, r.body);
		reply_free(&r);
	}
	snprintf(body, sizeof(body), "{\"identifier\":\"nobody11@example.com\","
	    "\"password\":\"wrong-password\"}");
	struct reply r = request("POST", "/api/auth/local", body);
	assert_reply(r, 429, "{\"data\":null,\"error\":{\"status\":429,\"name\":"
	    "\"RateLimitError\",\"message\":\"Too many requests, please try again "
	    "later.\",\"details\":{}}}");
	reply_free(&r);
	/* The browser's sign-in form shares the limit. */
	const char *const hs[] = { "Content-Type: application/x-www-form-urlencoded",
	    NULL };
	r = request_full("POST", "/marketplace/login", "identifier=x", 12, hs);
	assert_int_equal(r.status, 429);
	reply_free(&r);
	/* Other routes are not limited. */
	r = request("GET", "/api/subscription-plans/active", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eleventh_failed_sign_in_in_a_minute_should_get_429),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
