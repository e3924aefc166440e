#include "unit.h"
#include "app.h"
#include "crud.h"
#include "db.h"
#include "json.h"
#include "plans.h"
#include "query.h"
#include "merchants.h"
#include "tickets.h"
#include "users.h"

#include "platform.h"

static char dbpath[256];

/* A real database with the demo plans and one plan with tricky text. */
static int
setup(void **state)
{
	struct app *app = NULL;
	if (unit_app_open(dbpath, sizeof(dbpath), 1 << 20, &app) != 0)
		return -1;
	if (sqlite3_exec(db_handle(app_db(app)),
	    "INSERT INTO subscription_plans (document_id, name, slug, price_cents, "
	    "created_at, updated_at, active, sort_order) VALUES "
	    "('aaaaaaaaaaaaaaaaaaaaaaaa', 'O''Brien 100%_off', 'obrien', 0, "
	    "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, 9)",
	    NULL, NULL, NULL) != SQLITE_OK)
		return -1;
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

/* Runs a list request and returns the parsed answer (caller deletes). */
static cJSON *
list(struct app *app, const char *query, int *status)
{
	struct request req;
	struct response resp;
	unit_request(&req, METHOD_GET, "/api/subscription-plans", query);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	*status = resp.status;
	cJSON *o = cJSON_Parse(buf_str(&resp.body));
	resp_free(&resp);
	arena_free(&req.arena);
	return o;
}

static int
count(const cJSON *o)
{
	return cJSON_GetArraySize(cJSON_GetObjectItem(o, "data"));
}

static const char *
name_at(const cJSON *o, int i)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), i), "name"));
}

static void
query_should_apply_every_operator(void **state)
{
	static const struct { const char *q; int n; } cases[] = {
		{ "filters[slug][$eq]=starter", 1 },
		{ "filters[slug]=starter", 1 },
		{ "filters[slug][$ne]=starter", 3 },
		{ "filters[priceCents][$lt]=2900", 1 },
		{ "filters[priceCents][$lte]=2900", 2 },
		{ "filters[priceCents][$gt]=7900", 1 },
		{ "filters[priceCents][$gte]=7900", 2 },
		{ "filters[slug][$in][0]=starter&filters[slug][$in][1]=business", 2 },
		{ "filters[id][$in][0]=1&filters[id][$in][1]=3", 2 },
		{ "filters[slug][$notIn][0]=starter", 3 },
		{ "filters[name][$contains]=Brien", 1 },
		/* As Strapi on SQLite: ASCII letters of either case alike. */
		{ "filters[name][$contains]=brien", 1 },
		{ "filters[name][$eqi]=starter", 1 },
		{ "filters[name][$eq]=starter", 0 },
		{ "filters[name][$nei]=STARTER", 3 },
		{ "filters[name][$notContainsi]=R", 1 },
		{ "filters[name][$startsWithi]=bus", 1 },
		{ "filters[name][$endsWithi]=PRISE", 1 },
		{ "filters[priceCents][$between][0]=2900&filters[priceCents][$between][1]=7900",
		  2 },
		{ "filters[slug][$in]=starter", 1 },
		{ "filters[slug][$not][$eq]=starter", 3 },
		{ "filters[slug][$not]=starter", 3 },
		{ "filters[$not][slug]=starter", 3 },
		/* $ne leaves the rows without a value out, as Strapi does. */
		{ "filters[description][$ne]=x", 3 },
		{ "filters[slug][$or][0][$eq]=starter&filters[slug][$or][1][$eq]=business", 2 },
		/* $or inside $and, and deeper. */
		{ "filters[$and][0][$or][0][slug]=starter&filters[$and][0][$or][1][slug]="
		  "business&filters[$and][1][priceCents][$gt]=5000", 1 },
		{ "filters[$or][0][$and][0][active]=true&filters[$or][0][$and][1][$not][slug]="
		  "starter&filters[$or][1][slug]=starter", 3 },
		{ "filters[name][$containsi]=brien", 1 },
		{ "filters[name][$notContains]=r", 1 },
		{ "filters[name][$startsWith]=Bus", 1 },
		{ "filters[name][$endsWith]=prise", 1 },
		{ "filters[description][$null]=true", 1 },
		{ "filters[description][$null]=false", 3 },
		{ "filters[description][$notNull]=true", 3 },
		{ "filters[active][$eq]=false", 1 },
		{ "filters[active]=true", 3 },
		{ "filters[$or][0][slug]=starter&filters[$or][1][slug]=business", 2 },
		{ "filters[$and][0][priceCents][$gt]=0&filters[$and][1][active]=true", 3 },
		{ "filters[$or][0][slug]=starter&filters[$or][1][priceCents][$gt]=10000"
		  "&filters[active]=true", 2 },
		{ "filters[createdAt][$lt]=2026-06-01T00:00:00.000Z", 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		cJSON *o = list(*state, cases[i].q, &status);
		if (status != 200 || count(o) != cases[i].n)
			fail_msg("%s: status %d, %d rows, want %d", cases[i].q, status,
			    count(o), cases[i].n);
		cJSON_Delete(o);
	}
}

static void
query_should_treat_like_wildcards_as_text(void **state)
{
	int status;
	/* '%' and '_' are not patterns: only the literal text matches. */
	cJSON *o = list(*state, "filters[name][$contains]=%25_", &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 1);
	assert_string_equal(name_at(o, 0), "O'Brien 100%_off");
	cJSON_Delete(o);
	o = list(*state, "filters[name][$contains]=%25", &status);
	assert_int_equal(count(o), 1);
	cJSON_Delete(o);
}

static void
query_should_refuse_injection_in_field_names(void **state)
{
	static const char *const bad[] = {
		"filters[name;DROP TABLE subscription_plans][$eq]=1",
		"filters[name) OR 1=1 --][$eq]=1",
		"filters[nope][$eq]=1",
		"filters[name][$eq) OR (1=1][0]=1",
		"filters[name][$regex]=x",
		"filters[name][$eq][$eq]=x",
		"filters[]=x",
		"filters[name",
		"sort=name;DROP TABLE subscription_plans",
		"sort=name:asc;--",
		"sort=nope:asc",
		"sort=name:sideways",
		"sort[0]=features",
		"fields[0]=password",
		"fields=name,nope",
		"populate=owner",
		"pagination[page]=abc",
		"pagination[withCount]=maybe",
		"pagination[page]=1&pagination[start]=0",
		"pagination[offset]=3",
		"filters[priceCents][$lt]=cheap",
		"filters[active]=maybe",
		"filters[features][$contains]=x",
		"filters[active][$contains]=1",
		"unknown=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status;
		cJSON *o = list(*state, bad[i], &status);
		const cJSON *err = cJSON_GetObjectItem(o, "error");
		if (status != 400 || strcmp(cJSON_GetStringValue(
		    cJSON_GetObjectItem(err, "name")), "ValidationError") != 0)
			fail_msg("%s: status %d", bad[i], status);
		cJSON_Delete(o);
	}
	/* The table is still there and whole. */
	int status;
	cJSON *o = list(*state, "", &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 4);
	cJSON_Delete(o);
}

static void
query_should_bind_injection_values_as_text(void **state)
{
	static const char *const values[] = {
		"filters[name][$eq]=x' OR '1'='1",
		"filters[name][$eq]=x\"; DROP TABLE subscription_plans; --",
		"filters[slug][$in][0]=') OR 1=1 --",
		"filters[name][$contains]=' UNION SELECT 1,2,3 --",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int status;
		cJSON *o = list(*state, values[i], &status);
		assert_int_equal(status, 200);
		assert_int_equal(count(o), 0);
		cJSON_Delete(o);
	}
}

static void
query_should_name_the_bad_key_in_details(void **state)
{
	int status;
	cJSON *o = list(*state, "filters[nope][$eq]=1", &status);
	char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "error"));
	assert_string_equal(s, "{\"status\":400,\"name\":\"ValidationError\","
	    "\"message\":\"Invalid key nope\",\"details\":{\"key\":\"nope\","
	    "\"path\":null,\"source\":\"query\",\"param\":\"filters\"}}");
	free(s);
	cJSON_Delete(o);
	o = list(*state, "sort=nope:desc", &status);
	const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "error"), "details");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(d, "param")), "sort");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(d, "key")), "nope");
	cJSON_Delete(o);
}

static void
query_should_sort_and_paginate(void **state)
{
	int status;
	cJSON *o = list(*state, "sort=priceCents:desc,name&pagination[page]=1"
	    "&pagination[pageSize]=2", &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 2);
	assert_string_equal(name_at(o, 0), "Enterprise");
	assert_string_equal(name_at(o, 1), "Business");
	char *m = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "meta"));
	assert_string_equal(m, "{\"pagination\":{\"page\":1,\"pageSize\":2,"
	    "\"pageCount\":2,\"total\":4}}");
	free(m);
	cJSON_Delete(o);
	o = list(*state, "sort[0]=priceCents:asc&pagination[start]=1"
	    "&pagination[limit]=2", &status);
	assert_string_equal(name_at(o, 0), "Starter");
	m = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "meta"));
	assert_string_equal(m, "{\"pagination\":{\"start\":1,\"limit\":2,\"total\":4}}");
	free(m);
	cJSON_Delete(o);
	/* Sort as objects, as Strapi takes it too. */
	o = list(*state, "sort[priceCents]=desc", &status);
	assert_int_equal(status, 200);
	assert_string_equal(name_at(o, 0), "Enterprise");
	cJSON_Delete(o);
	o = list(*state, "sort[0][active]=desc&sort[1][priceCents]=asc", &status);
	assert_int_equal(status, 200);
	assert_string_equal(name_at(o, 0), "Starter");
	cJSON_Delete(o);
	o = list(*state, "sort[nope]=asc", &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	o = list(*state, "sort[name]=up", &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
}

/* "Fetch these ids": hundreds of values in one $in; the query's bounds
 * (values, keys, nesting) refuse what is past them with a 400, and the
 * largest tree allowed still answers. */
static void
query_should_take_large_lists_within_its_bounds(void **state)
{
	struct buf b = { 0 };
	int status;
	for (int i = 0; i < 600; i++)
		buf_printf(&b, "%sfilters[id][$in][%d]=%d", i ? "&" : "", i, i + 1);
	cJSON *o = list(*state, buf_str(&b), &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 4);
	cJSON_Delete(o);
	/* The most values a query binds, in a tree as deep as allowed. */
	buf_reset(&b);
	buf_puts(&b, "filters[$and][0][$or][0][$and][0][$or][0][$not][slug][$ne]=x");
	for (int i = 0; i < QUERY_MAX_BINDS - 1; i++)
		buf_printf(&b, "&filters[$and][1][id][$notIn][%d]=%d", i, 100000 + i);
	o = list(*state, buf_str(&b), &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 0);
	cJSON_Delete(o);
	buf_puts(&b, "&filters[$and][2][id][$ne]=0");
	o = list(*state, buf_str(&b), &status);
	char *e = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "error"),
	    "message"));
	assert_int_equal(status, 400);
	assert_string_equal(e, "\"Too many filter values (at most 1000)\"");
	free(e);
	cJSON_Delete(o);
	/* 250 conditions, and one more. */
	buf_reset(&b);
	for (int i = 0; i < QUERY_MAX_TERMS; i++)
		buf_printf(&b, "%sfilters[$and][%d][slug][$ne]=x%d", i ? "&" : "", i, i);
	o = list(*state, buf_str(&b), &status);
	assert_int_equal(status, 200);
	assert_int_equal(count(o), 4);
	cJSON_Delete(o);
	buf_printf(&b, "&filters[$and][%d][slug][$ne]=y", QUERY_MAX_TERMS);
	o = list(*state, buf_str(&b), &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	/* Nine levels of nesting: one too many. */
	o = list(*state, "filters[$and][0][$and][0][$and][0][$and][0][$and][0][$and][0]"
	    "[$and][0][$and][0][$and][0][slug]=x", &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	/* A key given twice, a value where conditions are. */
	o = list(*state, "filters[slug]=a&filters[slug]=b", &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	o = list(*state, "filters[$or]=x", &status);
	assert_int_equal(status, 400);
	cJSON_Delete(o);
	buf_free(&b);
}

/* Out-of-range pagination is corrected as Strapi 5 corrects it (200, not
 * 400); withCount=false answers no total and no pageCount. */
static void
query_should_correct_pagination_as_strapi_does(void **state)
{
	static const struct {
		const char *query, *meta;
		int rows;
	} cases[] = {
		{ "pagination[page]=0&pagination[pageSize]=2", "{\"pagination\":{\"page\":1,"
		    "\"pageSize\":2,\"pageCount\":2,\"total\":4}}", 2 },
		{ "pagination[page]=-3&pagination[pageSize]=-5", "{\"pagination\":{\"page\":1,"
		    "\"pageSize\":1,\"pageCount\":4,\"total\":4}}", 1 },
		{ "pagination[pageSize]=0", "{\"pagination\":{\"page\":1,\"pageSize\":1,"
		    "\"pageCount\":4,\"total\":4}}", 1 },
		{ "pagination[start]=-1&pagination[limit]=0", "{\"pagination\":{\"start\":0,"
		    "\"limit\":1,\"total\":4}}", 1 },
		{ "pagination[limit]=-7", "{\"pagination\":{\"start\":0,\"limit\":1,"
		    "\"total\":4}}", 1 },
		{ "pagination[withCount]=false&pagination[pageSize]=3",
		    "{\"pagination\":{\"page\":1,\"pageSize\":3}}", 3 },
		{ "pagination[withCount]=f&pagination[start]=2&pagination[limit]=5",
		    "{\"pagination\":{\"start\":2,\"limit\":5}}", 2 },
		{ "pagination[withCount]=1&pagination[page]=2&pagination[pageSize]=3",
		    "{\"pagination\":{\"page\":2,\"pageSize\":3,\"pageCount\":2,"
		    "\"total\":4}}", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		cJSON *o = list(*state, cases[i].query, &status);
		char *m = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "meta"));
		if (status != 200 || strcmp(m, cases[i].meta) != 0 ||
		    count(o) != cases[i].rows)
			fail_msg("%s: %d %s, %d rows", cases[i].query, status, m, count(o));
		free(m);
		cJSON_Delete(o);
	}
	int status;
	cJSON *o = list(*state, "pagination[withCount]=maybe", &status);
	char *e = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "error"));
	assert_int_equal(status, 400);
	assert_string_equal(e, "{\"status\":400,\"name\":\"ValidationError\",\"message\":"
	    "\"Invalid withCount parameter. Expected \\\"t\\\",\\\"1\\\",\\\"true\\\","
	    "\\\"false\\\",\\\"0\\\",\\\"f\\\"\",\"details\":{\"key\":\"withCount\","
	    "\"path\":null,\"source\":\"query\",\"param\":\"pagination\"}}");
	free(e);
	cJSON_Delete(o);
}

static void
query_should_cap_huge_page_sizes(void **state)
{
	int status;
	cJSON *o = list(*state, "pagination[pageSize]=100000", &status);
	assert_int_equal(status, 200);
	const cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"),
	    "pagination");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "pageSize")),
	    QUERY_MAX_PAGE_SIZE);
	cJSON_Delete(o);
	o = list(*state, "pagination[limit]=-1", &status);
	p = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"), "pagination");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "limit")),
	    QUERY_MAX_PAGE_SIZE);
	cJSON_Delete(o);
}

static void
query_should_select_only_requested_fields(void **state)
{
	int status;
	cJSON *o = list(*state, "fields[0]=name&fields[1]=priceCents&sort=id", &status);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	char *s = cJSON_PrintUnformatted(first);
	/* id and documentId always come along. */
	assert_non_null(cJSON_GetObjectItem(first, "documentId"));
	assert_int_equal(cJSON_GetArraySize(first), 4);
	assert_non_null(strstr(s, "\"name\":\"Starter\",\"priceCents\":2900"));
	free(s);
	cJSON_Delete(o);
}

static void
query_should_emit_only_whitelisted_columns_and_placeholders(void **state)
{
	struct request req;
	struct query q;
	struct qerror qe;
	(void)state;
	unit_request(&req, METHOD_GET, "/x", "filters[name][$eq]=a'b&filters"
	    "[priceCents][$in][0]=1&filters[priceCents][$in][1]=2&sort=name:desc");
	assert_int_equal(http_parse_query(&req), 0);
	assert_int_equal(query_compile(&plans_entity, &req, NULL, &q, &qe), ERR_OK);
	assert_string_equal(q.where.data, "((name = ?) AND (price_cents IN (?,?)))");
	assert_string_equal(q.order.data, "name DESC, id ASC");
	assert_int_equal(q.nbinds, 3);
	assert_string_equal(q.binds[0].s, "a'b");
	assert_int_equal(q.binds[2].i, 2);
	query_free(&q);
	arena_free(&req.arena);
}


/* A caller as the stubs of these tests see it: a merchant (7) who may not
 * read users. */
static int
see_as_merchant(void *arg, const struct entity *e, struct qsource *src)
{
	(void)arg;
	if (e == &users_entity)
		return 0;
	src->from = e->merchant_view ? e->merchant_view : e->table;
	src->scope_col = e->scope_col;
	src->scope_id = 7;
	return 1;
}

/* A populate tree as text: each node "name:field:field(children)", in
 * order, separated by commas. */
static void
pop_text(const struct qpop *p, struct buf *b)
{
	for (; p; p = p->next) {
		buf_printf(b, "%s%s", b->len && b->data[b->len - 1] != '(' ? "," : "",
		    p->rel->name);
		if (p->fields)
			for (size_t i = 0; i < p->rel->target->nfields; i++)
				if (p->fields & ((uint64_t)1 << i))
					buf_printf(b, ":%s", p->rel->target->fields[i].name);
		if (p->child) {
			buf_putc(b, '(');
			pop_text(p->child, b);
			buf_putc(b, ')');
		}
	}
}

/* Reads query against e for the stub merchant, as a list (its WHERE text)
 * or, populating, as one record (its populate tree, see pop_text), and
 * compares that with want; or, bad_key given, the error naming it. */
static void
as_merchant(const struct entity *e, int populating, const char *query,
    const char *want, const char *bad_key)
{
	struct request req;
	struct query q;
	struct qerror qe;
	struct qaccess acc = { see_as_merchant, NULL };
	struct buf b = { 0 };
	unit_request(&req, METHOD_GET, "/x", query);
	assert_int_equal(http_parse_query(&req), 0);
	enum err rc = populating ? query_one(e, &req, &acc, &q, &qe) :
	    query_compile(e, &req, &acc, &q, &qe);
	if (bad_key) {
		assert_int_equal(rc, ERR_VALIDATION);
		assert_string_equal(qe.key, bad_key);
		assert_string_equal(qe.param, populating ? "populate" : "filters");
	} else {
		assert_int_equal(rc, ERR_OK);
		pop_text(q.populate, &b);
		assert_string_equal(populating ? buf_str(&b) : q.where.data, want);
	}
	buf_free(&b);
	query_free(&q);
	arena_free(&req.arena);
}

static void
query_should_compile_relation_filters_as_scoped_subqueries(void **state)
{
	(void)state;
	/* To one, through the caller's own view of the related records, its
	 * merchant bound before the related record's conditions. */
	as_merchant(&responses_entity, 0, "filters[ticket][subject][$containsi]=x",
	    "(ticket_id IN (SELECT id FROM support_tickets_as_merchant WHERE "
	    "merchant_id = ? AND ((subject LIKE ? ESCAPE '\\'))))", NULL);
	as_merchant(&tickets_entity, 0, "filters[merchant][slug][$eq]=clara",
	    "(merchant_id IN (SELECT id FROM merchants WHERE id = ? AND ((slug = ?))))",
	    NULL);
	/* To many: never an internal note for a merchant. */
	as_merchant(&tickets_entity, 0, "filters[responses][body][$contains]=x",
	    "(id IN (SELECT ticket_id FROM ticket_responses_as_merchant AS mp_rel WHERE "
	    "merchant_id = ? AND ((body LIKE ? ESCAPE '\\'))))", NULL);
	/* The first of the other side only: a merchant's shop. */
	as_merchant(&merchants_entity, 0, "filters[backend][subdomain]=x",
	    "(id IN (SELECT merchant_id FROM merchant_backends AS mp_rel WHERE id = "
	    "(SELECT min(id) FROM merchant_backends WHERE merchant_id = "
	    "mp_rel.merchant_id) AND merchant_id = ? AND (subdomain = ?)))", NULL);
	/* Nested, and under $or. */
	as_merchant(&responses_entity, 0, "filters[$or][0][ticket][merchant][slug]"
	    "=a&filters[$or][1][body]=b",
	    "(((ticket_id IN (SELECT id FROM support_tickets_as_merchant WHERE "
	    "merchant_id = ? AND (merchant_id IN (SELECT id FROM merchants WHERE "
	    "id = ? AND (slug = ?))))) OR (body = ?)))", NULL);
	/* The relation's own column keeps its operators. */
	as_merchant(&tickets_entity, 0, "filters[merchant][$eq]=3",
	    "((merchant_id = ?))", NULL);
	as_merchant(&tickets_entity, 0, "filters[ticket][documentId][$eq]=x",
	    NULL, "ticket");
	/* What the caller may not read, it may not filter on. */
	as_merchant(&tickets_entity, 0, "filters[requester][email][$eq]=a@b.c",
	    NULL, "requester");
	as_merchant(&tickets_entity, 0, "filters[merchant][nope][$eq]=1",
	    NULL, "nope");
	as_merchant(&tickets_entity, 0, "filters[responses][internal]=true&"
	    "filters[responses][author][email]=x", NULL, "author");
	/* Without a caller, no relation is reached. */
	struct request req;
	struct query q;
	struct qerror qe;
	unit_request(&req, METHOD_GET, "/x", "filters[ticket][subject]=x");
	assert_int_equal(http_parse_query(&req), 0);
	assert_int_equal(query_compile(&responses_entity, &req, NULL, &q, &qe),
	    ERR_VALIDATION);
	assert_string_equal(qe.key, "ticket");
	query_free(&q);
	arena_free(&req.arena);
}

static void
query_should_read_every_populate_form(void **state)
{
	(void)state;
	as_merchant(&responses_entity, 1, "populate=ticket", "ticket", NULL);
	as_merchant(&responses_entity, 1, "populate[0]=ticket", "ticket", NULL);
	as_merchant(&responses_entity, 1, "populate[ticket]=true", "ticket", NULL);
	as_merchant(&responses_entity, 1, "populate[ticket][fields][0]=subject&"
	    "populate[ticket][fields][1]=status", "ticket:subject:status", NULL);
	as_merchant(&responses_entity, 1, "populate[ticket][populate][0]=merchant",
	    "ticket(merchant)", NULL);
	as_merchant(&responses_entity, 1, "populate[ticket][populate][merchant]"
	    "[fields][0]=slug", "ticket(merchant:slug)", NULL);
	as_merchant(&responses_entity, 1, "populate=ticket.merchant,ticket.responses",
	    "ticket(merchant,responses)", NULL);
	/* * is one level, of what the caller may read: not the users. */
	as_merchant(&tickets_entity, 1, "populate=*", "merchant,responses", NULL);
	as_merchant(&tickets_entity, 1, "populate[ticket]=false", "", NULL);
	as_merchant(&merchants_entity, 1, "populate=backend,supportTickets",
	    "backend,supportTickets", NULL);
	as_merchant(&merchants_entity, 1, "populate=owner", NULL, "owner");
	as_merchant(&tickets_entity, 1, "populate=requester", NULL, "requester");
	as_merchant(&tickets_entity, 1, "populate[assignee][fields][0]=email", NULL,
	    "assignee");
	as_merchant(&tickets_entity, 1, "populate=owner", NULL, "owner");
	as_merchant(&tickets_entity, 1, "populate[merchant][fields][0]=password",
	    NULL, "password");
	as_merchant(&tickets_entity, 1, "populate[merchant][sort]=name", NULL,
	    "sort");
	as_merchant(&tickets_entity, 1, "populate[merchant]=maybe", NULL,
	    "populate[merchant]");
	/* At most 4 deep and 20 relations. */
	as_merchant(&responses_entity, 1, "populate=ticket.responses.ticket."
	    "responses", "ticket(responses(ticket(responses)))", NULL);
	as_merchant(&responses_entity, 1, "populate=ticket.responses.ticket."
	    "responses.ticket", NULL, "populate");
	as_merchant(&tickets_entity, 1, "populate=merchant.subscriptions.plan."
	    "subscriptions,merchant.subscriptions.invoices.merchant,merchant.invoices."
	    "subscription.merchant,merchant.invoices.merchant.backends,merchant."
	    "supportTickets.responses.ticket,merchant.backends.merchant.invoices,"
	    "responses.ticket.merchant",
	    "merchant(subscriptions(plan(subscriptions),invoices(merchant)),invoices("
	    "subscription(merchant),merchant(backends)),supportTickets(responses(ticket)),"
	    "backends(merchant(invoices))),responses(ticket(merchant))", NULL);
	as_merchant(&tickets_entity, 1, "populate=merchant.subscriptions.plan."
	    "subscriptions,merchant.subscriptions.invoices.merchant,merchant.invoices."
	    "subscription.merchant,merchant.invoices.merchant.backends,merchant."
	    "supportTickets.responses.ticket,merchant.backends.merchant.invoices,"
	    "responses.ticket.merchant,merchant.subscriptions.merchant", NULL,
	    "merchant");
}

/* Each relation agrees with the columns it stands on: a field holding a
 * reference is a relation to one of the same name and column, to the
 * table the field names; a relation from the other side (to many, or its
 * first) is the other side of a relation to one of its target. For every content type of the routes. */
static void
relations_should_match_their_columns(void **state)
{
	(void)state;
	int checked = 0;
	for (size_t k = 0; k < platform_nroutes; k++) {
		const struct entity *e = platform_routes[k].entity;
		if (e == NULL)
			continue;
		for (size_t i = 0; i < e->nfields; i++) {
			const struct field *f = &e->fields[i];
			if (f->type != FT_REF)
				continue;
			const struct relation *r = entity_relation(e, f->name);
			if (r == NULL || r->kind != REL_ONE || strcmp(r->col, f->col) != 0 ||
			    strcmp(r->target->table, f->ref_table) != 0)
				fail_msg("%s.%s: no relation to one on %s", e->name, f->name,
				    f->col);
			checked++;
		}
		for (size_t i = 0; i < e->nrels; i++) {
			const struct relation *r = &e->rels[i];
			if (r->kind == REL_ONE) {
				int fi = entity_field(e, r->name);
				if (fi < 0 || e->fields[fi].type != FT_REF)
					fail_msg("%s.%s: no field holds it", e->name, r->name);
				continue;
			}
			if (entity_field(e, r->name) >= 0)
				fail_msg("%s.%s: a field has its name", e->name, r->name);
			const struct relation *back = NULL;
			for (size_t j = 0; j < r->target->nrels; j++)
				if (r->target->rels[j].kind == REL_ONE &&
				    r->target->rels[j].target == e &&
				    strcmp(r->target->rels[j].col, r->col) == 0)
					back = &r->target->rels[j];
			if (back == NULL)
				fail_msg("%s.%s: %s has no relation back on %s", e->name, r->name,
				    r->target->name, r->col);
			checked++;
		}
	}
	assert_true(checked >= 20);
}

static void
plan_columns_should_match_the_entity_table(void **state)
{
	/* db_plans_active's static column list must follow the field table. */
	struct buf b = { 0 };
	(void)state;
	query_columns(&plans_entity, ~(uint64_t)0, &b);
	sqlite3_stmt *st = NULL;
	struct app *app = *state;
	char sql[1024];
	snprintf(sql, sizeof(sql), "SELECT %s FROM subscription_plans "
	    "WHERE active = 1 ORDER BY sort_order, id", b.data);
	st = db_prepare(app_db(app), sql);
	assert_non_null(st);
	cJSON *a = cJSON_CreateArray();
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(a, crud_row_json(&plans_entity, ~(uint64_t)0, st));
	sqlite3_finalize(st);
	cJSON *b2 = db_plans_active(app_db(app));
	assert_true(cJSON_Compare(a, b2, 1));
	cJSON_Delete(a);
	cJSON_Delete(b2);
	buf_free(&b);
}

/* Every field type, and text with each byte cJSON escapes. */
static const struct field text_fields[] = {
	{ "id", "id", FT_ID, 0, 0, 0, NULL, NULL, NULL },
	{ "documentId", "document_id", FT_DOCID, 0, 0, 0, NULL, NULL, NULL },
	{ "a \"key\"", "s", FT_STRING, 0, 0, 0, NULL, NULL, NULL },
	{ "text", "t", FT_TEXT, 0, 0, 0, NULL, NULL, NULL },
	{ "small", "i", FT_INT, 0, 0, 0, NULL, NULL, NULL },
	{ "big", "b", FT_INT, 0, 0, 0, NULL, NULL, NULL },
	{ "negative", "n", FT_INT, 0, 0, 0, NULL, NULL, NULL },
	{ "yes", "y", FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "no", "o", FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "kind", "k", FT_ENUM, 0, 0, 0, NULL, NULL, NULL },
	{ "at", "at", FT_DATETIME, 0, 0, 0, NULL, NULL, NULL },
	{ "doc", "j", FT_JSON, 0, 0, 0, NULL, NULL, NULL },
	{ "broken", "x", FT_JSON, 0, 0, 0, NULL, NULL, NULL },
	{ "owner", "r", FT_REF, 0, 0, 0, NULL, NULL, NULL },
	{ "none", "z", FT_STRING, 0, 0, 0, NULL, NULL, NULL },
	{ "secret", "p", FT_STRING, F_PRIVATE, 0, 0, NULL, NULL, NULL },
};
static const struct entity text_entity = {
	.name = "texts", .table = "texts", .fields = text_fields,
	.nfields = sizeof(text_fields) / sizeof(text_fields[0]),
};

static void
row_text_should_print_as_the_record_tree(void **state)
{
	(void)state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	/* The columns in field order, the private one left out. */
	const char *sql = "SELECT 7, 'doc1', 'a\"b\\c/' || char(1, 8, 9, 10, 12, "
	    "13, 31, 127, 233) || ' 日本 </script>', '', 42, 9007199254740993, "
	    "-9007199254740991, 1, 0, 'open', '2026-11-26T16:08:49.064Z', "
	    "'{ \"a\" : [1, 2.5, -3, \"x\\u0001\", 1e300, 12345678901234567890], "
	    "\"b\": {} }', '{oops', 3, NULL";
	for (int all = 0; all < 2; all++) {
		/* All fields, then some (id and documentId always). */
		uint64_t fields = all ? ~(uint64_t)0 : (1u << 2) | (1u << 5) | (1u << 11);
		struct buf cols = { 0 }, text = { 0 };
		query_columns(&text_entity, fields, &cols);
		sqlite3_stmt *st = NULL;
		char q[1024];
		if (all)
			snprintf(q, sizeof(q), "%s", sql);
		else
			snprintf(q, sizeof(q), "SELECT 7, 'doc1', 'a\"b', "
			    "-9223372036854775807 - 1, '[true,false,null]'");
		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		crud_row_write(&text_entity, fields, st, &text);
		cJSON *tree = crud_row_json(&text_entity, fields, st);
		struct buf printed = { 0 };
		json_put_value(&printed, tree);
		assert_string_equal(text.data, printed.data);
		if (all)
			assert_non_null(strstr(text.data, "\"a \\\"key\\\"\":"
			    "\"a\\\"b\\\\c/\\u0001\\b\\t\\n\\f\\r\\u001f\x7f\xc3\xa9"
			    " 日本 </script>\",\"text\":\"\",\"small\":42,"
			    "\"big\":9.00719925474099e+15,\"negative\":-9007199254740991,"));
		else
			assert_string_equal(text.data, "{\"id\":7,\"documentId\":\"doc1\","
			    "\"a \\\"key\\\"\":\"a\\\"b\",\"big\":-9.2233720368547758e+18,"
			    "\"doc\":[true,false,null]}");
		cJSON_Delete(tree);
		sqlite3_finalize(st);
		buf_free(&printed);
		buf_free(&text);
		buf_free(&cols);
	}
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_should_apply_every_operator),
		cmocka_unit_test(query_should_treat_like_wildcards_as_text),
		cmocka_unit_test(query_should_refuse_injection_in_field_names),
		cmocka_unit_test(query_should_bind_injection_values_as_text),
		cmocka_unit_test(query_should_name_the_bad_key_in_details),
		cmocka_unit_test(query_should_sort_and_paginate),
		cmocka_unit_test(query_should_cap_huge_page_sizes),
		cmocka_unit_test(query_should_correct_pagination_as_strapi_does),
		cmocka_unit_test(query_should_take_large_lists_within_its_bounds),
		cmocka_unit_test(query_should_select_only_requested_fields),
		cmocka_unit_test(query_should_emit_only_whitelisted_columns_and_placeholders),
		cmocka_unit_test(query_should_compile_relation_filters_as_scoped_subqueries),
		cmocka_unit_test(query_should_read_every_populate_form),
		cmocka_unit_test(relations_should_match_their_columns),
		cmocka_unit_test(plan_columns_should_match_the_entity_table),
		cmocka_unit_test(row_text_should_print_as_the_record_tree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
