/*
 * The API tester, /marketplace/test-platform-api.html: pick a route of the
 * route table, fill its :id, a query and a JSON body, send it with the
 * current session or an API token, and read the status, the headers and
 * the formatted answer. The request goes through the same dispatcher as
 * any other (app_handle), with the caller's own credentials, so it can do
 * nothing the caller could not; it works without JavaScript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "msg.h"
#include "page.h"
#include "pages.h"
#include "views.h"

#define TESTER_BODY_MAX	(64 * 1024)

/* Routes the tester offers: the API's (/api/), but signing in (its own
 * rate limit lives in nginx, which a request from here would not pass). */
static int
offered(const struct route *r)
{
	return strncmp(r->pattern, "/api/", 5) == 0 &&
	    strcmp(r->pattern, "/api/auth/local") != 0;
}

/* The index of the route named "METHOD /pattern" in def (only one the
 * tester offers when offered_only), or -1. */
static int
route_named(const struct app_def *def, const char *name, int offered_only)
{
	for (size_t i = 0; name && i < def->nroutes; i++) {
		char value[256];
		snprintf(value, sizeof(value), "%s %s", http_method_name(def->routes[i].method),
		    def->routes[i].pattern);
		if (strcmp(value, name) == 0 && (!offered_only || offered(&def->routes[i])))
			return (int)i;
	}
	return -1;
}

static const char *
role_names(const char *lang, unsigned roles, char *out, size_t n)
{
	static const struct { unsigned bit; const char *key; } names[] = {
		{ ROLE_ANON, "TESTER_ANYBODY" }, { ROLE_ADMIN, "ROLE_ADMIN" },
		{ ROLE_AGENT, "ROLE_AGENT" }, { ROLE_MERCHANT, "ROLE_MERCHANT" },
	};
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (roles & names[i].bit)
			snprintf(out + strlen(out), n - strlen(out), "%s%s", *out ? ", " : "",
			    msg(lang, names[i].key));
	return out;
}

/* The tester's page: the routes, the form as it was sent, and the answer
 * when there is one (status 0: none). */
static enum err
tester_page(struct ctx *c, int chosen, const struct request *sent,
    const struct response *got)
{
	const char *lang = page_lang(c);
	const struct app_def *def = app_def(c->app);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "TESTER_TITLE"));
	render_set(d, "CSRF", c->caller.csrf);
	for (size_t i = 0; i < def->nroutes; i++) {
		const struct route *r = &def->routes[i];
		if (!offered(r))
			continue;
		char value[256], roles[128];
		struct render_dict *o = render_section(d, "ROUTE");
		snprintf(value, sizeof(value), "%s %s", http_method_name(r->method), r->pattern);
		render_set(o, "VALUE", value);
		render_set(o, "SUMMARY", r->summary);
		render_set(o, "ROLES", role_names(lang, r->roles, roles, sizeof(roles)));
		if ((int)i == chosen)
			render_show(o, "SELECTED");
	}
	const char *v;
	render_set(d, "ID", (v = ctx_form(c, "id")) ? v : "");
	render_set(d, "QUERY", (v = ctx_form(c, "query")) ? v : "");
	render_set(d, "BODY", (v = ctx_form(c, "body")) ? v : "");
	const char *use = ctx_form(c, "use");
	if (use && strcmp(use, "token") == 0)
		render_show(d, "USE_TOKEN");
	else
		render_show(d, "USE_SESSION");
	if (got && got->status > 0) {
		struct render_dict *a = render_section(d, "ANSWER");
		char line[1200];
		snprintf(line, sizeof(line), "%s %s%s%s", http_method_name(sent->method),
		    sent->path, *sent->query ? "?" : "", sent->query);
		render_set(a, "REQUEST", line);
		render_set_int(a, "STATUS", got->status);
		render_set(a, "REASON", http_reason(got->status));
		struct buf h = { 0 };
		if (got->content_type)
			buf_printf(&h, "Content-Type: %s\n", got->content_type);
		buf_append(&h, got->headers.data ? got->headers.data : "", got->headers.len);
		/* Header lines end with CRLF: shown as lines. */
		struct buf clean = { 0 };
		for (size_t i = 0; i < h.len; i++)
			if (h.data[i] != '\r')
				buf_putc(&clean, h.data[i]);
		render_set(a, "HEADERS", buf_str(&clean));
		buf_free(&h);
		buf_free(&clean);
		cJSON *j = got->content_type && strncmp(got->content_type,
		    "application/json", 16) == 0 ? cJSON_ParseWithLength(got->body.data ?
		    got->body.data : "", got->body.len) : NULL;
		char *pretty = j ? cJSON_Print(j) : NULL;
		if (pretty)
			render_set(a, "ANSWER_BODY", pretty);
		else if (got->content_type && strncmp(got->content_type, "application/pdf",
		    15) == 0)
			render_set(a, "ANSWER_BODY", msg(lang, "TESTER_BINARY"));
		else {
			struct buf t = { 0 };
			buf_append(&t, got->body.data ? got->body.data : "",
			    got->body.len > 65536 ? 65536 : got->body.len);
			render_set(a, "ANSWER_BODY", buf_str(&t));
			buf_free(&t);
		}
		free(pretty);
		cJSON_Delete(j);
	}
	return page_render(c, "tester.tpl", d, 200);
}

enum err
h_page_tester(struct ctx *c)
{
	return tester_page(c, route_named(app_def(c->app), http_param(c->req, "route"), 1),
	    NULL, NULL);
}

enum err
h_form_tester(struct ctx *c)
{
	const struct app_def *def = app_def(c->app);
	const char *route = ctx_form(c, "route"), *id = ctx_form(c, "id");
	const char *query = ctx_form(c, "query"), *body = ctx_form(c, "body");
	const char *use = ctx_form(c, "use"), *token = ctx_form(c, "token");
	int chosen = route_named(def, route, 1);
	/* What the form says, checked before anything is sent. */
	if (chosen < 0)
		verr_add(&c->ve, "route", "route must be a route of the API", NULL);
	const struct route *r = chosen >= 0 ? &def->routes[chosen] : NULL;
	int wants_id = r && strstr(r->pattern, ":id") != NULL;
	if (wants_id)
		view_record_id(c, id ? id : "");	/* "" is refused too */
	if (query && (strlen(query) > 2000 || !valid_text(query, 0) ||
	    strchr(query, '#') != NULL))
		verr_add(&c->ve, "query", "query must be a query string of at most 2000 "
		    "characters", NULL);
	if (body && strlen(body) > TESTER_BODY_MAX)
		verr_add(&c->ve, "body", "body must be at most 64 KiB", NULL);
	int by_token = use && strcmp(use, "token") == 0;
	if (by_token && (token == NULL || *token == '\0' || strlen(token) > 2048 ||
	    !valid_text(token, 0)))
		verr_add(&c->ve, "token", "token must be an API token or a JWT", NULL);
	if (c->ve.n > 0)
		return ERR_VALIDATION;

	struct request in = { 0 };
	struct response out;
	resp_init(&out);
	in.method = r->method;
	if (wants_id) {
		const char *at = strstr(r->pattern, ":id");
		in.path = arena_printf(&in.arena, "%.*s%s%s", (int)(at - r->pattern),
		    r->pattern, id, at + 3);
	} else
		in.path = arena_strdup(&in.arena, r->pattern);
	in.query = arena_strdup(&in.arena, query && *query == '?' ? query + 1 :
	    query ? query : "");
	in.request_id = c->req->request_id;
	/* The caller's own credentials: its token, or its session with its
	 * CSRF token. */
	if (by_token)
		http_add_header(&in, "authorization", arena_printf(&in.arena, "Bearer %s",
		    token));
	else {
		const char *cookie = http_header(c->req, "cookie");
		if (cookie)
			http_add_header(&in, "cookie", cookie);
		http_add_header(&in, "x-csrf-token", c->caller.csrf);
	}
	if (body && *body && r->method != METHOD_GET && r->method != METHOD_DELETE) {
		in.body = arena_strdup(&in.arena, body);
		in.body_len = strlen(body);
		http_add_header(&in, "content-type", "application/json");
	} else
		in.body = "";
	app_handle(c->app, &in, &out);
	enum err rc = tester_page(c, chosen, &in, &out);
	resp_free(&out);
	arena_free(&in.arena);
	return rc;
}
