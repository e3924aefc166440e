/*
 * The dashboards on the real stack, through nginx, signed in through the
 * browser form: the platform's dashboard shows the API's own figures, its
 * tables sort, filter, search and page, its forms act through the API's
 * routes (and refuse what those refuse); the merchant's dashboard shows
 * only its own, its shop's sales or that they are unavailable; the API
 * tester sends as the caller; every page is valid HTML, small, and fast,
 * also with 10,000 merchants and 100,000 tickets.
 */
#include "harness.h"
#include "msg.h"
#include "platform.h"

#include <sqlite3.h>

static char admin[200], agent[200], clara[200], bob[200];	/* session cookies */
static const char *cookie_of(const char *who);
static int64_t clara_id, bob_id, agent_user;

/* A page as the holder of cookie sees it. */
static struct reply
page(const char *cookie, const char *url)
{
	const char *hs[] = { cookie, NULL };
	return request_full("GET", url, NULL, 0, hs);
}

/* Posts a form (name, value, ..., NULL; values %-encoded here) to url as
 * the holder of cookie. */
static struct reply
post_form(const char *cookie, const char *url, ...)
{
	struct reply r;
	char *body = calloc(1, 65536);
	size_t n = 0;
	va_list ap;
	va_start(ap, url);
	CURL *c = curl_easy_init();
	for (const char *k; (k = va_arg(ap, const char *)) != NULL; ) {
		const char *v = va_arg(ap, const char *);
		char *e = curl_easy_escape(c, v, 0);
		n += (size_t)snprintf(body + n, 65536 - n, "%s%s=%s", n ? "&" : "", k, e);
		curl_free(e);
	}
	va_end(ap);
	curl_easy_cleanup(c);
	const char *hs[] = { "Content-Type: application/x-www-form-urlencoded", cookie,
	    NULL };
	r = request_full("POST", url, body, strlen(body), hs);
	free(body);
	return r;
}

/* The session's CSRF token, as its pages carry it. */
static void
csrf_of(const char *cookie, char *out)
{
	struct reply r = page(cookie, "/marketplace/account.html");
	stack_form_token(r.body, out);
	reply_free(&r);
}

/* The id of the first record of an API list (as the admin). */
static int64_t
first_id(const char *url)
{
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o,
	    "data"), 0), "id");
	int64_t id = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
	cJSON_Delete(o);
	reply_free(&r);
	return id;
}

/* A member of an API record (as the admin), as text ("" when absent). */
static void
field_of(const char *url, const char *member, char *out, size_t n)
{
	struct reply r = request("GET", url, NULL);
	cJSON *o = cJSON_Parse(r.body);
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), member);
	char *t = v ? cJSON_PrintUnformatted(v) : NULL;
	snprintf(out, n, "%s", t ? t : "");
	free(t);
	cJSON_Delete(o);
	reply_free(&r);
}

#define assert_has(body, frag) do { \
	if (strstr((body), (frag)) == NULL) \
		fail_msg("missing %s in:\n%s", (frag), (body)); \
} while (0)

static int
setup(void **state)
{
	char why[200];
	(void)state;
	if (msg_use(platform_langs, platform_nlangs, why, sizeof(why)) != 0 ||
	    stack_start(NULL) != 0 || stack_as_admin() != 0)
		return -1;
	if (stack_browser_login("admin@example.com", "demo-password", admin,
	    sizeof(admin)) != 303 ||
	    stack_browser_login("agent@example.com", "demo-password", agent,
	    sizeof(agent)) != 303 ||
	    stack_browser_login("clara@example.com", "demo-password", clara,
	    sizeof(clara)) != 303 ||
	    stack_browser_login("bob@example.com", "demo-password", bob, sizeof(bob)) != 303)
		return -1;
	clara_id = first_id("/api/merchants?filters[slug][$eq]=boutique-clara");
	bob_id = first_id("/api/merchants?filters[slug][$eq]=bobs-bikes");
	agent_user = first_id("/api/users?filters[email][$eq]=agent@example.com");
	return clara_id > 0 && bob_id > 0 && agent_user > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* The cards show what GET /api/platform/dashboard answers, written as the
 * page's language writes numbers and money. */
static void
admin_dashboard_should_show_the_api_figures(void **state)
{
	(void)state;
	struct reply api = request("GET", "/api/platform/dashboard", NULL);
	assert_int_equal(api.status, 200);
	cJSON *o = cJSON_Parse(api.body);
	const cJSON *k = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "kpis");
	static const struct { const char *lang, *key; int money; } cards[] = {
		{ "en", "merchants", 0 }, { "en", "activeSubscriptions", 0 },
		{ "en", "trialingSubscriptions", 0 }, { "en", "mrrCents", 1 },
		{ "fr", "mrrCents", 1 }, { "en", "revenueThisMonthCents", 1 },
		{ "en", "openTickets", 0 }, { "en", "slaBreaches30d", 0 },
	};
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		char url[128], want[256], v[64];
		double n = cJSON_GetNumberValue(cJSON_GetObjectItem(k, cards[i].key));
		if (cards[i].money)
			msg_money(cards[i].lang, (int64_t)n, "EUR", v, sizeof(v));
		else
			snprintf(v, sizeof(v), "%.0f", n);	/* all under 1,000 */
		snprintf(url, sizeof(url), "/marketplace/platform-admin.html?lang=%s",
		    cards[i].lang);
		snprintf(want, sizeof(want), "id=\"kpi-%s\"><span class=\"kpi-label\">",
		    cards[i].key);
		struct reply r = page(admin, url);
		assert_int_equal(r.status, 200);
		const char *at = strstr(r.body, want);
		assert_non_null(at);
		snprintf(want, sizeof(want), "<strong class=\"kpi-value\">%s</strong>", v);
		if (strncmp(strstr(at, "<strong"), want, strlen(want)) != 0)
			fail_msg("%s: want %s in %.200s", cards[i].key, want, at);
		reply_free(&r);
	}
	/* The demo's MRR, as each language writes it. */
	struct reply r = page(admin, "/marketplace/platform-admin.html?lang=fr");
	assert_has(r.body, "<figcaption>Chiffre d&#39;affaires par mois (12 mois)</figcaption>");
	assert_has(r.body, "<svg viewBox=\"0 0 640 220\"");
	/* Twelve bars of revenue, each with its month and amount. */
	const char *chart = strstr(r.body, "id=\"chart-revenue\"");
	assert_non_null(chart);
	int bars = 0;
	for (const char *p = chart; (p = strstr(p, "<rect class=\"s0\"")) != NULL &&
	    p < strstr(chart, "</figure>"); p++)
		bars++;
	assert_int_equal(bars, 12);
	reply_free(&r);
	cJSON_Delete(o);
	reply_free(&api);

	/* An agent: the support part only; a merchant: no entry. */
	r = page(agent, "/marketplace/platform-admin.html");
	assert_int_equal(r.status, 200);
	assert_has(r.body, "id=\"kpi-openTickets\"");
	assert_null(strstr(r.body, "id=\"kpi-mrrCents\""));
	assert_null(strstr(r.body, "view=merchants"));
	assert_has(r.body, "view=tickets");
	reply_free(&r);
	r = page(agent, "/marketplace/platform-admin.html?view=invoices");
	assert_int_equal(r.status, 400);
	reply_free(&r);
	r = page(clara, "/marketplace/platform-admin.html");
	assert_int_equal(r.status, 403);
	reply_free(&r);
}

/* The number of rows of a table in a page. */
static int
rows_of(const char *body)
{
	int n = 0;
	for (const char *p = body; (p = strstr(p, "<tr data-id=")) != NULL; p++)
		n++;
	return n;
}

static void
admin_tables_should_sort_filter_search_and_page(void **state)
{
	(void)state;
	char want[256];
	struct reply r = page(admin, "/marketplace/platform-admin.html?view=invoices");
	assert_int_equal(r.status, 200);
	struct reply api = request("GET", "/api/invoices?pagination[pageSize]=1", NULL);
	cJSON *o = cJSON_Parse(api.body);
	int total = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "meta"), "pagination"), "total"));
	cJSON_Delete(o);
	reply_free(&api);
	assert_true(total > 25);
	snprintf(want, sizeof(want), "<span class=\"total\">(%d in all)</span>", total);
	assert_has(r.body, want);
	assert_int_equal(rows_of(r.body), 25);
	snprintf(want, sizeof(want), "<span>Page 1 of %d</span>", (total + 24) / 25);
	assert_has(r.body, want);
	assert_has(r.body, "<a rel=\"next\" href=\"/marketplace/platform-admin.html?view="
	    "invoices&amp;page=2\">Next</a>");
	/* Newest first: the highest number on top. */
	assert_has(r.body, "<th scope=\"col\" aria-sort=\"none\"><a href=\"/marketplace/"
	    "platform-admin.html?view=invoices&amp;sort=total&amp;dir=desc\">Total</a></th>");
	reply_free(&r);
	/* Page 2 holds the rest. */
	r = page(admin, "/marketplace/platform-admin.html?view=invoices&page=2");
	assert_int_equal(rows_of(r.body), total - 25);
	reply_free(&r);
	/* Sorted by total, smallest first: the first row's total is the
	 * smallest of the API's. */
	r = page(admin, "/marketplace/platform-admin.html?view=invoices&sort=total&dir=asc");
	assert_has(r.body, "aria-sort=\"ascending\"><a href=\"/marketplace/platform-admin."
	    "html?view=invoices&amp;sort=total&amp;dir=desc\">Total</a>");
	api = request("GET", "/api/invoices?sort=totalCents:asc&pagination[pageSize]=1",
	    NULL);
	o = cJSON_Parse(api.body);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	snprintf(want, sizeof(want), "<tr data-id=\"%.0f\">", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(first, "id")));
	char *row = strstr(r.body, "<tr data-id=");
	assert_non_null(row);
	double smallest = cJSON_GetNumberValue(cJSON_GetObjectItem(first, "totalCents"));
	char money[64];
	msg_money("en", (int64_t)smallest, "EUR", money, sizeof(money));
	char cell[128];
	snprintf(cell, sizeof(cell), "<td>%s</td>", money);
	assert_true(strstr(row, cell) != NULL && strstr(row, cell) < strstr(row, "</tr>"));
	cJSON_Delete(o);
	reply_free(&api);
	reply_free(&r);
	/* Filtered: only open invoices; searched: only one merchant's. */
	r = page(admin, "/marketplace/platform-admin.html?view=invoices&status=open");
	assert_has(r.body, "<option value=\"open\" selected>Open</option>");
	assert_null(strstr(r.body, "state-paid"));
	reply_free(&r);
	r = page(admin, "/marketplace/platform-admin.html?view=merchants&q=bob");
	assert_int_equal(rows_of(r.body), 1);
	assert_has(r.body, "<td>Bob&#39;s Bikes</td>");
	assert_has(r.body, "<input id=\"q-merchants\" name=\"q\" type=\"search\" "
	    "maxlength=\"200\" value=\"bob\">");
	reply_free(&r);
	/* A LIKE wildcard is a character like any other. */
	r = page(admin, "/marketplace/platform-admin.html?view=merchants&q=%25");
	assert_int_equal(rows_of(r.body), 0);
	assert_has(r.body, "<p class=\"empty\">Nothing matches.</p>");
	reply_free(&r);
	/* Only what the table lists. */
	static const char *const bad[][2] = {
		{ "view=merchants&sort=password_hash", "sort" },
		{ "view=merchants&dir=sideways", "dir" },
		{ "view=merchants&status=deleted", "status" },
		{ "view=merchants&page=0", "page" },
		{ "view=nothing", "view" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char url[160];
		snprintf(url, sizeof(url), "/marketplace/platform-admin.html?%s", bad[i][0]);
		r = page(admin, url);
		snprintf(want, sizeof(want), "\"path\":[\"%s\"]", bad[i][1]);
		assert_reply_has(r, 400, want);
		reply_free(&r);
	}
}

/* A ticket of Boutique Clara's, opened by its owner through its page. */
static int64_t
open_ticket(const char *subject)
{
	char csrf[64];
	csrf_of(clara, csrf);
	struct reply r = post_form(clara, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/support-tickets", "_back",
	    "/marketplace/merchant-dashboard.html?view=tickets", "_ok",
	    "FLASH_TICKET_OPENED", "subject", subject, "description", "Line one\nline two",
	    "category", "technical", "priority", "high", NULL);
	assert_int_equal(r.status, 303);
	assert_non_null(strcasestr(r.headers, "location: /marketplace/merchant-dashboard."
	    "html?view=tickets&flash=FLASH_TICKET_OPENED"));
	reply_free(&r);
	return first_id("/api/support-tickets?sort=id:desc");
}

static void
ticket_forms_should_act_through_the_api_routes(void **state)
{
	(void)state;
	char csrf[64], back[128], url[256], got[256];
	int64_t t = open_ticket("Payment page is blank");
	csrf_of(admin, csrf);
	char id[32], agent_id[32];
	snprintf(id, sizeof(id), "%lld", (long long)t);
	snprintf(agent_id, sizeof(agent_id), "%lld", (long long)agent_user);
	snprintf(back, sizeof(back), "/marketplace/platform-admin.html?view=ticket&id=%s",
	    id);
	/* Assign: 303 back to the ticket with the message. */
	struct reply r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id/assign", "_id", id, "_back", back, "_ok",
	    "FLASH_TICKET_ASSIGNED", "assignee", agent_id, NULL);
	assert_int_equal(r.status, 303);
	char loc[256];
	snprintf(loc, sizeof(loc), "location: %s&flash=FLASH_TICKET_ASSIGNED", back);
	assert_non_null(strcasestr(r.headers, loc));
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/support-tickets/%s", id);
	field_of(url, "assignee", got, sizeof(got));
	assert_string_equal(got, agent_id);
	snprintf(url, sizeof(url), "%s&flash=FLASH_TICKET_ASSIGNED&lang=fr", back);
	r = page(admin, url);
	assert_has(r.body, "<p class=\"flash notice\" role=\"status\" id=\"flash\">Le ticket "
	    "a été attribué.</p>");
	reply_free(&r);
	/* An internal note with time spent, then a public reply. */
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/support-tickets/:id/responses", "_id", id, "_back", back, "_ok",
	    "FLASH_REPLY_SENT", "body", "Checking the gateway", "internal", "false",
	    "internal", "true", "timeSpentMinutes", "12", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/support-tickets/:id/responses", "_id", id, "_back", back, "_ok",
	    "FLASH_REPLY_SENT", "body", "Fixed, please try again", "internal", "false",
	    NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/support-tickets/%s", id);
	field_of(url, "timeSpentMinutes", got, sizeof(got));
	assert_string_equal(got, "12");
	/* The merchant reads the reply, never the note. */
	snprintf(url, sizeof(url), "/marketplace/merchant-dashboard.html?view=ticket&id=%s",
	    id);
	r = page(clara, url);
	assert_int_equal(r.status, 200);
	assert_has(r.body, "<p class=\"body\">Fixed, please try again</p>");
	assert_has(r.body, "<p class=\"description\">Line one\nline two</p>");
	assert_null(strstr(r.body, "Checking the gateway"));
	assert_null(strstr(r.body, "assign-form"));
	reply_free(&r);
	/* A move the state machine refuses: the page again, 409, nothing
	 * changed. */
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id", "_id", id, "_back", back, "_ok",
	    "FLASH_TICKET_MOVED", "status", "closed", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id", "_id", id, "_back", back, "_ok",
	    "FLASH_TICKET_MOVED", "status", "in_progress", NULL);
	assert_int_equal(r.status, 409);
	assert_has(r.body, "<p class=\"flash error\" role=\"alert\" id=\"flash\">Nothing was "
	    "changed: this is not possible in the record&#39;s present state.");
	assert_has(r.body, "<span id=\"ticket-subject\">Payment page is blank</span>");
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/support-tickets/%s", id);
	field_of(url, "status", got, sizeof(got));
	assert_string_equal(got, "\"closed\"");
	/* A value the route refuses names the field. */
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id", "_id", id, "_back", back, "status", "bogus",
	    NULL);
	assert_int_equal(r.status, 400);
	assert_has(r.body, "Nothing was changed: check the form. status must be one of");
	reply_free(&r);
	/* Without the session's CSRF token: refused before anything runs. */
	r = post_form(admin, "/marketplace/act", "_csrf", "forged", "_route",
	    "PUT /api/support-tickets/:id/assign", "_id", id, "_back", back, "assignee", "",
	    NULL);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	field_of(url, "assignee", got, sizeof(got));
	assert_string_equal(got, agent_id);
	/* Never back to another site, never a route that is not the API's. */
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id/assign", "_id", id, "_back",
	    "https://evil.example/", "assignee", "", NULL);
	assert_reply_has(r, 400, "\"path\":[\"_back\"]");
	reply_free(&r);
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /marketplace/logout", "_back", back, NULL);
	assert_reply_has(r, 400, "\"path\":[\"_route\"]");
	reply_free(&r);
	/* A merchant may not act through a route it may not call. */
	csrf_of(clara, csrf);
	r = post_form(clara, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/support-tickets/:id/assign", "_id", id, "_back",
	    "/marketplace/merchant-dashboard.html", "assignee", "", NULL);
	assert_int_equal(r.status, 403);
	reply_free(&r);
	field_of(url, "assignee", got, sizeof(got));
	assert_string_equal(got, agent_id);
}

static void
plan_and_backend_forms_should_act_through_the_api_routes(void **state)
{
	(void)state;
	char csrf[64], got[512], url[128], id[32];
	const char *back = "/marketplace/platform-admin.html?view=plans";
	csrf_of(admin, csrf);
	struct reply r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/subscription-plans", "_back", back, "_ok", "FLASH_PLAN_CREATED",
	    "name", "Pro", "slug", "pro", "priceCents", "4900", "currency", "EUR",
	    "interval", "month", "trialDays", "7", "sortOrder", "5", "description", "",
	    "features:lines", "Priority support\r\n\r\n  Custom domain \r\n", "active",
	    "false", "active", "true", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	int64_t plan = first_id("/api/subscription-plans?filters[slug][$eq]=pro");
	assert_true(plan > 0);
	snprintf(url, sizeof(url), "/api/subscription-plans/%lld", (long long)plan);
	field_of(url, "features", got, sizeof(got));
	assert_string_equal(got, "[\"Priority support\",\"Custom domain\"]");
	field_of(url, "priceCents", got, sizeof(got));
	assert_string_equal(got, "4900");
	/* Its form, filled; then withdrawn. */
	snprintf(id, sizeof(id), "%lld", (long long)plan);
	char view[128];
	snprintf(view, sizeof(view), "/marketplace/platform-admin.html?view=plan&id=%s", id);
	r = page(admin, view);
	assert_has(r.body, "<textarea id=\"plan-features\" name=\"features:lines\" rows=\"3\" "
	    "aria-describedby=\"plan-features-hint\">Priority support\nCustom domain\n"
	    "</textarea>");
	reply_free(&r);
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/subscription-plans/:id", "_id", id, "_back", back, "_ok",
	    "FLASH_PLAN_DEACTIVATED", "active", "false", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	field_of(url, "active", got, sizeof(got));
	assert_string_equal(got, "false");
	/* A price that is not a number: named, nothing written. */
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/subscription-plans", "_back", back, "name", "Bad", "slug", "bad",
	    "priceCents", "12 euros", NULL);
	assert_int_equal(r.status, 400);
	assert_has(r.body, "Nothing was changed: check the form. priceCents must be");
	assert_has(r.body, "id=\"plan-form\"");
	reply_free(&r);
	assert_int_equal(first_id("/api/subscription-plans?filters[slug][$eq]=bad"), 0);
	/* The demo shop, restarted from the backends' table. */
	int64_t shop = first_id("/api/merchant-backends?filters[subdomain][$eq]="
	    "boutique-clara");
	snprintf(id, sizeof(id), "%lld", (long long)shop);
	r = post_form(admin, "/marketplace/act", "_csrf", csrf, "_route",
	    "POST /api/merchant-backends/:id/restart", "_id", id, "_back",
	    "/marketplace/platform-admin.html?view=backends", "_ok",
	    "FLASH_BACKEND_RESTARTING", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/merchant-backends/%s/deployment-status", id);
	r = request("GET", url, NULL);
	assert_has(r.body, "\"action\":\"restart\"");
	reply_free(&r);
	/* It ends, the shop serving again. */
	int done = 0;
	for (int i = 0; i < 300 && !done; i++) {
		r = request("GET", url, NULL);
		cJSON *o = cJSON_Parse(r.body);
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "data"), "latest"), "status"));
		done = st && strcmp(st, "succeeded") == 0;
		cJSON_Delete(o);
		reply_free(&r);
		if (!done)
			usleep(100000);
	}
	assert_true(done);
}

static void
merchant_dashboard_should_show_only_its_own(void **state)
{
	(void)state;
	/* In its merchant's language, French. */
	struct reply r = page(clara, "/marketplace/merchant-dashboard.html");
	assert_int_equal(r.status, 200);
	assert_has(r.body, "<h1>Boutique Clara : votre espace</h1>");
	/* The demo shop's month of orders (4 of 36 cancelled), asked of the
	 * shop. */
	assert_has(r.body, "<li class=\"kpi\" id=\"kpi-orders\"><span class=\"kpi-label\">"
	    "Commandes</span> <strong class=\"kpi-value\">32</strong></li>");
	assert_has(r.body, "id=\"chart-shop-revenue\"");
	assert_has(r.body, "<table class=\"data\" id=\"top-products\">");
	assert_has(r.body, "<dd id=\"sub-plan\">Business · 79,00 € / Mois</dd>");
	assert_null(strstr(r.body, "Bob&#39;s Bikes"));
	reply_free(&r);
	/* Another merchant's, named: still its own. */
	char url[160];
	snprintf(url, sizeof(url), "/marketplace/merchant-dashboard.html?merchant=%lld",
	    (long long)bob_id);
	r = page(clara, url);
	assert_has(r.body, "<h1>Boutique Clara : votre espace</h1>");
	reply_free(&r);
	/* An admin may look at any. */
	r = page(admin, url);
	assert_has(r.body, "<h1>Bob&#39;s Bikes: your space</h1>");
	reply_free(&r);
	/* Another merchant's ticket and invoice: not found. */
	char body[256];
	snprintf(body, sizeof(body), "{\"data\":{\"merchant\":%lld,\"subject\":\"Bob's "
	    "question\",\"description\":\"x\",\"category\":\"account\",\"priority\":\"low\"}}",
	    (long long)bob_id);
	struct reply t = request("POST", "/api/support-tickets", body);
	assert_int_equal(t.status, 201);
	cJSON *o = cJSON_Parse(t.body);
	int64_t bobs = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "id"));
	cJSON_Delete(o);
	reply_free(&t);
	snprintf(url, sizeof(url), "/marketplace/merchant-dashboard.html?view=ticket&id=%lld",
	    (long long)bobs);
	r = page(clara, url);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	r = page(clara, "/marketplace/merchant-dashboard.html?view=tickets");
	assert_null(strstr(r.body, "Bob&#39;s question"));
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/invoices?filters[merchant][$eq]=%lld",
	    (long long)bob_id);
	int64_t inv = first_id(url);
	snprintf(url, sizeof(url), "/api/invoices/%lld/pdf", (long long)inv);
	r = page(clara, url);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	/* Its own invoice's PDF, from its page's link, with its session. */
	r = page(clara, "/marketplace/merchant-dashboard.html?view=invoices");
	const char *a = strstr(r.body, "<a href=\"/api/invoices/");
	assert_non_null(a);
	snprintf(url, sizeof(url), "%.*s", (int)strcspn(a + 9, "\""), a + 9);
	reply_free(&r);
	r = page(clara, url);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers, "content-type: application/pdf"));
	assert_memory_equal(r.body, "%PDF-", 5);
	reply_free(&r);
	/* An agent has no merchant dashboard. */
	r = page(agent, "/marketplace/merchant-dashboard.html");
	assert_int_equal(r.status, 403);
	reply_free(&r);
}

static void
merchant_should_cancel_its_subscription_from_its_page(void **state)
{
	(void)state;
	char csrf[64], url[128], got[64];
	csrf_of(bob, csrf);
	struct reply r = page(bob, "/marketplace/merchant-dashboard.html");
	const char *f = strstr(r.body, "id=\"cancel-form\"");
	assert_non_null(f);
	const char *idp = strstr(f, "name=\"_id\" value=\"");
	char id[32];
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(idp + 18, "\""), idp + 18);
	reply_free(&r);
	r = post_form(bob, "/marketplace/act", "_csrf", csrf, "_route",
	    "PUT /api/subscriptions/:id/cancel", "_id", id, "_back",
	    "/marketplace/merchant-dashboard.html?view=overview", "_ok",
	    "FLASH_SUBSCRIPTION_CANCELLED", "reason", "Too expensive",
	    "immediately:bool", "false", NULL);
	assert_int_equal(r.status, 303);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/subscriptions/%s", id);
	field_of(url, "cancelAtPeriodEnd", got, sizeof(got));
	assert_string_equal(got, "true");
	r = page(bob, "/marketplace/merchant-dashboard.html?flash="
	    "FLASH_SUBSCRIPTION_CANCELLED&lang=en");
	assert_has(r.body, "Your subscription was cancelled.");
	assert_has(r.body, "<dt>Ends on</dt>");
	assert_has(r.body, "id=\"reactivate-form\"");
	reply_free(&r);
}

/* The page's language: ?lang= (kept by a cookie), else the user's own
 * (its merchant's), else Accept-Language, else English. */
static void
pages_should_speak_the_users_language(void **state)
{
	(void)state;
	char h1[64];
	static const struct {
		const char *who, *accept, *cookie, *url, *want;
	} cases[] = {
		{ "clara", NULL, NULL, "/marketplace/account.html", "fr" },
		{ "clara", "en-GB,en;q=0.8", NULL, "/marketplace/account.html", "fr" },
		{ "clara", "en", "mp_lang=en", "/marketplace/account.html", "en" },
		{ "clara", NULL, "mp_lang=en", "/marketplace/account.html?lang=fr", "fr" },
		{ "admin", NULL, NULL, "/marketplace/account.html", "en" },
		{ "admin", "fr-FR,fr;q=0.9", NULL, "/marketplace/account.html", "fr" },
		{ "admin", "fr-FR", "mp_lang=en", "/marketplace/account.html", "en" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cookie[400], accept[100];
		const char *hs[3] = { NULL, NULL, NULL };
		snprintf(cookie, sizeof(cookie), "%s%s%s", cookie_of(cases[i].who),
		    cases[i].cookie ? "; " : "", cases[i].cookie ? cases[i].cookie : "");
		hs[0] = cookie;
		if (cases[i].accept) {
			snprintf(accept, sizeof(accept), "Accept-Language: %s", cases[i].accept);
			hs[1] = accept;
		}
		struct reply r = request_full("GET", cases[i].url, NULL, 0, hs);
		snprintf(h1, sizeof(h1), "<html lang=\"%s\">", cases[i].want);
		if (r.status != 200 || strstr(r.body, h1) == NULL)
			fail_msg("case %zu: want %s, got %ld %.200s", i, h1, r.status, r.body);
		reply_free(&r);
	}
	/* The switch keeps the choice, and the page where it is. */
	struct reply r = page(clara, "/marketplace/merchant-dashboard.html?view=tickets&"
	    "lang=en");
	assert_non_null(strcasestr(r.headers, "set-cookie: mp_lang=en; Path=/; "
	    "Max-Age=31536000; Secure; SameSite=Lax"));
	assert_has(r.body, "<a href=\"?view=tickets&amp;lang=fr\" hreflang=\"fr\" "
	    "lang=\"fr\">Français</a>");
	reply_free(&r);
}

static void
api_tester_should_send_as_the_caller(void **state)
{
	(void)state;
	char csrf[64], url[64];
	csrf_of(admin, csrf);
	struct reply r = page(admin, "/marketplace/test-platform-api.html?route=GET%20"
	    "%2Fapi%2Fmerchants%2F%3Aid");
	assert_int_equal(r.status, 200);
	assert_has(r.body, "<option value=\"GET /api/merchants/:id\" selected");
	assert_has(r.body, "<option value=\"PUT /api/support-tickets/:id/assign\"");
	assert_null(strstr(r.body, "value=\"POST /api/auth/local\""));
	assert_null(strstr(r.body, "value=\"GET /marketplace/"));
	reply_free(&r);
	snprintf(url, sizeof(url), "%lld", (long long)clara_id);
	r = post_form(admin, "/marketplace/test-platform-api", "_csrf", csrf, "route",
	    "GET /api/merchants/:id", "id", url, "use", "session", NULL);
	assert_int_equal(r.status, 200);
	char want[128];
	snprintf(want, sizeof(want), "<code id=\"answer-request\">GET /api/merchants/%s</code>",
	    url);
	assert_has(r.body, want);
	assert_has(r.body, "<p id=\"answer-status\" class=\"status-200\"><strong>200</strong>"
	    " OK</p>");
	assert_has(r.body, "\t\t&quot;name&quot;:\t&quot;Boutique Clara&quot;,\n");
	reply_free(&r);
	/* As an agent: what an agent may not do is refused to it. */
	csrf_of(agent, csrf);
	r = post_form(agent, "/marketplace/test-platform-api", "_csrf", csrf, "route",
	    "POST /api/subscription-plans", "body", "{\"data\":{\"name\":\"X\",\"slug\":\"x\","
	    "\"priceCents\":1}}", "use", "session", NULL);
	assert_has(r.body, "class=\"status-403\"><strong>403</strong> Forbidden</p>");
	reply_free(&r);
	assert_int_equal(first_id("/api/subscription-plans?filters[slug][$eq]=x"), 0);
	/* With a token that is not one: 401 in the answer. */
	r = post_form(agent, "/marketplace/test-platform-api", "_csrf", csrf, "route",
	    "GET /api/users/me", "use", "token", "token", "not-a-token", NULL);
	assert_has(r.body, "class=\"status-401\"><strong>401</strong> Unauthorized</p>");
	reply_free(&r);
	/* Its own checks: a route it does not offer, an id that is not one. */
	r = post_form(agent, "/marketplace/test-platform-api", "_csrf", csrf, "route",
	    "POST /api/auth/local", "use", "session", NULL);
	assert_reply_has(r, 400, "\"path\":[\"route\"]");
	reply_free(&r);
	r = post_form(agent, "/marketplace/test-platform-api", "_csrf", csrf, "route",
	    "GET /api/merchants/:id", "id", "../users", "use", "session", NULL);
	assert_reply_has(r, 400, "\"path\":[\"id\"]");
	reply_free(&r);
	/* Merchants have no tester. */
	r = page(clara, "/marketplace/test-platform-api.html");
	assert_int_equal(r.status, 403);
	reply_free(&r);
}

/* Every page, as who sees it. */
static const struct {
	const char *who, *url;
} pages[] = {
	{ "admin", "/marketplace/platform-admin.html" },
	{ "admin", "/marketplace/platform-admin.html?view=merchants" },
	{ "admin", "/marketplace/platform-admin.html?view=subscriptions" },
	{ "admin", "/marketplace/platform-admin.html?view=invoices" },
	{ "admin", "/marketplace/platform-admin.html?view=tickets" },
	{ "admin", "/marketplace/platform-admin.html?view=backends" },
	{ "admin", "/marketplace/platform-admin.html?view=plans" },
	{ "admin", "/marketplace/platform-admin.html?view=plan&id=1" },
	{ "admin", "/marketplace/platform-admin.html?view=ticket&id=@" },
	{ "agent", "/marketplace/platform-admin.html?lang=fr" },
	{ "clara", "/marketplace/merchant-dashboard.html" },
	{ "clara", "/marketplace/merchant-dashboard.html?view=invoices&lang=fr" },
	{ "clara", "/marketplace/merchant-dashboard.html?view=tickets" },
	{ "clara", "/marketplace/merchant-dashboard.html?view=ticket&id=@" },
	{ "admin", "/marketplace/test-platform-api.html" },
	{ "admin", "/marketplace/account.html" },
	{ NULL, "/marketplace/login.html" },
	{ NULL, "/marketplace/plans.html?lang=fr" },
	{ NULL, "/marketplace/signup.html" },
};
#define NPAGES (sizeof(pages) / sizeof(pages[0]))

static const char *
cookie_of(const char *who)
{
	return who == NULL ? NULL : strcmp(who, "admin") == 0 ? admin :
	    strcmp(who, "agent") == 0 ? agent : clara;
}

/* tidy finds no error in any page (warnings about style are not
 * errors), and each weighs under 100 KB. */
static void
pages_should_be_valid_html_under_100_kb(void **state)
{
	(void)state;
	char path[512], cmd[1200];
	/* @: a ticket of Boutique Clara's. */
	int64_t ticket = open_ticket("A <b>bold</b> question & more");
	for (size_t i = 0; i < NPAGES; i++) {
		char url[256];
		const char *at = strchr(pages[i].url, '@');
		if (at)
			snprintf(url, sizeof(url), "%.*s%lld", (int)(at - pages[i].url),
			    pages[i].url, (long long)ticket);
		else
			snprintf(url, sizeof(url), "%s", pages[i].url);
		struct reply r = page(cookie_of(pages[i].who), url);
		assert_int_equal(r.status, 200);
		if (strlen(r.body) >= 100 * 1024)
			fail_msg("%s weighs %zu bytes", pages[i].url, strlen(r.body));
		snprintf(path, sizeof(path), "%s/page-%zu.html", S.var, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(r.body, f);
		fclose(f);
		reply_free(&r);
		/* tidy exits 2 on errors, 1 on warnings only. */
		snprintf(cmd, sizeof(cmd), "tidy -errors -quiet --show-warnings no %s "
		    ">%s.tidy 2>&1", path, path);
		int rc = system(cmd);
		if (!WIFEXITED(rc) || WEXITSTATUS(rc) >= 2) {
			snprintf(cmd, sizeof(cmd), "cat %s.tidy >&2", path);
			if (system(cmd) != 0)
				fprintf(stderr, "(no tidy report)\n");
			fail_msg("%s: tidy found errors", pages[i].url);
		}
	}
}

/* The last 256 KiB of the workers' log (caller frees). */
static char *
log_tail(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/log/platform.log", S.var);
	FILE *f = fopen(path, "r");
	char *b = calloc(1, 256 * 1024 + 1);
	if (f == NULL)
		return b;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size > 256 * 1024 ? size - 256 * 1024 : 0, SEEK_SET);
	size_t n = fread(b, 1, 256 * 1024, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* The time the workers took for n requests of url (from the workers' own
 * log: path, status, microseconds): the median, and the least in *least
 * (the page's own cost, the least touched by the machine's noise). */
static long
server_us(const char *cookie, const char *url, int n, long *least)
{
	char path[128];
	long t[32];
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(url, "?"), url);
	for (int i = 0; i < n; i++) {
		struct reply r = page(cookie, url);
		assert_int_equal(r.status, 200);
		reply_free(&r);
	}
	char *log = log_tail();
	/* The last n lines of this path. */
	int k = 0;
	for (char *line = log + strlen(log); line > log && k < n; ) {
		line--;
		while (line > log && line[-1] != '\n')
			line--;
		char p[256];
		int status;
		long us;
		if (sscanf(line, "%*s %*s GET %255s %d %ld", p, &status, &us) == 3 &&
		    strcmp(p, path) == 0 && status == 200)
			t[k++] = us;
	}
	free(log);
	assert_int_equal(k, n);
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (t[j] < t[i]) {
				long x = t[i];
				t[i] = t[j];
				t[j] = x;
			}
	if (least)
		*least = t[0];
	return t[k / 2];
}

/* The dashboards' pages: the ones the render tests time. */
static const struct {
	const char *who, *url;
} timed[] = {
	{ "admin", "/marketplace/platform-admin.html" },
	{ "admin", "/marketplace/platform-admin.html?view=merchants" },
	{ "admin", "/marketplace/platform-admin.html?view=tickets" },
	{ "admin", "/marketplace/platform-admin.html?view=subscriptions" },
	{ "agent", "/marketplace/platform-admin.html" },
	{ "clara", "/marketplace/merchant-dashboard.html" },
	{ "clara", "/marketplace/merchant-dashboard.html?view=tickets" },
};
#define NTIMED (sizeof(timed) / sizeof(timed[0]))
static long demo_us[NTIMED], demo_least[NTIMED];
/* A page whose work does not grow with the data: how fast the machine
 * is when each page is timed (the least of 15, its server time). */
#define REFERENCE_PAGE "/marketplace/login.html"
static long demo_ref[NTIMED];

static long
reference_us(void)
{
	long least;
	server_us(NULL, REFERENCE_PAGE, 15, &least);
	return least;
}

/* The budget is the release build's: under ASan and UBSan, which slow
 * every instruction about three times, the test allows three times it. */
static void
dashboards_should_render_in_under_20_ms(void **state)
{
	(void)state;
	const char *build = getenv("BUILD");
	long budget = build && strstr(build, "asan") ? 60000 : 20000;
	for (size_t i = 0; i < NTIMED; i++) {
		demo_ref[i] = reference_us();
		demo_us[i] = server_us(cookie_of(timed[i].who), timed[i].url, 15,
		    &demo_least[i]);
		fprintf(stderr, "render %s as %s: %ld us\n", timed[i].url, timed[i].who,
		    demo_us[i]);
		if (demo_us[i] >= budget)
			fail_msg("%s took %ld us", timed[i].url, demo_us[i]);
	}
}

/* 10,000 merchants (each subscribed) and 100,000 tickets over two years,
 * written straight into the platform's database in one transaction. */
static void
load_large_data(void)
{
	char path[512];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	static const char *const sql[] = {
		"BEGIN IMMEDIATE",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
		"INSERT INTO merchants (document_id, name, slug, email, country, status, "
		"language, created_at, updated_at, published_at) SELECT "
		"printf('load%020d', i), printf('Load merchant %d', i), printf('load-%d', i), "
		"printf('load%d@example.com', i), 'FR', CASE WHEN i % 20 = 0 THEN 'suspended' "
		"ELSE 'active' END, 'fr', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
		"printf('-%d minutes', i * 7)), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM n",
		"INSERT INTO subscriptions (document_id, merchant_id, plan_id, status, "
		"current_period_start, current_period_end, created_at, updated_at, "
		"published_at) SELECT printf('lsub%020d', m.id), m.id, 1 + m.id % 3, "
		"CASE WHEN m.id % 10 = 0 THEN 'trialing' ELSE 'active' END, "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 days'), "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+20 days'), m.created_at, "
		"m.created_at, m.created_at FROM merchants m WHERE m.slug LIKE 'load-%'",
		/* A ticket every 10 minutes: those of the last two weeks still
		 * open, waiting or in progress, the older ones answered in 2 hours,
		 * resolved in 10 and closed. */
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
		"INSERT INTO support_tickets (document_id, reference, merchant_id, subject, "
		"description, category, priority, status, first_response_at, "
		"first_response_due_at, resolved_at, closed_at, created_at, updated_at, "
		"public_updated_at, published_at) SELECT "
		"printf('ltck%020d', i), printf('LTK-%07d', i), "
		"(SELECT min(id) FROM merchants WHERE slug LIKE 'load-%') + i % 10000, "
		"printf('Load ticket %d about order %d', i, i * 3), 'Generated for the render "
		"test', CASE i % 3 WHEN 0 THEN 'technical' WHEN 1 THEN 'billing' ELSE "
		"'account' END, CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 "
		"THEN 'high' ELSE 'urgent' END, CASE WHEN i > 2016 THEN 'closed' WHEN i % 3 = 0 "
		"THEN 'open' WHEN i % 3 = 1 THEN 'in_progress' ELSE 'waiting_on_merchant' END, "
		"CASE WHEN i > 2016 OR i % 3 != 0 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
		"printf('%+d minutes', 120 - i * 10)) END, "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+d minutes', 240 - i * 10)), "
		"CASE WHEN i > 2016 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
		"printf('%+d minutes', 600 - i * 10)) END, "
		"CASE WHEN i > 2016 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
		"printf('%+d minutes', 600 - i * 10)) END, "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', i * 10)), "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', i * 10)), "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', i * 10)), "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM n",
		"INSERT INTO support_tickets_fts (rowid, subject, description) SELECT id, "
		"subject, description FROM support_tickets WHERE reference LIKE 'LTK-%'",
		"COMMIT",
	};
	char *err = NULL;
	for (size_t i = 0; err == NULL && i < sizeof(sql) / sizeof(sql[0]); i++)
		if (sqlite3_exec(db, sql[i], NULL, NULL, &err) != SQLITE_OK && err == NULL)
			err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	/* Never leave the database locked for the stack. */
	if (err)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	/* Into the database file, as a database that grew over time is: read
	 * through a WAL of 100,000 fresh rows, every page would be slower. */
	else if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, &err) !=
	    SQLITE_OK && err == NULL)
		err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	if (err)
		fail_msg("loading the large data: %s", err);
}

static void
dashboards_should_render_large_data_within_twice_the_demo_time(void **state)
{
	(void)state;
	load_large_data();
	/* The data is there. */
	struct reply r = page(admin, "/marketplace/platform-admin.html?view=merchants");
	assert_has(r.body, "<span class=\"total\">(1,000+ in all)</span>");
	assert_has(r.body, "<span>Page 1</span>");
	reply_free(&r);
	r = page(admin, "/marketplace/platform-admin.html?view=merchants&q=Load%20merchant%"
	    "209999");
	assert_has(r.body, "<td>Load merchant 9999</td>");
	assert_has(r.body, "<span class=\"total\">(1 in all)</span>");
	reply_free(&r);
	for (size_t i = 0; i < NTIMED; i++) {
		/* The first one computes what the next ones reuse while nothing
		 * changes (the overview's figures): it is reported, and bounded. */
		long cold = server_us(cookie_of(timed[i].who), timed[i].url, 1, NULL);
		fprintf(stderr, "render %s as %s with the large data, first: %ld us\n",
		    timed[i].url, timed[i].who ? timed[i].who : "anybody", cold);
		if (cold > 250000)
			fail_msg("%s took %ld us the first time", timed[i].url, cold);
		/* The least of 15 against the least of 15: a page's own cost, the
		 * least touched by the machine's noise. A third of a millisecond
		 * is at the mercy of a busy machine: a page over the bound gets
		 * up to two more rounds of 15, and the least of them all. The
		 * bound is twice the demo's; three times under ASan, where its
		 * allocator's own cost grows with the rows (up to 2.1 times
		 * there, 1.1 to 1.8 in the optimized build, in the same runs).
		 * The machine's speed moves by as much between two minutes: the
		 * bound grows as the reference page slowed since the demo's
		 * timing, measured beside each round (never shrinks). */
		long least = 0, us = 0, bound = 0, ref = 0;
		const char *build = getenv("BUILD");
		long times = build && strstr(build, "asan") ? 3 : 2;
		for (int round = 0; round < 3 && (round == 0 || least > bound); round++) {
			long l, rf = reference_us();
			us = server_us(cookie_of(timed[i].who), timed[i].url, 15, &l);
			if (round == 0 || l < least)
				least = l;
			if (round == 0 || rf < ref)
				ref = rf;
			bound = times * demo_least[i];
			if (ref > demo_ref[i] && demo_ref[i] > 0)
				bound = bound * ref / demo_ref[i];
		}
		fprintf(stderr, "render %s as %s with the large data: %ld us, at least %ld us "
		    "(demo %ld us, at least %ld us; reference page %ld us, then %ld us)\n",
		    timed[i].url, timed[i].who, us, least, demo_us[i], demo_least[i], ref,
		    demo_ref[i]);
		if (least > bound)
			fail_msg("%s took at least %ld us with the large data, %ld us with the "
			    "demo's (bound %ld us)", timed[i].url, least, demo_least[i], bound);
	}
}

/* Down last: Boutique Clara's shop stopped, its page still answers. */
static void
merchant_dashboard_should_say_its_shop_is_unavailable(void **state)
{
	(void)state;
	int64_t shop = first_id("/api/merchant-backends?filters[subdomain][$eq]="
	    "boutique-clara");
	char url[128];
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/stop", (long long)shop);
	struct reply r = request("POST", url, NULL);
	assert_int_equal(r.status, 202);
	reply_free(&r);
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld", (long long)shop);
	char got[64] = "";
	for (int i = 0; i < 100 && strcmp(got, "\"stopped\"") != 0; i++) {
		usleep(100000);
		field_of(url, "status", got, sizeof(got));
	}
	assert_string_equal(got, "\"stopped\"");
	r = page(clara, "/marketplace/merchant-dashboard.html?lang=fr");
	assert_int_equal(r.status, 200);
	assert_has(r.body, "<p class=\"notice\" role=\"status\" id=\"shop-unavailable\">Les "
	    "statistiques de votre boutique sont temporairement indisponibles");
	assert_null(strstr(r.body, "id=\"kpi-orders\""));
	assert_has(r.body, "<span class=\"state state-stopped\">Arrêtée</span>");
	reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admin_dashboard_should_show_the_api_figures),
		cmocka_unit_test(admin_tables_should_sort_filter_search_and_page),
		cmocka_unit_test(ticket_forms_should_act_through_the_api_routes),
		cmocka_unit_test(plan_and_backend_forms_should_act_through_the_api_routes),
		cmocka_unit_test(merchant_dashboard_should_show_only_its_own),
		cmocka_unit_test(merchant_should_cancel_its_subscription_from_its_page),
		cmocka_unit_test(pages_should_speak_the_users_language),
		cmocka_unit_test(api_tester_should_send_as_the_caller),
		cmocka_unit_test(pages_should_be_valid_html_under_100_kb),
		cmocka_unit_test(dashboards_should_render_in_under_20_ms),
		cmocka_unit_test(dashboards_should_render_large_data_within_twice_the_demo_time),
		cmocka_unit_test(merchant_dashboard_should_say_its_shop_is_unavailable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
