/*
 * Accounts and roles over HTTPS against the real stack: the route matrix
 * (every route of the route table, as anonymous, admin, agent, merchant A
 * and merchant B, against SPEC §4), JWT attacks, API tokens, CSRF and
 * cookies, merchant scoping and validation, the audit log, sign-in delays.
 */
#include "harness.h"

#include <pthread.h>
#include <sqlite3.h>

#include "app.h"
#include "platform.h"
#include "crypto.h"
#include "jwt.h"

enum who { ANON, ADMIN, AGENT, MA, MB, WHO__MAX };
static const char *const who_names[WHO__MAX] = { "anonymous", "admin", "agent",
    "merchant A", "merchant B" };
static char auth[WHO__MAX][2200];	/* "Authorization: Bearer ..." */
static int64_t merchant_a, merchant_b, user_clara, user_bob;
static int64_t sub_a, invoice_a;	/* merchant A's */
static int64_t ticket_a, response_a;	/* merchant A's, public */

/* The expected answer of a route for each caller, from SPEC §4:
 * A allowed (neither 401 nor 403, and not 404 for its own records),
 * F 403 (anonymous too, as Strapi's public role), N 404 (another
 * merchant's record), R 303 to sign-in. A bad credential is a 401 (tested
 * below). */
static const struct rule {
	const char	*method, *pattern;
	const char	*expect;	/* anon admin agent mA mB */
} rules[] = {
	{ "GET", "/health", "AAAAA" },
	/* The matrix calls from loopback, where /metrics answers anyone;
	 * test_metrics calls it from elsewhere. */
	{ "GET", "/metrics", "AAAAA" },
	{ "POST", "/api/auth/local", "AAAAA" },
	{ "POST", "/api/auth/logout", "FAAAA" },
	{ "GET", "/api/users/me", "FAAAA" },
	{ "GET", "/api/users", "FAFFF" },
	{ "GET", "/api/users/:id", "FAFFF" },
	{ "POST", "/api/users", "FAFFF" },
	{ "PUT", "/api/users/:id", "FAFFF" },
	{ "DELETE", "/api/users/:id", "FAFFF" },
	{ "PUT", "/api/users/:id/unlock", "FAFFF" },
	{ "GET", "/api/subscription-plans/active", "AAAAA" },
	{ "GET", "/api/subscription-plans", "AAAAA" },
	{ "GET", "/api/subscription-plans/:id", "AAAAA" },
	{ "POST", "/api/subscription-plans", "FAFFF" },
	{ "PUT", "/api/subscription-plans/:id", "FAFFF" },
	{ "DELETE", "/api/subscription-plans/:id", "FAFFF" },
	{ "GET", "/api/merchants", "FAAAA" },
	{ "GET", "/api/merchants/:id", "FAAAN" },
	{ "POST", "/api/merchants", "FAFFF" },
	{ "PUT", "/api/merchants/:id", "FAFAN" },
	{ "DELETE", "/api/merchants/:id", "FAFFF" },
	{ "GET", "/api/subscriptions", "FAFAA" },
	{ "GET", "/api/subscriptions/stats", "FAFFF" },
	{ "GET", "/api/subscriptions/:id", "FAFAN" },
	{ "POST", "/api/subscriptions", "FAFAA" },
	{ "PUT", "/api/subscriptions/:id", "FAFAN" },
	{ "DELETE", "/api/subscriptions/:id", "FAFFF" },
	{ "PUT", "/api/subscriptions/:id/cancel", "FAFAN" },
	{ "PUT", "/api/subscriptions/:id/reactivate", "FAFAN" },
	/* With Stripe off: 409 for those who may (the portal: another
	 * merchant's is not found). */
	{ "POST", "/api/subscriptions/checkout", "FAFAA" },
	{ "POST", "/api/merchants/:id/billing-portal", "FAFAN" },
	{ "GET", "/api/invoices", "FAFAA" },
	{ "GET", "/api/invoices/:id", "FAFAN" },
	{ "GET", "/api/invoices/:id/pdf", "FAFAN" },
	/* Stripe's signature is the credential: without one, a 400 or 503. */
	{ "POST", "/api/stripe/webhook", "AAAAA" },
	{ "GET", "/api/support-tickets", "FAAAA" },
	{ "GET", "/api/support-tickets/stats", "FAAFF" },
	{ "GET", "/api/support-tickets/:id", "FAAAN" },
	{ "POST", "/api/support-tickets", "FAAAA" },
	{ "PUT", "/api/support-tickets/:id", "FAAFF" },
	{ "DELETE", "/api/support-tickets/:id", "FAFFF" },
	{ "PUT", "/api/support-tickets/:id/assign", "FAAFF" },
	{ "POST", "/api/support-tickets/:id/responses", "FAAAN" },
	{ "GET", "/api/ticket-responses", "FAAAA" },
	{ "GET", "/api/ticket-responses/:id", "FAAAN" },
	{ "GET", "/api/email-outbox", "FAFFF" },
	{ "GET", "/api/email-outbox/:id", "FAFFF" },
	{ "GET", "/api/api-tokens", "FAFFF" },
	{ "GET", "/api/api-tokens/:id", "FAFFF" },
	{ "POST", "/api/api-tokens", "FAFFF" },
	{ "DELETE", "/api/api-tokens/:id", "FAFFF" },
	{ "GET", "/api/audit-logs", "FAFFF" },
	{ "GET", "/api/audit-logs/:id", "FAFFF" },
	{ "GET", "/api/merchant-backends", "FAAAA" },
	{ "GET", "/api/merchant-backends/:id", "FAAAN" },
	{ "POST", "/api/merchant-backends", "FAFAA" },
	{ "GET", "/api/merchant-backends/:id/deployment-status", "FAAAN" },
	{ "POST", "/api/merchant-backends/:id/restart", "FAFAN" },
	{ "POST", "/api/merchant-backends/:id/stop", "FAFAN" },
	{ "POST", "/api/merchant-backends/:id/start", "FAFAN" },
	{ "POST", "/api/merchant-backends/:id/redeploy", "FAFAN" },
	{ "DELETE", "/api/merchant-backends/:id", "FAFFF" },
	{ "GET", "/marketplace/plans.html", "AAAAA" },
	{ "GET", "/marketplace/login.html", "AAAAA" },
	{ "POST", "/marketplace/login", "AAAAA" },
	{ "GET", "/marketplace/account.html", "RAAAA" },
	{ "POST", "/marketplace/logout", "RAAAA" },
	{ "GET", "/marketplace/boutique-clara.html", "AAAAA" },
	{ "POST", "/api/platform/onboard-merchant", "AAFFF" },
	{ "GET", "/api/platform/dashboard", "FAAFF" },
	{ "GET", "/api/platform/merchant/:id/dashboard", "FAFAN" },
	{ "GET", "/marketplace/signup.html", "AAAAA" },
	{ "POST", "/marketplace/signup", "AAFFF" },
	{ "GET", "/marketplace/platform-admin.html", "RAAFF" },
	{ "GET", "/marketplace/merchant-dashboard.html", "RAFAA" },
	{ "GET", "/marketplace/checkout/return", "RAFAA" },
	{ "GET", "/marketplace/test-platform-api.html", "RAAFF" },
	{ "POST", "/marketplace/test-platform-api", "RAAFF" },
	{ "POST", "/marketplace/act", "RAAAA" },
	{ "GET", "/marketplace/backends/:id/deployment.html", "RAAAN" },
};

static const char *
method_name(enum http_method m)
{
	return http_method_name(m);
}

static void
as(enum who w)
{
	snprintf(harness_auth, sizeof(harness_auth), "%s", auth[w]);
}

/* Creates a record as admin and returns its id (fails the setup if not). */
static int64_t
create(const char *path, const char *body)
{
	as(ADMIN);
	struct reply r = request("POST", path, body);
	int64_t id = -1;
	if (r.status == 201) {
		cJSON *o = cJSON_Parse(r.body);
		id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "data"), "id"));
		cJSON_Delete(o);
	} else
		fprintf(stderr, "create %s: %ld %s\n", path, r.status, r.body);
	reply_free(&r);
	return id;
}

static int64_t
lookup(const char *path, const char *field, const char *value)
{
	char url[256];
	snprintf(url, sizeof(url), "%s?filters%%5B%s%%5D=%s", path, field, value);
	as(ADMIN);
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	return id;
}

static int
setup(void **state)
{
	static const char *const emails[WHO__MAX] = { NULL, "admin@example.com",
	    "agent@example.com", "clara@example.com", "bob@example.com" };
	(void)state;
	if (stack_start("STRIPE_WEBHOOK_SECRET=whsec_matrix") != 0)
		return -1;
	for (int w = ADMIN; w < WHO__MAX; w++) {
		char jwt[2048];
		if (stack_login(emails[w], "demo-password", jwt) != 200)
			return -1;
		snprintf(auth[w], sizeof(auth[w]), "Authorization: Bearer %s", jwt);
	}
	merchant_a = lookup("/api/merchants", "slug", "boutique-clara");
	merchant_b = lookup("/api/merchants", "slug", "bobs-bikes");
	user_clara = lookup("/api/users", "email", "clara@example.com");
	user_bob = lookup("/api/users", "email", "bob@example.com");
	/* Merchant A's subscription and an invoice, from the demo history. */
	char id[32];
	snprintf(id, sizeof(id), "%lld", (long long)merchant_a);
	sub_a = lookup("/api/subscriptions", "merchant", id);
	invoice_a = lookup("/api/invoices", "merchant", id);
	/* A ticket of merchant A, with a public reply. */
	char tb[256];
	snprintf(tb, sizeof(tb), "{\"data\":{\"merchant\":%lld,\"subject\":\"Matrix "
	    "ticket\",\"description\":\"x\",\"category\":\"technical\","
	    "\"priority\":\"low\"}}", (long long)merchant_a);
	ticket_a = create("/api/support-tickets", tb);
	snprintf(tb, sizeof(tb), "/api/support-tickets/%lld/responses", (long long)ticket_a);
	response_a = create(tb, "{\"data\":{\"body\":\"A public answer\"}}");
	return merchant_a > 0 && merchant_b > 0 && user_clara > 0 && sub_a > 0 &&
	    invoice_a > 0 && ticket_a > 0 && response_a > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* The record a route's :id names for the matrix: merchant A's own where
 * the content type is scoped; a throwaway one for DELETE. */
static int64_t
fixture(const struct route *rt)
{
	int del = rt->method == METHOD_DELETE;
	static int n;
	char body[512];
	n++;
	if (strncmp(rt->pattern, "/api/merchants/", 15) == 0) {
		if (!del)
			return merchant_a;
		snprintf(body, sizeof(body), "{\"data\":{\"name\":\"Victim %d\","
		    "\"slug\":\"victim-%d\",\"email\":\"victim%d@example.com\"}}", n, n, n);
		return create("/api/merchants", body);
	}
	if (strncmp(rt->pattern, "/api/platform/merchant/", 23) == 0)
		return merchant_a;
	if (strncmp(rt->pattern, "/api/users/", 11) == 0) {
		if (!del)
			return user_clara;
		snprintf(body, sizeof(body), "{\"data\":{\"username\":\"victim%d\","
		    "\"email\":\"victim%d@example.com\",\"password\":\"long-enough-pw\","
		    "\"role\":\"agent\"}}", n, n);
		return create("/api/users", body);
	}
	if (strncmp(rt->pattern, "/api/subscription-plans/", 24) == 0) {
		if (!del)
			return 1;
		snprintf(body, sizeof(body), "{\"data\":{\"name\":\"Victim\","
		    "\"slug\":\"victim-plan-%d\",\"priceCents\":1}}", n);
		return create("/api/subscription-plans", body);
	}
	if (strncmp(rt->pattern, "/api/api-tokens/", 16) == 0) {
		snprintf(body, sizeof(body), "{\"data\":{\"name\":\"matrix %d\","
		    "\"kind\":\"read-only\"}}", n);
		return create("/api/api-tokens", body);
	}
	if (strncmp(rt->pattern, "/api/subscriptions/", 19) == 0) {
		if (!del)
			return sub_a;
		/* A merchant of its own with a trial subscription: no invoice. */
		snprintf(body, sizeof(body), "{\"data\":{\"name\":\"Sub victim %d\","
		    "\"slug\":\"sub-victim-%d\",\"email\":\"sv%d@example.com\"}}", n, n, n);
		int64_t m = create("/api/merchants", body);
		snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"plan\":1}}",
		    (long long)m);
		return create("/api/subscriptions", body);
	}
	if (strncmp(rt->pattern, "/api/invoices/", 14) == 0)
		return invoice_a;
	if (strncmp(rt->pattern, "/api/support-tickets/", 21) == 0) {
		if (!del)
			return ticket_a;
		snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subject\":"
		    "\"Victim %d\",\"description\":\"x\",\"category\":\"account\","
		    "\"priority\":\"low\"}}", (long long)merchant_a, n);
		return create("/api/support-tickets", body);
	}
	if (strncmp(rt->pattern, "/api/ticket-responses/", 22) == 0)
		return response_a;
	if (strncmp(rt->pattern, "/api/email-outbox/", 18) == 0)
		return lookup("/api/email-outbox", "kind", "invoice_issued");
	if (strncmp(rt->pattern, "/api/audit-logs/", 16) == 0)
		return lookup("/api/audit-logs", "action", "create");
	if (strncmp(rt->pattern, "/api/merchant-backends/", 23) == 0 ||
	    strncmp(rt->pattern, "/marketplace/backends/", 22) == 0) {
		snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subdomain\":"
		    "\"matrix-%d\"}}", (long long)merchant_a, n);
		return create("/api/merchant-backends", body);
	}
	return -1;
}

static void
matrix_should_follow_spec_for_every_route(void **state)
{
	(void)state;
	char csrf[48];
	auth_random_token(csrf);
	for (size_t i = 0; i < platform_nroutes; i++) {
		const struct route *rt = &platform_routes[i];
		const char *m = method_name(rt->method);
		const struct rule *rule = NULL;
		for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++)
			if (strcmp(rules[k].method, m) == 0 &&
			    strcmp(rules[k].pattern, rt->pattern) == 0)
				rule = &rules[k];
		if (rule == NULL)
			fail_msg("route %s %s has no rule in the matrix: add one "
			    "from SPEC §4", m, rt->pattern);
		char url[256];
		snprintf(url, sizeof(url), "%s", rt->pattern);
		char *colon = strstr(url, ":id");
		if (colon) {
			int64_t id = fixture(rt);
			assert_true(id > 0);
			/* Keep what follows :id ("/cancel"). */
			snprintf(url, sizeof(url), "%.*s%lld%s", (int)(colon - url),
			    rt->pattern, (long long)id, rt->pattern + (colon - url) + 3);
		}
		const char *body = NULL;
		char form[160];
		const char *headers[3] = { NULL, NULL, NULL };
		char cookie[160];
		if (rt->flags & (ROUTE_BODY | ROUTE_BODY_OPT))
			body = strcmp(rt->pattern, "/api/auth/local") == 0 ? "{}" :
			    "{\"data\":{}}";
		if (rt->flags & ROUTE_FORM) {
			snprintf(form, sizeof(form), "_csrf=%s", csrf);
			snprintf(cookie, sizeof(cookie), "Cookie: mp_csrf=%s", csrf);
			body = form;
			headers[0] = "Content-Type: application/x-www-form-urlencoded";
		}
		/* Admin last: its DELETE removes the fixture. */
		static const enum who order[] = { ANON, AGENT, MB, MA, ADMIN };
		for (size_t o = 0; o < WHO__MAX; o++) {
			enum who w = order[o];
			as(w);
			headers[1] = (rt->flags & ROUTE_FORM) && w == ANON ? cookie : NULL;
			struct reply r = request_full(m, url, body, body ? strlen(body) : 0,
			    headers);
			char want = rule->expect[w];
			int ok;
			switch (want) {
			case 'F': ok = r.status == 403 && strstr(r.body,
			    "\"name\":\"ForbiddenError\"") != NULL; break;
			case 'N': ok = r.status == 404 && strstr(r.body,
			    "\"name\":\"NotFoundError\"") != NULL; break;
			case 'R': ok = r.status == 303 && strcasestr(r.headers,
			    "location: /marketplace/login.html") != NULL; break;
			default: ok = r.status != 401 && r.status != 403 &&
			    r.status != 404 && r.status > 0 && r.status < 500; break;
			}
			if (!ok)
				fail_msg("%s %s as %s: got %ld %s, want %c", m, url,
				    who_names[w], r.status, r.body, want);
			reply_free(&r);
		}
		/* Signing out with a Bearer token ends nothing; sign in again
		 * anyway for the next routes' sake is not needed. */
	}
}

static void
merchants_should_only_see_themselves(void **state)
{
	(void)state;
	as(MA);
	struct reply r = request("GET", "/api/merchants", NULL);
	assert_reply_has(r, 200, "\"total\":1}");
	assert_reply_has(r, 200, "\"slug\":\"boutique-clara\"");
	assert_null(strstr(r.body, "bobs-bikes"));
	reply_free(&r);
	/* Filters cannot reach around the scope. */
	r = request("GET", "/api/merchants?filters%5Bslug%5D=bobs-bikes", NULL);
	assert_reply_has(r, 200, "\"total\":0}");
	reply_free(&r);
	char url[96];
	snprintf(url, sizeof(url), "/api/merchants/%lld", (long long)merchant_b);
	r = request("PUT", url, "{\"data\":{\"name\":\"Hijacked\"}}");
	assert_reply(r, 404, "{\"data\":null,\"error\":{\"status\":404,\"name\":"
	    "\"NotFoundError\",\"message\":\"Not Found\",\"details\":{}}}");
	reply_free(&r);
	/* Its own record: yes, but not its status or Stripe id. */
	snprintf(url, sizeof(url), "/api/merchants/%lld", (long long)merchant_a);
	r = request("PUT", url, "{\"data\":{\"phone\":\"+33 4 72 00 00 00\"}}");
	assert_reply_has(r, 200, "\"phone\":\"+33 4 72 00 00 00\"");
	reply_free(&r);
	r = request("PUT", url, "{\"data\":{\"status\":\"closed\"}}");
	assert_reply(r, 403, "{\"data\":null,\"error\":{\"status\":403,\"name\":"
	    "\"ForbiddenError\",\"message\":\"Only an admin may change status\","
	    "\"details\":{}}}");
	reply_free(&r);
	r = request("PUT", url, "{\"data\":{\"stripeCustomerId\":\"cus_x\"}}");
	assert_int_equal(r.status, 403);
	reply_free(&r);
	as(ADMIN);
	r = request("GET", "/api/merchants", NULL);
	assert_reply_has(r, 200, "\"total\":");
	assert_non_null(strstr(r.body, "bobs-bikes"));
	reply_free(&r);
}

/* Sets merchant B's status as admin. */
static void
set_status_b(const char *status)
{
	char url[96], body[96];
	snprintf(url, sizeof(url), "/api/merchants/%lld", (long long)merchant_b);
	snprintf(body, sizeof(body), "{\"data\":{\"status\":\"%s\"}}", status);
	as(ADMIN);
	struct reply r = request("PUT", url, body);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void
suspended_and_closed_merchants_should_read_and_barely_write(void **state)
{
	(void)state;
	char url[128], idb[32], mine[96], cancel[96];
	snprintf(idb, sizeof(idb), "%lld", (long long)merchant_b);
	int64_t sub_b = lookup("/api/subscriptions", "merchant", idb);
	assert_true(sub_b > 0);
	snprintf(mine, sizeof(mine), "/api/merchants/%lld", (long long)merchant_b);
	snprintf(cancel, sizeof(cancel), "/api/subscriptions/%lld/cancel", (long long)sub_b);
	const char *ticket = "{\"data\":{\"subject\":\"Why suspended?\","
	    "\"description\":\"Please explain\",\"category\":\"account\","
	    "\"priority\":\"high\"}}";
	static const char suspended[] = "{\"data\":null,\"error\":{\"status\":403,"
	    "\"name\":\"ForbiddenError\",\"message\":\"This merchant account is "
	    "suspended: it may read its records, write to support and cancel its "
	    "subscription\",\"details\":{}}}";
	static const char closed[] = "{\"data\":null,\"error\":{\"status\":403,"
	    "\"name\":\"ForbiddenError\",\"message\":\"This merchant account is "
	    "closed: its records can be read, not changed\",\"details\":{}}}";

	/* Suspended: reads, support and cancelling; nothing else. */
	set_status_b("suspended");
	as(MB);
	static const char *const reads[] = { "/api/merchants", "/api/invoices",
	    "/api/subscriptions", "/api/support-tickets", "/api/users/me" };
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		struct reply r = request("GET", reads[i], NULL);
		assert_int_equal(r.status, 200);
		reply_free(&r);
	}
	struct reply r = request("PUT", mine, "{\"data\":{\"phone\":\"+49 30 1234\"}}");
	assert_reply(r, 403, suspended);
	reply_free(&r);
	r = request("POST", "/api/subscriptions", "{\"data\":{\"plan\":1}}");
	assert_reply(r, 403, suspended);
	reply_free(&r);
	r = request("POST", "/api/support-tickets", ticket);
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	int64_t t = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/support-tickets/%lld/responses", (long long)t);
	r = request("POST", url, "{\"data\":{\"body\":\"Any news?\"}}");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	r = request("PUT", cancel, "{\"data\":{\"reason\":\"suspended\"}}");
	assert_reply_has(r, 200, "\"cancelAtPeriodEnd\":true");
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/subscriptions/%lld/reactivate", (long long)sub_b);
	r = request("PUT", url, NULL);
	assert_reply(r, 403, suspended);
	reply_free(&r);

	/* Closed: reads, and signing in and out. */
	set_status_b("closed");
	as(MB);
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		r = request("GET", reads[i], NULL);
		assert_int_equal(r.status, 200);
		reply_free(&r);
	}
	r = request("POST", "/api/support-tickets", ticket);
	assert_reply(r, 403, closed);
	reply_free(&r);
	r = request("PUT", cancel, NULL);
	assert_reply(r, 403, closed);
	reply_free(&r);
	r = request("POST", "/api/auth/logout", NULL);
	assert_int_equal(r.status, 204);
	reply_free(&r);
	char jwt[2048];
	assert_int_equal(stack_login("bob@example.com", "demo-password", jwt), 200);

	/* Active again: everything, as before. */
	set_status_b("active");
	snprintf(url, sizeof(url), "/api/subscriptions/%lld/reactivate", (long long)sub_b);
	as(MB);
	r = request("PUT", url, NULL);
	assert_reply_has(r, 200, "\"cancelAtPeriodEnd\":false");
	reply_free(&r);
	r = request("PUT", mine, "{\"data\":{\"phone\":\"+49 30 1234\"}}");
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void
merchants_should_be_validated(void **state)
{
	(void)state;
	as(ADMIN);
	struct reply r = request("POST", "/api/merchants", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"boutique-clara\",\"email\":\"not-an-email\",\"country\":\"XX\","
	    "\"vatNumber\":\"FR00303265045\",\"phone\":\"call me\"}}");
	assert_int_equal(r.status, 400);
	static const char *const bad[] = { "[\"email\"]", "[\"country\"]",
	    "[\"vatNumber\"]", "[\"phone\"]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(r.body, bad[i]) == NULL)
			fail_msg("no error on %s: %s", bad[i], r.body);
	reply_free(&r);
	/* Unique slug and e-mail (case-insensitively) name their field. */
	r = request("POST", "/api/merchants", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"boutique-clara\",\"email\":\"x@example.com\"}}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"This attribute must be unique\","
	    "\"details\":{\"errors\":[{\"path\":[\"slug\"],\"message\":\"This "
	    "attribute must be unique\",\"name\":\"ValidationError\",\"value\":"
	    "\"boutique-clara\"}]}}}");
	reply_free(&r);
	r = request("POST", "/api/merchants", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"x-shop\",\"email\":\"CONTACT@boutique-clara.fr\"}}");
	assert_reply_has(r, 400, "\"path\":[\"email\"],\"message\":\"This attribute must be unique\"");
	reply_free(&r);
	r = request("POST", "/api/merchants", "{\"data\":{\"name\":\"Épicerie Zoé\","
	    "\"slug\":\"epicerie-zoe\",\"email\":\"zoe@example.fr\",\"country\":\"FR\","
	    "\"vatNumber\":\"FR40303265045\"}}");
	assert_reply_has(r, 201, "\"name\":\"Épicerie Zoé\"");
	assert_reply_has(r, 201, "\"country\":\"FR\",\"address\":null,\"status\":\"active\"");
	reply_free(&r);
}

/* The newest message of a kind in the outbox, as admin (caller deletes). */
static cJSON *
newest_mail(const char *kind, int64_t *total)
{
	char url[200];
	snprintf(url, sizeof(url), "/api/email-outbox?filters%%5Bkind%%5D=%s&sort=id:desc",
	    kind);
	as(ADMIN);
	struct reply r = request("GET", url, NULL);
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	reply_free(&r);
	*total = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "meta"), "pagination"), "total"));
	cJSON *m = cJSON_DetachItemFromArray(cJSON_GetObjectItem(o, "data"), 0);
	cJSON_Delete(o);
	return m;
}

static void
billing_details_changes_should_be_checked_audited_and_told(void **state)
{
	(void)state;
	char url[96];
	int64_t n0 = 0, n = 0;
	snprintf(url, sizeof(url), "/api/merchants/%lld", (long long)merchant_a);
	cJSON_Delete(newest_mail("billing_details_changed", &n0));
	/* The VAT number must be the country's. */
	as(MA);
	struct reply r = request("PUT", url, "{\"data\":{\"vatNumber\":\"DE129273398\"}}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"vatNumber DE129273398 is not a VAT "
	    "number of country FR\",\"details\":{\"errors\":[{\"path\":[\"vatNumber\"],"
	    "\"message\":\"vatNumber DE129273398 is not a VAT number of country FR\","
	    "\"name\":\"ValidationError\",\"value\":\"DE129273398\"}]}}}");
	reply_free(&r);
	r = request("PUT", url, "{\"data\":{\"country\":\"DE\"}}");
	assert_reply_has(r, 400, "\"message\":\"vatNumber FR40303265045 is not a VAT "
	    "number of country DE\"");
	reply_free(&r);
	r = request("PUT", url, "{\"data\":{\"vatNumber\":\"DE12927339\"}}");
	assert_reply_has(r, 400, "\"path\":[\"vatNumber\"]");
	reply_free(&r);
	cJSON_Delete(newest_mail("billing_details_changed", &n));
	assert_int_equal(n, n0);
	/* A consistent change: stored, audited, told to the address on file. */
	as(MA);
	r = request("PUT", url, "{\"data\":{\"country\":\"DE\",\"vatNumber\":"
	    "\"DE129273398\"}}");
	assert_reply_has(r, 200, "\"vatNumber\":\"DE129273398\",\"country\":\"DE\"");
	reply_free(&r);
	cJSON *m = newest_mail("billing_details_changed", &n);
	assert_int_equal(n, n0 + 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(m, "recipient")),
	    "contact@boutique-clara.fr");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(m, "subject")),
	    "Vos informations de facturation ont été modifiées");
	const char *body = cJSON_GetStringValue(cJSON_GetObjectItem(m, "body"));
	assert_non_null(strstr(body, "- pays : FR -> DE\n"));
	assert_non_null(strstr(body, "- numéro de TVA : FR40303265045 -> DE129273398\n"));
	cJSON_Delete(m);
	char q[200];
	snprintf(q, sizeof(q), "/api/audit-logs?filters%%5BcontentType%%5D=merchants&"
	    "filters%%5BrecordId%%5D=%lld&sort=id:desc", (long long)merchant_a);
	r = request("GET", q, NULL);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actor")),
	    "clara@example.com");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actorRole")),
	    "merchant");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    e, "before"), "vatNumber")), "FR40303265045");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    e, "after"), "vatNumber")), "DE129273398");
	cJSON_Delete(o);
	reply_free(&r);
	/* A new e-mail: the previous address hears of it. */
	as(MA);
	r = request("PUT", url, "{\"data\":{\"email\":\"billing@boutique-clara.fr\"}}");
	assert_int_equal(r.status, 200);
	reply_free(&r);
	m = newest_mail("billing_details_changed", &n);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(m, "recipient")),
	    "contact@boutique-clara.fr");
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(m, "body")),
	    "contact@boutique-clara.fr -> billing@boutique-clara.fr"));
	cJSON_Delete(m);
	/* Other fields tell nobody; then everything back as it was. */
	as(MA);
	r = request("PUT", url, "{\"data\":{\"phone\":\"+33 4 72 00 00 01\"}}");
	assert_int_equal(r.status, 200);
	reply_free(&r);
	int64_t n2 = 0;
	cJSON_Delete(newest_mail("billing_details_changed", &n2));
	assert_int_equal(n2, n);
	as(MA);
	r = request("PUT", url, "{\"data\":{\"email\":\"contact@boutique-clara.fr\","
	    "\"country\":\"FR\",\"vatNumber\":\"FR40303265045\"}}");
	assert_int_equal(r.status, 200);
	reply_free(&r);
	m = newest_mail("billing_details_changed", &n2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(m, "recipient")),
	    "billing@boutique-clara.fr");
	cJSON_Delete(m);
}

static void
users_should_never_show_passwords(void **state)
{
	(void)state;
	as(ADMIN);
	struct reply r = request("GET", "/api/users?pagination%5BpageSize%5D=100", NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "password"));
	assert_null(strstr(r.body, "argon2"));
	assert_non_null(strstr(r.body, "\"provider\":\"local\""));
	reply_free(&r);
	r = request("GET", "/api/users?filters%5Bpassword%5D%5B%24startsWith%5D=%24", NULL);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	as(MA);
	r = request("GET", "/api/users/me", NULL);
	assert_reply_has(r, 200, "\"email\":\"clara@example.com\"");
	/* A relation is the related record's integer id. */
	char rel[48];
	snprintf(rel, sizeof(rel), "\"merchant\":%lld,", (long long)merchant_a);
	assert_reply_has(r, 200, rel);
	assert_reply_has(r, 200, "\"role\":\"merchant\"");
	assert_null(strstr(r.body, "password"));
	reply_free(&r);
	/* A merchant user needs a merchant; staff have none. */
	as(ADMIN);
	r = request("POST", "/api/users", "{\"data\":{\"username\":\"merchant2\",\"email\":"
	    "\"m2@example.com\",\"password\":\"long-enough-pw\",\"role\":\"merchant\"}}");
	assert_reply_has(r, 400, "merchant must be defined for the merchant role");
	reply_free(&r);
	r = request("POST", "/api/users", "{\"data\":{\"username\":\"merchant3\",\"email\":"
	    "\"m3@example.com\",\"password\":\"short\",\"role\":\"agent\"}}");
	assert_reply_has(r, 400, "password must be at least 10 characters");
	reply_free(&r);
}

/* Reads the stack's JWT key. */
static size_t
stack_key(unsigned char *key)
{
	char path[400], hex[200];
	snprintf(path, sizeof(path), "%s/secrets/jwt.key", S.var);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	while (n && (hex[n - 1] == '\n'))
		n--;
	hex[n] = '\0';
	assert_int_equal(crypto_unhex(hex, key, n / 2), 0);
	return n / 2;
}

/* The one answer to a refused sign-in, whatever the reason. */
#define REFUSED_SIGN_IN "{\"data\":null,\"error\":{\"status\":400,\"name\":" \
	"\"ValidationError\",\"message\":\"Invalid identifier or password\"," \
	"\"details\":{}}}"

static long
me_with(const char *token)
{
	char h[2200];
	snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
	const char *const hs[] = { h, NULL };
	struct reply r = request_full("GET", "/api/users/me", NULL, 0, hs);
	long st = r.status;
	if (st == 401 && strcmp(r.body, "{\"data\":null,\"error\":{\"status\":401,"
	    "\"name\":\"UnauthorizedError\",\"message\":\"Missing or invalid "
	    "credentials\",\"details\":{}}}") != 0)
		fail_msg("401 with another body: %s", r.body);
	reply_free(&r);
	return st;
}

/* Whom a JWT names (its payload read back without checking it). */
static struct jwt_subject
subject_of(const char *jwt)
{
	struct jwt_subject who = { 0 };
	unsigned char buf[1024];
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	assert_non_null(d2);
	long n = crypto_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf) - 1);
	assert_true(n > 0);
	cJSON *o = cJSON_ParseWithLength((const char *)buf, (size_t)n);
	who.user_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "id"));
	who.version = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "ver"));
	snprintf(who.doc, sizeof(who.doc), "%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "sub")));
	cJSON_Delete(o);
	return who;
}

static void
jwts_should_be_refused_unless_genuine(void **state)
{
	(void)state;
	unsigned char key[64];
	size_t kl = stack_key(key);
	char t[JWT_MAX_LEN], bad[JWT_MAX_LEN], p64[256], h64[128];
	int64_t now = (int64_t)time(NULL);

	/* A genuine token signed with the stack's key works. */
	assert_int_equal(stack_login("clara@example.com", "demo-password", t), 200);
	struct jwt_subject clara = subject_of(t);
	assert_int_equal(clara.user_id, user_clara);
	assert_int_equal(jwt_sign(key, kl, &clara, now, 600, t), 0);
	assert_int_equal(me_with(t), 200);

	/* Genuine signatures over the right id with another documentId or
	 * another credentials version: refused. */
	struct jwt_subject other_doc = clara, old_version = clara;
	memcpy(other_doc.doc, "aaaaaaaaaaaaaaaaaaaaaaaa", 24);
	old_version.version = clara.version - 1;
	assert_int_equal(jwt_sign(key, kl, &other_doc, now, 600, bad), 0);
	assert_int_equal(me_with(bad), 401);
	assert_int_equal(jwt_sign(key, kl, &old_version, now, 600, bad), 0);
	assert_int_equal(me_with(bad), 401);

	/* Tampered payload: clara's signature on bob's id. */
	char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
	char payload[256];
	snprintf(payload, sizeof(payload), "{\"id\":%lld,\"sub\":\"%s\",\"ver\":%lld,"
	    "\"iat\":%lld,\"exp\":%lld}", (long long)user_bob, clara.doc,
	    (long long)clara.version, (long long)now, (long long)now + 600);
	crypto_b64url_encode((unsigned char *)payload, strlen(payload), p64);
	snprintf(bad, sizeof(bad), "%.*s.%s%s", (int)(d1 - t), t, p64, d2);
	assert_int_equal(me_with(bad), 401);

	/* Tampered signature. */
	snprintf(bad, sizeof(bad), "%s", t);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'x' ? 'y' : 'x';
	assert_int_equal(me_with(bad), 401);

	/* alg none, without and with a signature part. */
	snprintf(payload, sizeof(payload), "{\"id\":%lld,\"sub\":\"%s\",\"ver\":%lld,"
	    "\"iat\":%lld,\"exp\":%lld}", (long long)user_clara, clara.doc,
	    (long long)clara.version, (long long)now, (long long)now + 600);
	crypto_b64url_encode((unsigned char *)payload, strlen(payload), p64);
	const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	crypto_b64url_encode((const unsigned char *)none, strlen(none), h64);
	snprintf(bad, sizeof(bad), "%s.%s.", h64, p64);
	assert_int_equal(me_with(bad), 401);

	/* alg HS512 carrying a valid HS256 MAC under the real key. */
	const char *hs512 = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	unsigned char mac[32];
	crypto_b64url_encode((const unsigned char *)hs512, strlen(hs512), h64);
	int n = snprintf(bad, sizeof(bad), "%s.%s", h64, p64);
	crypto_hmac_sha256(key, kl, bad, (size_t)n, mac);
	bad[n] = '.';
	crypto_b64url_encode(mac, 32, bad + n + 1);
	assert_int_equal(me_with(bad), 401);

	/* Expired. */
	assert_int_equal(jwt_sign(key, kl, &clara, now - 7200, 3600, t), 0);
	assert_int_equal(me_with(t), 401);

	/* Another key. */
	static const unsigned char other[32] = "another-key-another-key-another-";
	assert_int_equal(jwt_sign(other, 32, &clara, now, 600, t), 0);
	assert_int_equal(me_with(t), 401);

	/* Not Bearer, or empty. */
	const char *const basic[] = { "Authorization: Basic YWRtaW46eA==", NULL };
	struct reply r = request_full("GET", "/api/users/me", NULL, 0, basic);
	assert_int_equal(r.status, 401);
	reply_free(&r);
}

static void
jwt_of_a_blocked_or_deleted_user_should_stop_working(void **state)
{
	(void)state;
	char jwt[2048], url[96];
	/* A user who signs in, then is blocked. */
	as(ADMIN);
	int64_t id = create("/api/users", "{\"data\":{\"username\":\"temp\","
	    "\"email\":\"temp@example.com\",\"password\":\"temp-password\","
	    "\"role\":\"agent\"}}");
	assert_true(id > 0);
	assert_int_equal(stack_login("temp@example.com", "temp-password", jwt), 200);
	assert_int_equal(me_with(jwt), 200);
	snprintf(url, sizeof(url), "/api/users/%lld", (long long)id);
	as(ADMIN);
	struct reply r = request("PUT", url, "{\"data\":{\"blocked\":true}}");
	assert_reply_has(r, 200, "\"blocked\":true");
	reply_free(&r);
	assert_int_equal(me_with(jwt), 401);
	/* Nor can it sign in again. */
	char body[128];
	snprintf(body, sizeof(body), "{\"identifier\":\"temp@example.com\","
	    "\"password\":\"temp-password\"}");
	harness_auth[0] = '\0';
	r = request("POST", "/api/auth/local", body);
	assert_reply(r, 400, REFUSED_SIGN_IN);
	reply_free(&r);
	/* Deleted: the token dies with the user. */
	as(ADMIN);
	r = request("PUT", url, "{\"data\":{\"blocked\":false}}");
	reply_free(&r);
	assert_int_equal(stack_login("temp@example.com", "temp-password", jwt), 200);
	r = request("DELETE", url, NULL);
	assert_int_equal(r.status, 204);
	reply_free(&r);
	assert_int_equal(me_with(jwt), 401);
}

/* Creates a user as admin from a JSON body; returns its id. */
static int64_t
new_user(const char *username, const char *role, const char *extra)
{
	char body[512];
	snprintf(body, sizeof(body), "{\"data\":{\"username\":\"%s\",\"email\":"
	    "\"%s@example.com\",\"password\":\"%s-password\",\"role\":\"%s\"%s}}",
	    username, username, username, role, extra ? extra : "");
	return create("/api/users", body);
}

static void
deleted_ids_should_never_name_a_new_record(void **state)
{
	(void)state;
	char jwt[2048], url[96], admin2[2200];
	/* The newest user signs in, acts with an idempotency key, is deleted. */
	int64_t gone = new_user("leaver", "admin", NULL);
	assert_true(gone > 0);
	assert_int_equal(stack_login("leaver@example.com", "leaver-password", jwt), 200);
	snprintf(admin2, sizeof(admin2), "Authorization: Bearer %s", jwt);
	const char *plan = "{\"data\":{\"name\":\"Leaver plan\",\"slug\":"
	    "\"leaver-plan\",\"priceCents\":100}}";
	const char *hs[] = { admin2, "Idempotency-Key: leaver-key-1", NULL };
	struct reply r = request_full("POST", "/api/subscription-plans", plan,
	    strlen(plan), hs);
	assert_int_equal(r.status, 201);
	reply_free(&r);
	as(ADMIN);
	snprintf(url, sizeof(url), "/api/users/%lld", (long long)gone);
	r = request("DELETE", url, NULL);
	assert_int_equal(r.status, 204);
	reply_free(&r);
	/* The next user, an admin, gets a new id: the old JWT names nobody,
	 * and the old idempotency key is not the new admin's. */
	int64_t next = new_user("newcomer", "admin", NULL);
	assert_true(next > gone);
	assert_int_equal(me_with(jwt), 401);
	char jwt2[2048];
	assert_int_equal(stack_login("newcomer@example.com", "newcomer-password", jwt2), 200);
	snprintf(admin2, sizeof(admin2), "Authorization: Bearer %s", jwt2);
	r = request_full("POST", "/api/subscription-plans", plan, strlen(plan), hs);
	assert_int_equal(r.status, 400);	/* the slug exists: not a replay */
	assert_null(strcasestr(r.headers, "idempotent-replayed"));
	reply_free(&r);
	/* The audit log tells the two apart. */
	char q[160];
	snprintf(q, sizeof(q), "/api/audit-logs?filters%%5BactorId%%5D=%lld",
	    (long long)next);
	as(ADMIN);
	r = request("GET", q, NULL);
	assert_reply_has(r, 200, "\"total\":0}");
	reply_free(&r);
	/* API tokens, plans, merchants: the same. */
	static const char *const kinds[][3] = {
		{ "/api/api-tokens", "{\"data\":{\"name\":\"reuse 1\",\"kind\":"
		    "\"read-only\"}}", "{\"data\":{\"name\":\"reuse 2\",\"kind\":"
		    "\"read-only\"}}" },
		{ "/api/subscription-plans", "{\"data\":{\"name\":\"Reuse\",\"slug\":"
		    "\"reuse-1\",\"priceCents\":1}}", "{\"data\":{\"name\":\"Reuse\","
		    "\"slug\":\"reuse-2\",\"priceCents\":1}}" },
		{ "/api/merchants", "{\"data\":{\"name\":\"Reuse\",\"slug\":"
		    "\"reuse-1\",\"email\":\"reuse1@example.com\"}}", "{\"data\":{"
		    "\"name\":\"Reuse\",\"slug\":\"reuse-2\",\"email\":"
		    "\"reuse2@example.com\"}}" },
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int64_t a = create(kinds[k][0], kinds[k][1]);
		snprintf(url, sizeof(url), "%s/%lld", kinds[k][0], (long long)a);
		r = request("DELETE", url, NULL);
		assert_int_equal(r.status, 204);
		reply_free(&r);
		int64_t b = create(kinds[k][0], kinds[k][2]);
		if (b <= a)
			fail_msg("%s: id %lld given again after %lld was deleted",
			    kinds[k][0], (long long)b, (long long)a);
	}
}

/* The status of the account page with a session cookie. */
static long
page_with(const char *cookie)
{
	const char *hs[] = { cookie, NULL };
	struct reply r = request_full("GET", "/marketplace/account.html", NULL, 0, hs);
	long st = r.status;
	reply_free(&r);
	return st;
}

static void
credential_changes_should_end_earlier_jwts_and_sessions(void **state)
{
	(void)state;
	static const struct {
		const char *change;	/* the PUT body's data */
		const char *password;	/* to sign in again */
	} changes[] = {
		{ "\"password\":\"a-new-password-1\"", "a-new-password-1" },
		{ "\"role\":\"admin\"", "a-new-password-1" },
		{ "\"blocked\":true", NULL },
	};
	int64_t id = new_user("shifty", "agent", NULL);
	assert_true(id > 0);
	char url[96];
	snprintf(url, sizeof(url), "/api/users/%lld", (long long)id);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		char jwt[2048], cookie[200], body[200];
		const char *pw = i == 0 ? "shifty-password" : "a-new-password-1";
		assert_int_equal(stack_login("shifty@example.com", pw, jwt), 200);
		assert_int_equal(stack_browser_login("shifty%40example.com", pw, cookie,
		    sizeof(cookie)), 303);
		assert_int_equal(me_with(jwt), 200);
		assert_int_equal(page_with(cookie), 200);
		/* Something else changes: both still work. */
		as(ADMIN);
		snprintf(body, sizeof(body), "{\"data\":{\"name\":\"Shifty %zu\"}}", i);
		struct reply r = request("PUT", url, body);
		assert_int_equal(r.status, 200);
		reply_free(&r);
		assert_int_equal(me_with(jwt), 200);
		assert_int_equal(page_with(cookie), 200);
		/* What the credentials stand for changes: both end at once. */
		snprintf(body, sizeof(body), "{\"data\":{%s}}", changes[i].change);
		r = request("PUT", url, body);
		assert_int_equal(r.status, 200);
		reply_free(&r);
		if (me_with(jwt) != 401)
			fail_msg("the JWT survived %s", changes[i].change);
		if (page_with(cookie) != 303)
			fail_msg("the session survived %s", changes[i].change);
		/* Signing in again gives working credentials. */
		if (changes[i].password) {
			assert_int_equal(stack_login("shifty@example.com",
			    changes[i].password, jwt), 200);
			assert_int_equal(me_with(jwt), 200);
		}
	}
	/* An API token keeps its own life: its creator's password changes. */
	int64_t boss = new_user("boss", "admin", NULL);
	char jwt[2048], bearer[2200];
	assert_int_equal(stack_login("boss@example.com", "boss-password", jwt), 200);
	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", jwt);
	snprintf(harness_auth, sizeof(harness_auth), "%s", bearer);
	struct reply r = request("POST", "/api/api-tokens", "{\"data\":{\"name\":"
	    "\"boss token\",\"kind\":\"read-only\"}}");
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	char tok[200];
	snprintf(tok, sizeof(tok), "Authorization: Bearer %s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "accessKey")));
	cJSON_Delete(o);
	reply_free(&r);
	as(ADMIN);
	snprintf(url, sizeof(url), "/api/users/%lld", (long long)boss);
	r = request("PUT", url, "{\"data\":{\"password\":\"boss-password-2\"}}");
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(me_with(jwt), 401);
	snprintf(harness_auth, sizeof(harness_auth), "%s", tok);
	r = request("GET", "/api/merchants", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void
sign_in_should_answer_strapi_shapes(void **state)
{
	(void)state;
	harness_auth[0] = '\0';
	struct reply r = request("POST", "/api/auth/local",
	    "{\"identifier\":\"admin@example.com\",\"password\":\"demo-password\"}");
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	const char *jwt = cJSON_GetStringValue(cJSON_GetObjectItem(o, "jwt"));
	assert_non_null(jwt);
	assert_int_equal(strncmp(jwt, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
	const cJSON *u = cJSON_GetObjectItem(o, "user");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(u, "email")),
	    "admin@example.com");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(u, "confirmed")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(u, "blocked")));
	assert_null(cJSON_GetObjectItem(u, "password"));
	cJSON_Delete(o);
	reply_free(&r);
	r = request("POST", "/api/auth/local",
	    "{\"identifier\":\"admin@example.com\",\"password\":\"wrong-password\"}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid identifier or password\","
	    "\"details\":{}}}");
	reply_free(&r);
	/* An unknown account answers exactly the same. */
	r = request("POST", "/api/auth/local",
	    "{\"identifier\":\"nobody@example.com\",\"password\":\"wrong-password\"}");
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid identifier or password\","
	    "\"details\":{}}}");
	reply_free(&r);
	/* The password is never logged. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "! grep -r -e demo-password -e wrong-password "
	    "%s/log", S.var);
	assert_int_equal(system(cmd), 0);
}

/* An integer column of the stack's database (NULL-free), read directly. */
static int64_t
db_int(const char *sql, const char *arg)
{
	char path[400];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void *
wrong_sign_in(void *arg)
{
	char jwt[2048];
	*(long *)arg = stack_login("lockme@example.com", "not-the-password", jwt);
	return NULL;
}

/* A sign-in's answer and its time in ms. */
static double
timed_sign_in(const char *email, const char *password, char **body)
{
	char json[256];
	struct timespec a, b;
	snprintf(json, sizeof(json), "{\"identifier\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct reply r = request("POST", "/api/auth/local", json);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*body = strdup(r.body);
	reply_free(&r);
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
failed_sign_ins_should_all_count_and_look_alike(void **state)
{
	(void)state;
	char jwt[2048];
	int64_t id = new_user("lockme", "agent", NULL);
	assert_true(id > 0);
	int64_t blocked = new_user("blockme", "agent", ",\"blocked\":true");
	assert_true(blocked > 0);
	harness_auth[0] = '\0';
	/* Eight wrong passwords at once: all eight count. */
	pthread_t th[8];
	long status[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, wrong_sign_in, &status[i]), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(status[i], 400);
	}
	assert_int_equal(db_int("SELECT failed_logins FROM users WHERE email = ?",
	    "lockme@example.com"), 8);
	/* The account waits (8 s after the 8th), and says nothing of it: the
	 * right password gets the answer of a wrong one, of an unknown
	 * account, of a blocked one with its right password or a wrong one. */
	static const char *const tries[][2] = {
		{ "lockme@example.com", "lockme-password" },	/* waiting */
		{ "lockme@example.com", "still-wrong-pw" },	/* wrong */
		{ "nobody-here@example.com", "lockme-password" },	/* unknown */
		{ "blockme@example.com", "blockme-password" },	/* blocked, right */
		{ "blockme@example.com", "another-wrong" },	/* blocked, wrong */
	};
	/* Medians of 21 rounds, interleaved: steady under a loaded machine. */
	enum { TRIES = sizeof(tries) / sizeof(tries[0]), ROUNDS = 21 };
	double ms[TRIES][ROUNDS], median[TRIES];
	for (int k = 0; k < ROUNDS; k++)
		for (int t = 0; t < TRIES; t++) {
			char *body = NULL;
			ms[t][k] = timed_sign_in(tries[t][0], tries[t][1], &body);
			if (strcmp(body, REFUSED_SIGN_IN) != 0)
				fail_msg("%s / %s: %s", tries[t][0], tries[t][1], body);
			free(body);
		}
	/* Within noise: every median within 25 % of the others'. */
	double lo = 1e9, hi = 0;
	for (int t = 0; t < TRIES; t++) {
		qsort(ms[t], ROUNDS, sizeof(double), cmp_double);
		median[t] = ms[t][ROUNDS / 2];
		lo = median[t] < lo ? median[t] : lo;
		hi = median[t] > hi ? median[t] : hi;
	}
	print_message("sign-in refusals, median ms: waiting %.1f, wrong %.1f, "
	    "unknown %.1f, blocked %.1f / %.1f\n", median[0], median[1], median[2],
	    median[3], median[4]);
	if (hi > lo * 1.25 + 2)
		fail_msg("refusals differ in time: %.1f to %.1f ms", lo, hi);
	/* An admin ends the wait; then the right password works, and a
	 * success resets the count. */
	char url[96];
	snprintf(url, sizeof(url), "/api/users/%lld/unlock", (long long)id);
	as(MA);
	struct reply r = request("PUT", url, NULL);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	as(ADMIN);
	r = request("PUT", url, NULL);
	assert_reply_has(r, 200, "\"email\":\"lockme@example.com\"");
	reply_free(&r);
	harness_auth[0] = '\0';
	assert_int_equal(stack_login("lockme@example.com", "lockme-password", jwt), 200);
	assert_int_equal(db_int("SELECT failed_logins FROM users WHERE email = ?",
	    "lockme@example.com"), 0);
	/* Five failures make it wait 1 s, then it opens by itself. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(stack_login("lockme@example.com", "nope-nope-nope", jwt), 400);
	assert_int_equal(stack_login("lockme@example.com", "lockme-password", jwt), 400);
	usleep(1100000);
	assert_int_equal(stack_login("lockme@example.com", "lockme-password", jwt), 200);
	/* Another account was never slowed; the unlock is in the audit log. */
	assert_int_equal(stack_login("bob@example.com", "demo-password", jwt), 200);
	char q[160];
	snprintf(q, sizeof(q), "/api/audit-logs?filters%%5BcontentType%%5D=users&"
	    "filters%%5BrecordId%%5D=%lld&filters%%5Baction%%5D=update", (long long)id);
	as(ADMIN);
	r = request("GET", q, NULL);
	assert_reply_has(r, 200, "\"total\":1}");
	reply_free(&r);
}

static void
api_tokens_should_work_as_bearer_by_kind(void **state)
{
	(void)state;
	as(ADMIN);
	struct reply r = request("POST", "/api/api-tokens", "{\"data\":{\"name\":"
	    "\"ops read\",\"kind\":\"read-only\"}}");
	assert_int_equal(r.status, 201);
	cJSON *o = cJSON_Parse(r.body);
	char ro[128], full[128];
	snprintf(ro, sizeof(ro), "Authorization: Bearer %s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "accessKey")));
	int64_t ro_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	assert_int_equal(strncmp(ro, "Authorization: Bearer mpt_", 26), 0);
	r = request("POST", "/api/api-tokens", "{\"data\":{\"name\":\"ops full\","
	    "\"kind\":\"full-access\",\"expiresAt\":\"2099-01-01T00:00:00.000Z\"}}");
	o = cJSON_Parse(r.body);
	snprintf(full, sizeof(full), "Authorization: Bearer %s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "accessKey")));
	cJSON_Delete(o);
	reply_free(&r);

	/* The secret is never shown again, nor stored. */
	r = request("GET", "/api/api-tokens", NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "accessKey"));
	assert_null(strstr(r.body, "mpt_"));
	assert_null(strstr(r.body, "tokenHash"));
	reply_free(&r);

	snprintf(harness_auth, sizeof(harness_auth), "%s", ro);
	r = request("GET", "/api/merchants", NULL);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"data\":{\"name\":\"T\","
	    "\"slug\":\"t\",\"priceCents\":1}}");
	assert_reply_has(r, 403, "This API token is read-only");
	reply_free(&r);
	snprintf(harness_auth, sizeof(harness_auth), "%s", full);
	r = request("POST", "/api/subscription-plans", "{\"data\":{\"name\":\"By token\","
	    "\"slug\":\"by-token\",\"priceCents\":1}}");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	/* Tokens never manage tokens or users. */
	r = request("GET", "/api/api-tokens", NULL);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	r = request("GET", "/api/users/me", NULL);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	/* Revoked: refused. Unknown: refused. */
	as(ADMIN);
	char url[96];
	snprintf(url, sizeof(url), "/api/api-tokens/%lld", (long long)ro_id);
	r = request("DELETE", url, NULL);
	assert_int_equal(r.status, 204);
	reply_free(&r);
	snprintf(harness_auth, sizeof(harness_auth), "%s", ro);
	r = request("GET", "/api/merchants", NULL);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	snprintf(harness_auth, sizeof(harness_auth),
	    "Authorization: Bearer mpt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	r = request("GET", "/api/merchants", NULL);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	/* An expiry in the past is refused at creation. */
	as(ADMIN);
	r = request("POST", "/api/api-tokens", "{\"data\":{\"name\":\"old\","
	    "\"kind\":\"read-only\",\"expiresAt\":\"2001-01-01T00:00:00.000Z\"}}");
	assert_reply_has(r, 400, "expiresAt must be in the future");
	reply_free(&r);
}

static void
audit_log_should_record_staff_changes(void **state)
{
	(void)state;
	as(ADMIN);
	struct reply r = request("POST", "/api/subscription-plans", "{\"data\":{"
	    "\"name\":\"Audited\",\"slug\":\"audited\",\"priceCents\":500}}");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	r = request("GET", "/api/audit-logs?filters%5BcontentType%5D=subscription-plans"
	    "&sort=id:desc&pagination%5BpageSize%5D=1", NULL);
	assert_int_equal(r.status, 200);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actor")),
	    "admin@example.com");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actorRole")),
	    "admin");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "action")),
	    "create");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "before")));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "after"), "slug")), "audited");
	assert_int_equal(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(e,
	    "requestId"))), 32);
	cJSON_Delete(o);
	reply_free(&r);
	/* A merchant's own edits are not staff actions; passwords never
	 * reach the log. */
	r = request("GET", "/api/audit-logs?pagination%5BpageSize%5D=100", NULL);
	assert_null(strstr(r.body, "argon2"));
	assert_null(strstr(r.body, "\"password\""));
	reply_free(&r);
}

/* Extracts a Set-Cookie value's name=value part into out. */
static int
set_cookie(const char *headers, const char *name, char *out, size_t n,
    char *line, size_t ln)
{
	const char *p = headers;
	while ((p = strcasestr(p, "set-cookie: ")) != NULL) {
		p += 12;
		if (strncmp(p, name, strlen(name)) == 0 && p[strlen(name)] == '=') {
			size_t len = strcspn(p, ";\r\n");
			snprintf(out, n, "%.*s", (int)len, p);
			snprintf(line, ln, "%.*s", (int)strcspn(p, "\r\n"), p);
			return 0;
		}
	}
	return -1;
}

static void
browser_sign_in_should_need_csrf_and_set_safe_cookies(void **state)
{
	(void)state;
	char csrf_cookie[128], csrf_line[256], session[128], session_line[256];
	harness_auth[0] = '\0';
	struct reply r = request("GET", "/marketplace/login.html", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(set_cookie(r.headers, "mp_csrf", csrf_cookie,
	    sizeof(csrf_cookie), csrf_line, sizeof(csrf_line)), 0);
	assert_non_null(strstr(csrf_line, "HttpOnly"));
	assert_non_null(strstr(csrf_line, "Secure"));
	assert_non_null(strstr(csrf_line, "SameSite=Strict"));
	const char *field = strstr(r.body, "name=\"_csrf\" value=\"");
	assert_non_null(field);
	char token[64];
	snprintf(token, sizeof(token), "%.43s", field + 20);
	assert_string_equal(token, csrf_cookie + 8);
	reply_free(&r);

	char cookie_h[200], form[300];
	snprintf(cookie_h, sizeof(cookie_h), "Cookie: %s", csrf_cookie);
	const char *hs[] = { "Content-Type: application/x-www-form-urlencoded",
	    cookie_h, NULL };
	/* Without the token, with a wrong one: refused. */
	snprintf(form, sizeof(form), "identifier=clara%%40example.com&password=demo-password");
	r = request_full("POST", "/marketplace/login", form, strlen(form), hs);
	assert_reply_has(r, 403, "Invalid or missing CSRF token");
	reply_free(&r);
	snprintf(form, sizeof(form), "identifier=clara%%40example.com&password="
	    "demo-password&_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	r = request_full("POST", "/marketplace/login", form, strlen(form), hs);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	/* A wrong password shows the form again with the message. */
	snprintf(form, sizeof(form), "identifier=clara%%40example.com&password="
	    "wrong-one-here&_csrf=%s", token);
	r = request_full("POST", "/marketplace/login", form, strlen(form), hs);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Invalid identifier or password"));
	assert_non_null(strstr(r.body, "value=\"clara@example.com\""));
	reply_free(&r);
	/* The right token: a session, in a safe cookie. */
	snprintf(form, sizeof(form), "identifier=clara%%40example.com&password="
	    "demo-password&_csrf=%s", token);
	r = request_full("POST", "/marketplace/login", form, strlen(form), hs);
	assert_int_equal(r.status, 303);
	assert_non_null(strcasestr(r.headers, "location: /marketplace/account.html"));
	assert_int_equal(set_cookie(r.headers, "mp_session", session, sizeof(session),
	    session_line, sizeof(session_line)), 0);
	assert_non_null(strstr(session_line, "HttpOnly"));
	assert_non_null(strstr(session_line, "Secure"));
	assert_non_null(strstr(session_line, "SameSite=Lax"));
	assert_non_null(strstr(session_line, "Path=/"));
	reply_free(&r);

	/* The account page knows her, and its sign-out form carries a token. */
	snprintf(cookie_h, sizeof(cookie_h), "Cookie: %s", session);
	const char *sh[] = { cookie_h, NULL };
	r = request_full("GET", "/marketplace/account.html", NULL, 0, sh);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "clara@example.com"));
	field = strstr(r.body, "name=\"_csrf\" value=\"");
	assert_non_null(field);
	char stoken[64];
	snprintf(stoken, sizeof(stoken), "%.43s", field + 20);
	reply_free(&r);

	/* API writes with the cookie need the token in X-CSRF-Token. */
	char url[96], xh[120];
	snprintf(url, sizeof(url), "/api/merchants/%lld", (long long)merchant_a);
	const char *body = "{\"data\":{\"company\":\"Boutique Clara SAS\"}}";
	r = request_full("PUT", url, body, strlen(body), sh);
	assert_reply_has(r, 403, "Invalid or missing CSRF token");
	reply_free(&r);
	snprintf(xh, sizeof(xh), "X-CSRF-Token: %s", stoken);
	const char *shx[] = { cookie_h, xh, NULL };
	r = request_full("PUT", url, body, strlen(body), shx);
	assert_reply_has(r, 200, "\"company\":\"Boutique Clara SAS\"");
	reply_free(&r);

	/* Sign-out: refused without the token, done with it. */
	const char *fh[] = { "Content-Type: application/x-www-form-urlencoded",
	    cookie_h, NULL };
	r = request_full("POST", "/marketplace/logout", "", 0, fh);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	snprintf(form, sizeof(form), "_csrf=%s", stoken);
	r = request_full("POST", "/marketplace/logout", form, strlen(form), fh);
	assert_int_equal(r.status, 303);
	assert_non_null(strcasestr(r.headers, "set-cookie: mp_session=; Path=/; Max-Age=0"));
	reply_free(&r);
	/* The old cookie is worth nothing now. */
	r = request_full("GET", "/marketplace/account.html", NULL, 0, sh);
	assert_int_equal(r.status, 303);
	assert_non_null(strcasestr(r.headers, "location: /marketplace/login.html"));
	reply_free(&r);
}

static void
create_admin_should_make_an_admin_who_can_sign_in(void **state)
{
	(void)state;
	char cmd[1024], jwt[2048];
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build/rel";
	/* Password from standard input (not a terminal). */
	snprintf(cmd, sizeof(cmd), "printf 'ops-password-1\\n' | PLATFORM_DB=%s/platform.db "
	    "PLATFORM_JWT_SECRET_FILE=%s/secrets/jwt.key %s/bin/platformctl "
	    "create-admin ops@example.com >/dev/null", S.var, S.var, build);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(stack_login("ops@example.com", "ops-password-1", jwt), 200);
	char h[2200];
	snprintf(h, sizeof(h), "Authorization: Bearer %s", jwt);
	const char *const hs[] = { h, NULL };
	struct reply r = request_full("GET", "/api/users/me", NULL, 0, hs);
	assert_reply_has(r, 200, "\"role\":\"admin\"");
	reply_free(&r);
	/* A second time, or a weak password: refused, nothing changes. */
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "printf 'short\\n' | PLATFORM_DB=%s/platform.db "
	    "PLATFORM_JWT_SECRET_FILE=%s/secrets/jwt.key %s/bin/platformctl "
	    "create-admin weak@example.com 2>/dev/null", S.var, S.var, build);
	assert_int_not_equal(system(cmd), 0);
	assert_int_equal(stack_login("weak@example.com", "short", jwt), 400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matrix_should_follow_spec_for_every_route),
		cmocka_unit_test(merchants_should_only_see_themselves),
		cmocka_unit_test(merchants_should_be_validated),
		cmocka_unit_test(suspended_and_closed_merchants_should_read_and_barely_write),
		cmocka_unit_test(billing_details_changes_should_be_checked_audited_and_told),
		cmocka_unit_test(users_should_never_show_passwords),
		cmocka_unit_test(jwts_should_be_refused_unless_genuine),
		cmocka_unit_test(jwt_of_a_blocked_or_deleted_user_should_stop_working),
		cmocka_unit_test(deleted_ids_should_never_name_a_new_record),
		cmocka_unit_test(credential_changes_should_end_earlier_jwts_and_sessions),
		cmocka_unit_test(sign_in_should_answer_strapi_shapes),
		cmocka_unit_test(failed_sign_ins_should_all_count_and_look_alike),
		cmocka_unit_test(api_tokens_should_work_as_bearer_by_kind),
		cmocka_unit_test(audit_log_should_record_staff_changes),
		cmocka_unit_test(browser_sign_in_should_need_csrf_and_set_safe_cookies),
		cmocka_unit_test(create_admin_should_make_an_admin_who_can_sign_in),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
