/*
 * Forms that act through the API's own routes: a dashboard's form posts
 * to POST /marketplace/act with the route it means, and the route's own
 * handler runs, with the route's own roles, checks, transaction and audit,
 * so a page can do nothing the API would refuse, and both say the same.
 * Success goes back to the page (303) with a message; an error shows the
 * page again with the error beside it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "json.h"
#include "page.h"

#define ACT_ID_MAX	64

/* Finds the API route named "METHOD /pattern" (never a page or a form).
 * Returns it, or NULL. */
static const struct route *
target_of(const struct app_def *def, const char *name)
{
	const char *sp = name ? strchr(name, ' ') : NULL;
	if (sp == NULL)
		return NULL;
	char method[16];
	size_t n = (size_t)(sp - name);
	if (n >= sizeof(method))
		return NULL;
	memcpy(method, name, n);
	method[n] = '\0';
	enum http_method m = http_method_parse(method);
	for (size_t i = 0; i < def->nroutes; i++) {
		const struct route *r = &def->routes[i];
		if (r->method == m && strcmp(r->pattern, sp + 1) == 0 &&
		    !(r->flags & (ROUTE_PAGE | ROUTE_FORM)) && m != METHOD_GET)
			return r;
	}
	return NULL;
}

/* Returns 1 when s is all digits (a JSON integer we can take). */
static int
digits(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0' || strlen(s) > 15)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* The JSON value of form value v for a member: typed by its name's suffix
 * when it has one (":bool", ":int", ":json", or ":lines" for an array of
 * a text area's lines), else by the route's content type's field of that
 * name, else a string. Values that do not
 * read as their type stay strings, for the route to refuse by name. An
 * empty value is null for a nullable field and absent for a typed one
 * (returns NULL). */
static cJSON *
value_of(const struct entity *e, const char *name, size_t namelen, const char *v)
{
	enum ftype t = FT_STRING;
	int nullable = 0, typed = 0;
	char field[64];
	if (namelen >= sizeof(field))
		namelen = sizeof(field) - 1;
	memcpy(field, name, namelen);
	field[namelen] = '\0';
	int i = e ? entity_field(e, field) : -1, lines = 0;
	if (name[namelen] == ':') {
		const char *suffix = name + namelen + 1;
		lines = strcmp(suffix, "lines") == 0;
		t = strcmp(suffix, "bool") == 0 ? FT_BOOL : strcmp(suffix, "int") == 0 ?
		    FT_INT : strcmp(suffix, "json") == 0 || lines ? FT_JSON : FT_STRING;
	} else if (i >= 0) {
		t = e->fields[i].type;
		nullable = (e->fields[i].flags & F_NULLABLE) != 0;
	}
	if (lines) {
		/* One item per line of a text area, blank lines left out. */
		cJSON *a = cJSON_CreateArray();
		const char *p = v;
		while (*p) {
			size_t n = strcspn(p, "\r\n");
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			const char *s0 = p;
			while (n > 0 && (*s0 == ' ' || *s0 == '\t'))
				s0++, n--;
			if (n > 0) {
				char *item = strndup(s0, n);
				cJSON_AddItemToArray(a, cJSON_CreateString(item));
				free(item);
			}
			p = s0 + n;
			p += strcspn(p, "\r\n");
			p += strspn(p, "\r\n");
		}
		return a;
	}
	typed = t == FT_BOOL || t == FT_INT || t == FT_ID || t == FT_REF || t == FT_JSON;
	if (*v == '\0')
		return nullable ? cJSON_CreateNull() : typed ? NULL : cJSON_CreateString("");
	switch (t) {
	case FT_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
			return cJSON_CreateTrue();
		if (strcmp(v, "false") == 0)
			return cJSON_CreateFalse();
		break;
	case FT_INT:
	case FT_ID:
	case FT_REF:
		if (digits(v))
			return cJSON_CreateNumber((double)strtoll(v, NULL, 10));
		break;
	case FT_JSON: {
		cJSON *j = cJSON_Parse(v);
		if (j)
			return j;
		break;
	}
	default:
		break;
	}
	return cJSON_CreateString(v);
}

/* The route's body from the form: every field but those starting with
 * '_', a checkbox left unticked sent as "false" by a hidden field of the
 * same name before it (the last value wins). */
static cJSON *
body_of(const struct ctx *c, const struct entity *e)
{
	cJSON *data = cJSON_CreateObject();
	for (size_t i = 0; i < c->nform; i++) {
		const char *k = c->form[i].key;
		if (*k == '_' || *k == '\0')
			continue;
		size_t n = strcspn(k, ":");
		char member[64];
		if (n >= sizeof(member))
			continue;
		memcpy(member, k, n);
		member[n] = '\0';
		cJSON *v = value_of(e, k, n, c->form[i].val);
		cJSON_DeleteItemFromObjectCaseSensitive(data, member);
		if (v)
			cJSON_AddItemToObject(data, member, v);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "data", data);
	return o;
}

int
act_back_valid(const char *back)
{
	if (back == NULL || strncmp(back, "/marketplace/", 13) != 0 ||
	    strlen(back) > 512)
		return 0;
	for (const char *p = back; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/-_.?&=%:[]$", *p)) ||
		    (p[0] == '/' && p[1] == '/'))
			return 0;
	return strstr(back, "..") == NULL;
}

/* Shows page back again (a GET page route of the table) with the error
 * rc of the action in it, with its status. */
static enum err
show_again(struct ctx *c, const char *back, enum err rc)
{
	const struct app_def *def = app_def(c->app);
	char path[600], id[ACT_ID_MAX];
	enum err e = ERR_OK;
	unsigned allow;
	snprintf(path, sizeof(path), "%s", back);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	int r = router_match(def->routes, def->nroutes, METHOD_GET, path, id, sizeof(id),
	    &e, &allow);
	if (r < 0 || !(def->routes[r].flags & ROUTE_PAGE) ||
	    !(def->routes[r].roles & c->caller.role))
		return rc;
	/* The page reads its own query, not the form's. */
	struct kv *params = NULL;
	size_t n = 0;
	if (q && http_parse_pairs(&c->req->arena, q, &params, &n) != 0)
		return rc;
	c->req->params = params;
	c->req->nparams = n;
	c->req->method = METHOD_GET;
	c->req->path = arena_strdup(&c->req->arena, path);
	c->req->query = q ? arena_strdup(&c->req->arena, q) : "";
	c->route = &def->routes[r];
	c->id = id[0] ? arena_strdup(&c->req->arena, id) : NULL;
	buf_reset(&c->resp->body);
	c->resp->status = 200;
	enum err pe = c->route->handler(c);
	if (pe != ERR_OK)
		return rc;
	if (c->resp->status == 200)
		c->resp->status = err_status(rc);
	return ERR_OK;
}

/* The words of an action's error: the kind in the page's language, then
 * the fields at fault, then what the route said (in English). */
static void
error_words(struct ctx *c, enum err rc, struct buf *out)
{
	const char *lang = page_lang(c);
	char m[256] = "";
	const char *key = rc == ERR_VALIDATION ? "FLASH_ERROR_VALIDATION" :
	    rc == ERR_CONFLICT ? "FLASH_ERROR_CONFLICT" :
	    rc == ERR_NOT_FOUND ? "FLASH_ERROR_NOT_FOUND" :
	    rc == ERR_FORBIDDEN ? "FLASH_ERROR_FORBIDDEN" : "FLASH_ERROR_OTHER";
	buf_puts(out, msg(lang, key));
	if (rc == ERR_VALIDATION && c->ve.n > 0) {
		cJSON *details = verr_take(&c->ve, m, sizeof(m));
		const cJSON *e;
		int first = 1;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(details, "errors")) {
			const char *msgtext = cJSON_GetStringValue(cJSON_GetObjectItem(e,
			    "message"));
			buf_printf(out, "%s%s", first ? " " : "; ", msgtext ? msgtext : "");
			first = 0;
		}
		cJSON_Delete(details);
	} else if (err_status(rc) < 500) {
		const char *said = c->err_msg ? c->err_msg : err_message(rc);
		if (said && *said)
			buf_printf(out, " %s", said);
	}
}

enum err
h_form_act(struct ctx *c)
{
	const struct app_def *def = app_def(c->app);
	const char *back = ctx_form(c, "_back"), *ok = ctx_form(c, "_ok");
	const char *id = ctx_form(c, "_id");
	const struct route *t = target_of(def, ctx_form(c, "_route"));
	if (t == NULL) {
		verr_add(&c->ve, "_route", "_route must name an API route that changes "
		    "something (\"PUT /api/x/:id\")", NULL);
		return ERR_VALIDATION;
	}
	if (!act_back_valid(back)) {
		verr_add(&c->ve, "_back", "_back must be a page of /marketplace/", NULL);
		return ERR_VALIDATION;
	}
	if (ok && (strncmp(ok, "FLASH_", 6) != 0 || strcmp(msg(NULL, ok), ok) == 0)) {
		verr_add(&c->ve, "_ok", "_ok must be a FLASH_ message of the catalogue",
		    NULL);
		return ERR_VALIDATION;
	}
	if (strstr(t->pattern, ":id") && (id == NULL || *id == '\0' ||
	    strlen(id) >= ACT_ID_MAX)) {
		verr_add(&c->ve, "_id", "_id must name the record", NULL);
		return ERR_VALIDATION;
	}
	/* The route's own rules: its roles, tokens, merchants' states. */
	c->route = t;
	c->id = strstr(t->pattern, ":id") ? id : NULL;
	enum err rc = app_authorize(c);
	if (rc == ERR_OK && (t->flags & (ROUTE_BODY | ROUTE_BODY_OPT)))
		c->body = body_of(c, t->entity);
	if (rc == ERR_OK)
		rc = t->handler(c);
	if (rc == ERR_OK && c->resp->status < 400) {
		char to[700];
		snprintf(to, sizeof(to), "%s%s%s%s", back, strchr(back, '?') ? "&" : "?",
		    ok ? "flash=" : "", ok ? ok : "");
		size_t len = strlen(to);
		if (to[len - 1] == '?' || to[len - 1] == '&')
			to[len - 1] = '\0';
		page_redirect(c, arena_strdup(&c->req->arena, to));
		return ERR_OK;
	}
	if (rc == ERR_OK)	/* a handler that answered an error itself */
		rc = c->resp->status == 404 ? ERR_NOT_FOUND : c->resp->status == 409 ?
		    ERR_CONFLICT : c->resp->status == 403 ? ERR_FORBIDDEN :
		    ERR_VALIDATION;
	if (err_status(rc) >= 500)
		return rc;
	struct buf words = { 0 };
	error_words(c, rc, &words);
	c->flash_error = arena_strdup(&c->req->arena, buf_str(&words));
	buf_free(&words);
	return show_again(c, back, rc);
}
