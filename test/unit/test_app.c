#include "unit.h"
#include "app.h"
#include "db.h"
#include "plans.h"
#include "json.h"

#include <signal.h>
#include <sys/wait.h>

static char dbpath[256];
/* Authorization of the calls below: the demo admin unless a test says. */
static char auth[JWT_MAX_LEN + 16];

struct answer {
	int	 status;
	char	*body;
	char	*headers;
};

static int
setup(void **state)
{
	struct app *app = NULL;
	if (unit_app_open(dbpath, sizeof(dbpath), 4096, &app) != 0)
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

/* A request to the application, with a JSON body, an Idempotency-Key and
 * an Accept-Language header when given, and the test's Authorization. */
static struct answer
call_lang(struct app *app, enum http_method m, const char *path, const char *query,
    const char *body, const char *idem_key, const char *accept)
{
	struct request req;
	struct response resp;
	struct answer a;
	unit_request(&req, m, path, query);
	if (body) {
		req.body = body;
		req.body_len = strlen(body);
		http_add_header(&req, "content-type", "application/json");
	}
	if (idem_key)
		http_add_header(&req, "idempotency-key", idem_key);
	if (accept)
		http_add_header(&req, "accept-language", accept);
	if (auth[0])
		http_add_header(&req, "authorization", auth);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	a.status = resp.status;
	a.body = xstrdup(buf_str(&resp.body));
	a.headers = xstrdup(buf_str(&resp.headers));
	resp_free(&resp);
	arena_free(&req.arena);
	return a;
}

static struct answer
call(struct app *app, enum http_method m, const char *path, const char *query,
    const char *body, const char *idem_key)
{
	return call_lang(app, m, path, query, body, idem_key, NULL);
}

static void
answer_free(struct answer *a)
{
	free(a->body);
	free(a->headers);
}

static void
app_should_answer_strapi_errors_for_bad_routes(void **state)
{
	struct answer a = call(*state, METHOD_GET, "/api/nothing", "", NULL, NULL);
	assert_int_equal(a.status, 404);
	assert_string_equal(a.body, "{\"data\":null,\"error\":{\"status\":404,\"name\":"
	    "\"NotFoundError\",\"message\":\"Not Found\",\"details\":{}}}");
	answer_free(&a);
	a = call(*state, METHOD_PATCH, "/api/subscription-plans/1", "", NULL, NULL);
	assert_int_equal(a.status, 405);
	assert_string_equal(a.headers, "Allow: GET, PUT, DELETE\r\n");
	assert_string_equal(a.body, "{\"data\":null,\"error\":{\"status\":405,\"name\":"
	    "\"MethodNotAllowedError\",\"message\":\"Method Not Allowed\",\"details\":{}}}");
	answer_free(&a);
	a = call(*state, METHOD_GET, "/api/subscription-plans/doesnotexist000000000000",
	    "", NULL, NULL);
	assert_int_equal(a.status, 404);
	answer_free(&a);
	a = call(*state, METHOD_GET, "/api/subscription-plans/1;DROP", "", NULL, NULL);
	assert_int_equal(a.status, 404);
	answer_free(&a);
}

static void
app_should_refuse_bad_bodies_with_a_clear_error(void **state)
{
	static const struct { const char *body; int status; const char *msg; } bad[] = {
		{ "{\"data\":", 400, "Invalid JSON in request body" },
		{ "[1,2]", 400, "Missing \\\"data\\\" payload in the request body" },
		{ "{\"data\":[]}", 400, "Missing \\\"data\\\" payload in the request body" },
		{ "{}", 400, "Missing \\\"data\\\" payload in the request body" },
		{ "{\"data\":{\"name\":\"x\",\"slug\":\"x\",\"priceCents\":\"1\"}}", 400,
		  "priceCents must be an integer" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct answer a = call(*state, METHOD_POST, "/api/subscription-plans",
		    "", bad[i].body, NULL);
		char want[256];
		snprintf(want, sizeof(want), "\"message\":\"%s\"", bad[i].msg);
		if (a.status != bad[i].status || strstr(a.body, want) == NULL)
			fail_msg("%s -> %d %s", bad[i].body, a.status, a.body);
		answer_free(&a);
	}
	/* Over the application's own limit (4096 here): 413, nothing read. */
	char *big = xmalloc(5000);
	memset(big, ' ', 4999);
	big[4999] = '\0';
	struct answer a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    big, NULL);
	assert_int_equal(a.status, 413);
	assert_non_null(strstr(a.body, "\"name\":\"PayloadTooLargeError\""));
	answer_free(&a);
	free(big);
}

static void
app_should_create_update_and_delete_a_plan(void **state)
{
	struct answer a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"Pro\",\"slug\":\"pro\",\"priceCents\":4900,"
	    "\"trialDays\":7,\"features\":[\"Caf\\u00e9 cr\u00e8me\"]}}", NULL);
	assert_int_equal(a.status, 201);
	assert_non_null(strstr(a.body, "\"features\":[\"Café crème\"]"));
	cJSON *o = cJSON_Parse(a.body);
	char docid[32];
	snprintf(docid, sizeof(docid), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "documentId")));
	cJSON_Delete(o);
	answer_free(&a);

	/* The same slug again: 400 naming slug, like Strapi's unique check. */
	a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"Pro 2\",\"slug\":\"pro\",\"priceCents\":1}}", NULL);
	assert_int_equal(a.status, 400);
	assert_string_equal(a.body, "{\"data\":null,\"error\":{\"status\":400,\"name\":"
	    "\"ValidationError\",\"message\":\"This attribute must be unique\","
	    "\"details\":{\"errors\":[{\"path\":[\"slug\"],\"message\":"
	    "\"This attribute must be unique\",\"name\":\"ValidationError\","
	    "\"value\":\"pro\"}]}}}");
	answer_free(&a);

	char path[128];
	snprintf(path, sizeof(path), "/api/subscription-plans/%s", docid);
	a = call(*state, METHOD_PUT, path, "", "{\"data\":{\"priceCents\":5900}}", NULL);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "\"priceCents\":5900"));
	answer_free(&a);
	a = call(*state, METHOD_GET, path, "", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "\"slug\":\"pro\""));
	answer_free(&a);
	a = call(*state, METHOD_DELETE, path, "", NULL, NULL);
	assert_int_equal(a.status, 204);
	assert_string_equal(a.body, "");
	answer_free(&a);
	a = call(*state, METHOD_GET, path, "", NULL, NULL);
	assert_int_equal(a.status, 404);
	answer_free(&a);
	a = call(*state, METHOD_DELETE, path, "", NULL, NULL);
	assert_int_equal(a.status, 404);
	answer_free(&a);
}

static void
app_should_replay_idempotent_posts(void **state)
{
	const char *body = "{\"data\":{\"name\":\"Idem\",\"slug\":\"idem\",\"priceCents\":1}}";
	struct answer a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    body, "key-1");
	struct answer b = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    body, "key-1");
	assert_int_equal(a.status, 201);
	assert_int_equal(b.status, 201);
	assert_string_equal(a.body, b.body);
	assert_non_null(strstr(b.headers, "Idempotent-Replayed: true"));
	answer_free(&a);
	answer_free(&b);
	/* One record only. */
	a = call(*state, METHOD_GET, "/api/subscription-plans", "filters[slug]=idem",
	    NULL, NULL);
	assert_non_null(strstr(a.body, "\"total\":1}"));
	answer_free(&a);
	/* The same key with another body is refused. */
	a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"Other\",\"slug\":\"other\",\"priceCents\":1}}", "key-1");
	assert_int_equal(a.status, 409);
	assert_non_null(strstr(a.body, "\"name\":\"ApplicationError\""));
	answer_free(&a);
	/* A failed request is replayed as failed, and changes nothing. */
	a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"Bad\"}}", "key-2");
	b = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"Bad\"}}", "key-2");
	assert_int_equal(a.status, 400);
	assert_string_equal(a.body, b.body);
	answer_free(&a);
	answer_free(&b);
	a = call(*state, METHOD_POST, "/api/subscription-plans", "", body,
	    "bad key with spaces");
	assert_int_equal(a.status, 400);
	answer_free(&a);
}

/* The count of "total" in a list's answer. */
static long
total_of(const struct answer *a)
{
	const char *t = strstr(a->body, "\"total\":");
	return t ? atol(t + 8) : -1;
}

static void
list_totals_should_follow_writes(void **state)
{
	static const char *const q = "filters[active][$eq]=true&pagination[pageSize]=1";
	/* A full page: the total is counted, then kept while nothing changes. */
	struct answer a = call(*state, METHOD_GET, "/api/subscription-plans", q, NULL, NULL);
	long n = total_of(&a);
	assert_true(n > 1);
	answer_free(&a);
	a = call(*state, METHOD_GET, "/api/subscription-plans", q, NULL, NULL);
	assert_int_equal(total_of(&a), n);
	answer_free(&a);
	/* Another connection withdraws a plan: the next answer counts it. */
	struct db *other;
	assert_int_equal(db_open(dbpath, &other), ERR_OK);
	assert_int_equal(sqlite3_exec(db_handle(other), "UPDATE subscription_plans SET "
	    "active = 0 WHERE slug = 'starter'", 0, 0, 0), SQLITE_OK);
	db_close(other);
	a = call(*state, METHOD_GET, "/api/subscription-plans", q, NULL, NULL);
	assert_int_equal(total_of(&a), n - 1);
	answer_free(&a);
	/* And this connection offers it again. */
	a = call(*state, METHOD_PUT, "/api/subscription-plans/1", "",
	    "{\"data\":{\"active\":true}}", NULL);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	a = call(*state, METHOD_GET, "/api/subscription-plans", q, NULL, NULL);
	assert_int_equal(total_of(&a), n);
	answer_free(&a);
}

static void
app_cache_should_follow_writes_from_other_connections(void **state)
{
	struct answer a = call(*state, METHOD_GET, "/api/subscription-plans/active",
	    "", NULL, NULL);
	assert_non_null(strstr(a.body, "\"name\":\"Starter\""));
	answer_free(&a);
	/* Another process (here: another connection) renames a plan. */
	struct db *other;
	assert_int_equal(db_open(dbpath, &other), ERR_OK);
	assert_int_equal(sqlite3_exec(db_handle(other), "UPDATE subscription_plans "
	    "SET name = 'Starter+' WHERE slug = 'starter'", 0, 0, 0), SQLITE_OK);
	db_close(other);
	a = call(*state, METHOD_GET, "/api/subscription-plans/active", "", NULL, NULL);
	assert_non_null(strstr(a.body, "\"name\":\"Starter+\""));
	answer_free(&a);
	/* And a write through this connection. */
	a = call(*state, METHOD_PUT, "/api/subscription-plans/1", "",
	    "{\"data\":{\"active\":false}}", NULL);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	a = call(*state, METHOD_GET, "/api/subscription-plans/active", "", NULL, NULL);
	assert_null(strstr(a.body, "\"name\":\"Starter+\""));
	answer_free(&a);
	a = call(*state, METHOD_PUT, "/api/subscription-plans/1", "",
	    "{\"data\":{\"active\":true,\"name\":\"Starter\"}}", NULL);
	answer_free(&a);
}

static void
pricing_page_should_escape_plan_text(void **state)
{
	struct answer a = call(*state, METHOD_POST, "/api/subscription-plans", "",
	    "{\"data\":{\"name\":\"<script>alert(1)</script>\",\"slug\":\"xss\","
	    "\"priceCents\":100,\"description\":\"\\\"><img src=x onerror=alert(2)>\"}}",
	    NULL);
	assert_int_equal(a.status, 201);
	answer_free(&a);
	a = call(*state, METHOD_GET, "/marketplace/plans.html", "", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(a.body, "<script>"));
	assert_null(strstr(a.body, "<img"));
	if (strstr(a.body, "<h2 class=\"plan-name\">Starter</h2>") == NULL)
		fail_msg("%s", a.body);
	assert_non_null(strstr(a.body, "<span class=\"amount\">29.00</span>"));
	answer_free(&a);
}

/* Pages speak the language asked for (?lang=, else Accept-Language, else
 * English), words, numbers and lang attribute alike, through the shared
 * header and footer; the answer cache keeps each language apart. */
static void
pages_should_speak_the_language_asked_for(void **state)
{
	static const struct { const char *query, *accept, *lang, *amount, *words; } cases[] = {
		{ "", NULL, "en", "29.00", "14-day free trial" },
		{ "", "fr-FR,fr;q=0.9,en;q=0.8", "fr", "29,00", "Essai gratuit de 14 jours" },
		{ "", "de-DE, en-GB;q=0.7", "en", "29.00", "Plans and pricing" },
		{ "", "de", "en", "29.00", "<a href=\"/marketplace/plans.html\">Pricing</a>" },
		{ "lang=fr", "en", "fr", "29,00", "<h1>Offres et tarifs</h1>" },
		{ "lang=en", "fr", "en", "29.00", "<title>Plans and pricing · Marketplace</title>" },
		{ "lang=xx", NULL, "en", "29.00", "/ month" },
		{ "", "fr", "fr", "29,00", "/ mois" },
	};
	char html[32], amount[32];
	/* Twice: the second round comes from the answer cache. */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct answer a = call_lang(*state, METHOD_GET,
			    "/marketplace/plans.html", cases[i].query, NULL, NULL,
			    cases[i].accept);
			assert_int_equal(a.status, 200);
			snprintf(html, sizeof(html), "<html lang=\"%s\">", cases[i].lang);
			snprintf(amount, sizeof(amount), "\"amount\">%s<", cases[i].amount);
			if (strstr(a.body, html) == NULL || strstr(a.body, amount) == NULL ||
			    strstr(a.body, cases[i].words) == NULL)
				fail_msg("case %zu, round %d: %s", i, round, a.body);
			assert_non_null(strstr(a.body, "<footer class=\"bottom\">"));
			answer_free(&a);
		}
	struct answer a = call_lang(*state, METHOD_GET, "/marketplace/login.html", "",
	    NULL, NULL, "fr");
	assert_non_null(strstr(a.body, "<label for=\"password\">Mot de passe</label>"));
	assert_non_null(strstr(a.body, "<title>Connexion · Marketplace</title>"));
	answer_free(&a);
}

/* cJSON runs out of memory as the core does: the process stops through
 * the core's allocator (mem.h) instead of cJSON handing back a NULL. (Under
 * AddressSanitizer the sanitizer stops it first, inside xmalloc.) */
static void
json_should_allocate_through_the_core_allocator(void **state)
{
	int fds[2];
	char out[8192];
	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		json_init();
		void *p = cJSON_malloc((size_t)-1 / 4);
		_exit(p == NULL ? 0 : 3);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(out) - 1 &&
	    (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (strstr(out, "fatal: out of memory") == NULL && strstr(out, "in xmalloc") == NULL)
		fail_msg("not stopped by the core's allocator: %s", out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(app_should_answer_strapi_errors_for_bad_routes),
		cmocka_unit_test(app_should_refuse_bad_bodies_with_a_clear_error),
		cmocka_unit_test(app_should_create_update_and_delete_a_plan),
		cmocka_unit_test(app_should_replay_idempotent_posts),
		cmocka_unit_test(app_cache_should_follow_writes_from_other_connections),
		cmocka_unit_test(list_totals_should_follow_writes),
		cmocka_unit_test(pricing_page_should_escape_plan_text),
		cmocka_unit_test(pages_should_speak_the_language_asked_for),
		cmocka_unit_test(json_should_allocate_through_the_core_allocator),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
