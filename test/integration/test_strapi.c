/*
 * A drop-in for Strapi 5 clients: the answers Strapi gives, kept as data in
 * test/strapi/answers.json, asked of the real stack (nginx, the pools,
 * SQLite, over HTTPS) and compared: status, headers, and the body exactly
 * or by shape. The stack lists one CORS origin (https://app.example.com)
 * besides any ("*").
 */
#include "harness.h"
#include "mem.h"

static cJSON *answers;
static char admin[sizeof(harness_auth)];	/* the demo admin's Authorization */

static int
setup(void **state)
{
	(void)state;
	FILE *f = fopen("test/strapi/answers.json", "r");
	if (f == NULL)
		return -1;
	static char text[65536];
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	if ((answers = cJSON_Parse(text)) == NULL)
		return -1;
	if (stack_start("PLATFORM_CORS_ORIGINS=https://app.example.com,*") != 0 ||
	    stack_as_admin() != 0)
		return -1;
	snprintf(admin, sizeof(admin), "%s", harness_auth);
	harness_auth[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cJSON_Delete(answers);
	return stack_stop();
}

/* The same keys at every level and the same types; an empty object or
 * array stands for any, an array's first element for each of its own.
 * Writes where they differ into why. */
static int
same_shape(const cJSON *want, const cJSON *got, const char *at, char *why, size_t n)
{
	char here[256];
	if ((want->type & 0xff) != (got->type & 0xff) && !(cJSON_IsBool(want) &&
	    cJSON_IsBool(got))) {
		snprintf(why, n, "%s: another type", at);
		return 0;
	}
	if (cJSON_IsObject(want) && want->child) {
		const cJSON *w, *g;
		cJSON_ArrayForEach(w, want) {
			snprintf(here, sizeof(here), "%s.%s", at, w->string);
			if ((g = cJSON_GetObjectItemCaseSensitive(got, w->string)) == NULL) {
				snprintf(why, n, "%s: missing", here);
				return 0;
			}
			if (!same_shape(w, g, here, why, n))
				return 0;
		}
		cJSON_ArrayForEach(g, got)
			if (cJSON_GetObjectItemCaseSensitive(want, g->string) == NULL) {
				snprintf(why, n, "%s.%s: not in Strapi's answer", at, g->string);
				return 0;
			}
	}
	if (cJSON_IsArray(want) && want->child) {
		const cJSON *g;
		int i = 0;
		cJSON_ArrayForEach(g, got) {
			snprintf(here, sizeof(here), "%s[%d]", at, i++);
			if (!same_shape(want->child, g, here, why, n))
				return 0;
		}
	}
	return 1;
}

/* The request of a case: its brackets %-encoded, as clients send them. */
static void
encode(const char *path, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = path; *p && o + 4 < n; p++)
		if (*p == '[' || *p == ']')
			o += (size_t)snprintf(out + o, n - o, "%%5%c", *p == '[' ? 'B' : 'D');
		else
			out[o++] = *p;
	out[o] = '\0';
}

static void
strapi_answers_should_be_given(void **state)
{
	(void)state;
	const cJSON *c;
	int ran = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(answers, "cases")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));
		const char *line = cJSON_GetStringValue(cJSON_GetObjectItem(c, "request"));
		char method[8], path[512], url[1024], why[512] = "";
		const char *hs[8];
		int nh = 0;
		assert_int_equal(sscanf(line, "%7s %511s", method, path), 2);
		encode(path, url, sizeof(url));
		const cJSON *h;
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(c, "send"))
			if (nh < 7)
				hs[nh++] = h->valuestring;
		hs[nh] = NULL;
		const cJSON *as = cJSON_GetObjectItem(c, "as");
		snprintf(harness_auth, sizeof(harness_auth), "%s", as &&
		    strcmp(cJSON_GetStringValue(as), "admin") == 0 ? admin : "");
		char *sent = cJSON_GetObjectItem(c, "send_body") ? cJSON_PrintUnformatted(
		    cJSON_GetObjectItem(c, "send_body")) : NULL;
		if (sent && nh < 7)
			hs[nh++] = "Content-Type: application/json";
		hs[nh] = NULL;
		struct reply r = request_full(method, url, sent, sent ? strlen(sent) : 0, hs);
		free(sent);
		harness_auth[0] = '\0';
		int status = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "status"));
		if (r.status != status)
			fail_msg("%s: %ld, Strapi %d: %s", name, r.status, status, r.body);
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(c, "headers")) {
			char line2[300];
			snprintf(line2, sizeof(line2), "%s\r\n", h->valuestring);
			if (strcasestr(r.headers, line2) == NULL)
				fail_msg("%s: no \"%s\" in\n%s", name, h->valuestring, r.headers);
		}
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(c, "absent"))
			if (strcasestr(r.headers, h->valuestring) != NULL)
				fail_msg("%s: \"%s\" should not be there", name, h->valuestring);
		cJSON *got = r.len ? cJSON_Parse(r.body) : NULL;
		const cJSON *body = cJSON_GetObjectItem(c, "body");
		const cJSON *shape = cJSON_GetObjectItem(c, "shape");
		const cJSON *meta = cJSON_GetObjectItem(c, "meta");
		if (body && !cJSON_Compare(body, got, 1))
			fail_msg("%s: %s", name, r.body);
		if (shape && (got == NULL || !same_shape(shape, got, "", why, sizeof(why))))
			fail_msg("%s: %s in %s", name, why, r.body);
		if (meta && !cJSON_Compare(meta, cJSON_GetObjectItem(got, "meta"), 1))
			fail_msg("%s: %s", name, r.body);
		if (cJSON_IsTrue(cJSON_GetObjectItem(c, "empty")) && r.len != 0)
			fail_msg("%s: a body of %zu bytes", name, (size_t)r.len);
		cJSON_Delete(got);
		reply_free(&r);
		ran++;
	}
	assert_true(ran >= 10);
}

/* "Fetch these ids": 500 values in one $in, through nginx (the request
 * line is about 22 KB), as Strapi takes them; 1,001 values are past the
 * query's bound, a 400 naming it; a request line past 48 KiB a 414. */
static void
large_in_lists_should_be_taken(void **state)
{
	(void)state;
	struct buf url = { 0 };
	buf_puts(&url, "/api/subscription-plans?pagination%5BwithCount%5D=true");
	for (int i = 0; i < 500; i++)
		buf_printf(&url, "&filters%%5Bid%%5D%%5B%%24in%%5D%%5B%d%%5D=%d", i, i + 1);
	struct reply r = request("GET", buf_str(&url), NULL);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body);
	assert_non_null(strstr(r.body, "\"total\":3}}}"));
	reply_free(&r);
	for (int i = 500; i < 1001; i++)
		buf_printf(&url, "&filters%%5Bid%%5D%%5B%%24in%%5D%%5B%d%%5D=%d", i, i + 1);
	r = request("GET", buf_str(&url), NULL);
	if (r.status != 400)
		fail_msg("%ld %s", r.status, r.body);
	assert_non_null(strstr(r.body, "\"message\":\"Too many filter values (at most "
	    "1000)\""));
	reply_free(&r);
	/* Past what a FastCGI record holds: nginx refuses it, in the API's
	 * error shape. */
	buf_reset(&url);
	buf_puts(&url, "/api/subscription-plans?filters%5Bname%5D=");
	for (int i = 0; i < 50000; i++)
		buf_putc(&url, 'a');
	r = request("GET", buf_str(&url), NULL);
	assert_reply(r, 414, "{\"data\":null,\"error\":{\"status\":414,\"name\":"
	    "\"URITooLongError\",\"message\":\"URI too long\",\"details\":{}}}");
	reply_free(&r);
	buf_free(&url);
}


/* Sends as who (an "Authorization: ..." line, "" for nobody). */
static struct reply
as_get(const char *who, const char *url)
{
	snprintf(harness_auth, sizeof(harness_auth), "%s", who);
	struct reply r = request("GET", url, NULL);
	harness_auth[0] = '\0';
	return r;
}

static struct reply
as_post(const char *who, const char *url, const char *body)
{
	snprintf(harness_auth, sizeof(harness_auth), "%s", who);
	struct reply r = request("POST", url, body);
	harness_auth[0] = '\0';
	return r;
}

/* The Authorization line of a demo user. */
static void
sign_in(const char *email, char *out)
{
	char jwt[2048];
	assert_int_equal(stack_login(email, "demo-password", jwt), 200);
	snprintf(out, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
}

/* The "id" (or another number) of a created record's answer. */
static int64_t
created(struct reply r, const char *what)
{
	if (r.status != 201)
		fail_msg("%ld %s", r.status, r.body);
	cJSON *o = cJSON_Parse(r.body);
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), what));
	cJSON_Delete(o);
	reply_free(&r);
	return id;
}

/* Asserts a 200 whose meta says total, holding none of the texts of
 * never[] (NULL-terminated) and all of always[]. */
static void
holds(struct reply r, int total, const char *const *never, const char *const *always,
    const char *what)
{
	char t[40];
	snprintf(t, sizeof(t), "\"total\":%d}", total);
	if (r.status != 200 || (total >= 0 && strstr(r.body, t) == NULL))
		fail_msg("%s: %ld %s (want total %d)", what, r.status, r.body, total);
	for (; never && *never; never++)
		if (strstr(r.body, *never))
			fail_msg("%s: \"%s\" leaked in %s", what, *never, r.body);
	for (; always && *always; always++)
		if (strstr(r.body, *always) == NULL)
			fail_msg("%s: no \"%s\" in %s", what, *always, r.body);
	reply_free(&r);
}

#define B(s) "%5B" s "%5D"
#define BF(s) "%%5B" s "%%5D"	/* in a format */

/* populate and relation filters read the related records as the caller
 * reads them: a merchant never sees another's records nor an internal
 * note through them, whatever it asks; what its role may not list
 * (users), it may neither populate nor filter on. */
static void
populate_should_never_cross_a_merchant_boundary(void **state)
{
	(void)state;
	char clara[sizeof(harness_auth)], bob[sizeof(harness_auth)],
	    agent[sizeof(harness_auth)], url[512];
	sign_in("clara@example.com", clara);
	sign_in("bob@example.com", bob);
	sign_in("agent@example.com", agent);
	static const char ticket[] = "{\"data\":{\"subject\":\"Populate probe %s\","
	    "\"description\":\"Where is my parcel?\",\"category\":\"technical\","
	    "\"priority\":\"low\"}}";
	char body[300];
	snprintf(body, sizeof(body), ticket, "clara");
	int64_t ta = created(as_post(clara, "/api/support-tickets", body), "id");
	snprintf(body, sizeof(body), ticket, "bob");
	int64_t tb = created(as_post(bob, "/api/support-tickets", body), "id");
	snprintf(url, sizeof(url), "/api/support-tickets/%lld/responses", (long long)ta);
	created(as_post(agent, url, "{\"data\":{\"body\":\"Internal: clara owes us\","
	    "\"internal\":true}}"), "id");
	created(as_post(agent, url, "{\"data\":{\"body\":\"Public answer to clara\"}}"),
	    "id");
	snprintf(url, sizeof(url), "/api/support-tickets/%lld/responses", (long long)tb);
	created(as_post(agent, url, "{\"data\":{\"body\":\"Public answer to bob\"}}"), "id");
	static const char *const others[] = { "bobs-bikes", "Populate probe bob",
	    "Public answer to bob", "Internal:", NULL };

	/* A ticket's replies: the public one only. */
	snprintf(url, sizeof(url), "/api/support-tickets/%lld?fields" BF("0") "=subject&"
	    "populate=responses", (long long)ta);
	struct reply r = as_get(clara, url);
	char want[600];
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *rs = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "responses");
	assert_int_equal(cJSON_GetArraySize(rs), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(rs, 0), "body")), "Public answer to clara");
	cJSON_Delete(o);
	holds(r, -1, others, NULL, "one ticket's replies");
	/* The agent reads both. */
	r = as_get(agent, url);
	static const char *const both[] = { "Internal: clara owes us",
	    "Public answer to clara", NULL };
	holds(r, -1, NULL, both, "the agent's");

	/* Every relation the merchant may read, at every level. */
	static const char *const mine[] = { "boutique-clara", NULL };
	holds(as_get(clara, "/api/support-tickets?populate=*&pagination" B("pageSize")
	    "=100"), 5, others, mine, "tickets, populate=*");
	holds(as_get(clara, "/api/merchants?populate=*"), 1, others, mine,
	    "merchants, populate=*");
	holds(as_get(clara, "/api/subscription-plans?populate" B("subscriptions")
	    B("populate") B("0") "=merchant"), 3, others, mine, "a plan's subscriptions");
	holds(as_get(clara, "/api/ticket-responses?populate" B("ticket") B("populate")
	    B("merchant") B("fields") B("0") "=slug"), 1, others, mine,
	    "a reply's ticket's merchant");
	holds(as_get(clara, "/api/invoices?populate" B("subscription") B("populate")
	    "=merchant&populate=merchant"), -1, others, mine, "an invoice's subscription");
	/* ... and "users", which merchants may not list, is left out. */
	r = as_get(clara, "/api/merchants?populate=*");
	assert_null(strstr(r.body, "\"users\""));
	assert_non_null(strstr(r.body, "\"supportTickets\":[{"));
	reply_free(&r);

	/* Relation filters: the same records. */
	holds(as_get(clara, "/api/ticket-responses?filters" B("ticket") B("subject")
	    B("%24containsi") "=POPULATE%20PROBE"), 1, others, NULL, "replies by subject");
	holds(as_get(clara, "/api/support-tickets?filters" B("merchant") B("slug")
	    B("%24eq") "=bobs-bikes"), 0, NULL, NULL, "another's slug");
	holds(as_get(clara, "/api/support-tickets?filters" B("responses") B("body")
	    B("%24containsi") "=clara%20owes"), 0, NULL, NULL, "an internal note's text");
	holds(as_get(agent, "/api/support-tickets?filters" B("responses") B("body")
	    B("%24containsi") "=clara%20owes"), 1, NULL, NULL, "the agent's search");
	snprintf(url, sizeof(url), "/api/ticket-responses?filters" BF("ticket") BF("id")
	    BF("%%24eq") "=%lld", (long long)ta);
	holds(as_get(admin, url), 2, NULL, both, "filters[ticket][id]");
	holds(as_get(clara, url), 1, others, NULL, "filters[ticket][id], a merchant");
	holds(as_get(admin, "/api/support-tickets?filters" B("merchant") B("name")
	    B("%24containsi") "=CLARA"), 5, NULL, NULL, "filters[merchant][name]");

	/* What a merchant may not list. */
	static const char refused[] = "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"Invalid key requester\",\"details\":{"
	    "\"key\":\"requester\",\"path\":null,\"source\":\"query\",\"param\":\"%s\"}}}";
	r = as_get(clara, "/api/support-tickets?populate=requester");
	snprintf(want, sizeof(want), refused, "populate");
	assert_reply(r, 400, want);
	reply_free(&r);
	r = as_get(clara, "/api/support-tickets?filters" B("requester") B("email")
	    "=admin%40example.com");
	snprintf(want, sizeof(want), refused, "filters");
	assert_reply(r, 400, want);
	reply_free(&r);

	/* An answer that depends on who asks is never served to another from
	 * the cache of the public plans. */
	holds(as_get(admin, "/api/subscription-plans?populate=*&fields" B("0") "=slug"),
	    3, NULL, (const char *const[]){ "\"subscriptions\":[{", NULL }, "admin's");
	holds(as_get("", "/api/subscription-plans?populate=*&fields" B("0") "=slug"), 3,
	    (const char *const[]){ "subscriptions", NULL }, NULL, "nobody's");
	/* A merchant lists the plans, as everyone may, cached or not. */
	holds(as_get(clara, "/api/subscription-plans?fields" B("0") "=slug&sort=slug"), 3,
	    NULL, NULL, "plans, as a merchant");
}

/* What populate may cost is bounded: at most 100 records of a relation to
 * many under one record, 5,000 related records in an answer (a 400 that
 * says so, before anything is sent). */
static void
populate_should_stay_within_its_bounds(void **state)
{
	(void)state;
	int64_t m = created(as_post(admin, "/api/merchants", "{\"data\":{\"name\":"
	    "\"Bulk SARL\",\"slug\":\"bulk-sarl\",\"email\":\"bulk@example.com\"}}"), "id");
	char path[600], sql[1200], url[300];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
	    "i + 1 FROM n WHERE i < 120) INSERT INTO support_tickets (document_id, "
	    "reference, merchant_id, subject, description, category, priority, "
	    "first_response_due_at, created_at, updated_at, public_updated_at) SELECT "
	    "printf('bulk%%020d', i), printf('BULK-%%06d', i), %lld, 'Bulk', 'Many', "
	    "'technical', 'low', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', "
	    "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n", (long long)m);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	snprintf(url, sizeof(url), "/api/merchants/%lld?fields" BF("0") "=slug&populate"
	    BF("supportTickets") BF("fields") BF("0") "=reference", (long long)m);
	struct reply r = as_get(admin, url);
	cJSON *o = cJSON_Parse(r.body);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "supportTickets")), 100);
	cJSON_Delete(o);
	reply_free(&r);
	/* 100 tickets, their merchant, its 100 tickets for each: 10,200. */
	snprintf(url, sizeof(url), "/api/merchants/%lld?populate=supportTickets.merchant."
	    "supportTickets", (long long)m);
	r = as_get(admin, url);
	assert_reply(r, 400, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"populate would answer more than 5000 "
	    "related records: ask for fewer\",\"details\":{}}}");
	reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strapi_answers_should_be_given),
		cmocka_unit_test(large_in_lists_should_be_taken),
		cmocka_unit_test(populate_should_never_cross_a_merchant_boundary),
		cmocka_unit_test(populate_should_stay_within_its_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
