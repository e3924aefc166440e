#include "unit.h"
#include "app.h"

static void
router_should_prefer_literal_segment_over_id(void **state)
{
	char id[64];
	enum err e;
	unsigned allow;
	(void)state;
	int r = router_match(platform_routes, platform_nroutes, METHOD_GET, "/api/subscription-plans/active", id,
	    sizeof(id), &e, &allow);
	assert_true(r >= 0);
	assert_string_equal(platform_routes[r].pattern, "/api/subscription-plans/active");
	assert_string_equal(id, "");
	r = router_match(platform_routes, platform_nroutes, METHOD_GET, "/api/subscription-plans/42", id, sizeof(id),
	    &e, &allow);
	assert_true(r >= 0);
	assert_string_equal(platform_routes[r].pattern, "/api/subscription-plans/:id");
	assert_string_equal(id, "42");
}

static void
router_should_answer_404_for_unknown_paths(void **state)
{
	static const char *const bad[] = {
		"/", "/api", "/api/", "/api/nope", "/api/subscription-plans//",
		"/api/subscription-plans/1/2", "//api/subscription-plans",
		"/API/subscription-plans", "/api/subscription-plans/active/x",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char id[64];
		enum err e = ERR_OK;
		unsigned allow;
		assert_int_equal(router_match(platform_routes, platform_nroutes, METHOD_GET, bad[i], id, sizeof(id),
		    &e, &allow), -1);
		assert_int_equal(e, ERR_NOT_FOUND);
	}
}

/* A trailing slash names the same route, as in Strapi. */
static void
router_should_take_a_trailing_slash_as_the_same_route(void **state)
{
	char id[64], id2[64];
	enum err e = ERR_OK;
	unsigned allow;
	(void)state;
	int r = router_match(platform_routes, platform_nroutes, METHOD_GET,
	    "/api/subscription-plans", id, sizeof(id), &e, &allow);
	assert_true(r >= 0);
	assert_int_equal(router_match(platform_routes, platform_nroutes, METHOD_GET,
	    "/api/subscription-plans/", id, sizeof(id), &e, &allow), r);
	r = router_match(platform_routes, platform_nroutes, METHOD_PUT,
	    "/api/support-tickets/abc", id, sizeof(id), &e, &allow);
	assert_true(r >= 0);
	assert_int_equal(router_match(platform_routes, platform_nroutes, METHOD_PUT,
	    "/api/support-tickets/abc/", id2, sizeof(id2), &e, &allow), r);
	assert_string_equal(id2, "abc");
	assert_true(router_match(platform_routes, platform_nroutes, METHOD_GET, "/health/",
	    id, sizeof(id), &e, &allow) >= 0);
}

static void
router_should_answer_405_with_allowed_methods(void **state)
{
	char id[64];
	enum err e = ERR_OK;
	unsigned allow = 0;
	(void)state;
	assert_int_equal(router_match(platform_routes, platform_nroutes, METHOD_PATCH, "/api/subscription-plans",
	    id, sizeof(id), &e, &allow), -1);
	assert_int_equal(e, ERR_METHOD);
	assert_true(allow & (1u << METHOD_GET));
	assert_true(allow & (1u << METHOD_POST));
	assert_false(allow & (1u << METHOD_DELETE));
}

static void
router_should_route_head_like_get(void **state)
{
	char id[64];
	enum err e;
	unsigned allow;
	(void)state;
	int r = router_match(platform_routes, platform_nroutes, METHOD_HEAD, "/health", id, sizeof(id), &e, &allow);
	assert_true(r >= 0);
	assert_int_equal(platform_routes[r].method, METHOD_GET);
}

static void
router_should_refuse_overlong_ids(void **state)
{
	char id[8], path[128];
	enum err e;
	unsigned allow;
	(void)state;
	snprintf(path, sizeof(path), "/api/subscription-plans/%s",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(router_match(platform_routes, platform_nroutes, METHOD_GET, path, id, sizeof(id), &e,
	    &allow), -1);
}

static void
route_table_should_be_complete_and_unambiguous(void **state)
{
	(void)state;
	assert_true(platform_nroutes > 0);
	for (size_t i = 0; i < platform_nroutes; i++) {
		const struct route *r = &platform_routes[i];
		assert_non_null(r->pattern);
		assert_non_null(r->handler);
		assert_non_null(r->summary);
		assert_true(r->pattern[0] == '/');
		assert_true(r->roles != 0);
		assert_true(r->roles == (r->roles & ROLES_ALL));
		/* Only public reads may be cached: a cached answer is shared. */
		if (r->flags & ROUTE_CACHE) {
			assert_int_equal(r->method, METHOD_GET);
			assert_true(r->roles & ROLE_ANON);
		}
		/* Anonymous callers change nothing but their own sign-in and
		 * sign-up, and Stripe, whose signature is checked by the
		 * handler. */
		if (r->method != METHOD_GET && (r->roles & ROLE_ANON))
			assert_true(strcmp(r->pattern, "/api/auth/local") == 0 ||
			    strcmp(r->pattern, "/marketplace/login") == 0 ||
			    strcmp(r->pattern, "/api/platform/onboard-merchant") == 0 ||
			    strcmp(r->pattern, "/marketplace/signup") == 0 ||
			    strcmp(r->pattern, "/api/stripe/webhook") == 0);
		for (size_t j = i + 1; j < platform_nroutes; j++)
			assert_false(r->method == platform_routes[j].method &&
			    strcmp(r->pattern, platform_routes[j].pattern) == 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(router_should_prefer_literal_segment_over_id),
		cmocka_unit_test(router_should_answer_404_for_unknown_paths),
		cmocka_unit_test(router_should_take_a_trailing_slash_as_the_same_route),
		cmocka_unit_test(router_should_answer_405_with_allowed_methods),
		cmocka_unit_test(router_should_route_head_like_get),
		cmocka_unit_test(router_should_refuse_overlong_ids),
		cmocka_unit_test(route_table_should_be_complete_and_unambiguous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
