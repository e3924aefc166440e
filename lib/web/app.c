#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "idem.h"
#include "json.h"
#include "metrics.h"
#include "page.h"
#include "query.h"
#include "valid.h"

#define APP_CACHE_SLOTS	64
#define APP_CACHE_KEY	512
#define ID_MAX		64
#define APP_GROUP_MAX	64	/* requests in one group commit */

/* A rendered answer of a ROUTE_CACHE route, valid while the database's
 * change stamp is unchanged. */
struct cache_slot {
	char		 key[APP_CACHE_KEY];
	uint64_t	 stamp;
	int		 status;
	const char	*content_type;
	struct buf	 body;
	uint64_t	 used;
};

struct app {
	const struct app_def *def;
	struct db	*db;
	struct cache_slot cache[APP_CACHE_SLOTS];
	uint64_t	 tick;
	int64_t		 group_t0;	/* when the group's transaction began */
};

enum err
app_open(const struct app_def *def, struct app **out)
{
	const struct config *cfg = config();
	json_init();
	struct app *app = xcalloc(1, sizeof(*app));
	app->def = def;
	if (def->sign_in && cfg->jwt.len < 32) {
		fprintf(stderr, "no JWT key (PLATFORM_JWT_SECRET_FILE): refusing to "
		    "start\n");
		free(app);
		*out = NULL;
		return ERR_INTERNAL;
	}
	char why[200];
	if (msg_use(def->langs, def->nlangs, why, sizeof(why)) != 0) {
		fprintf(stderr, "message catalogue refused: %s\n", why);
		free(app);
		*out = NULL;
		return ERR_INTERNAL;
	}
	if (db_open(cfg->db_path, &app->db) != ERR_OK ||
	    db_migrate(app->db, def->schema) != ERR_OK) {
		app_close(app);
		*out = NULL;
		return ERR_DB;
	}
	/* The requests' counters, beside the database, for its route table. */
	char mpath[4096];
	uint64_t fp = TEXT_HASH_START;
	for (size_t i = 0; i < def->nroutes; i++) {
		fp = text_hash(fp, http_method_name(def->routes[i].method));
		fp = text_hash(fp, def->routes[i].pattern);
		fp = text_hash(fp, "\n");
	}
	if (snprintf(mpath, sizeof(mpath), "%s-metrics", cfg->db_path) <
	    (int)sizeof(mpath))
		metrics_open(mpath, fp);
	*out = app;
	return ERR_OK;
}

void
app_close(struct app *app)
{
	if (app == NULL)
		return;
	for (size_t i = 0; i < APP_CACHE_SLOTS; i++)
		buf_free(&app->cache[i].body);
	metrics_close();
	db_close(app->db);
	free(app);
}

const struct app_def *
app_def(struct app *app)
{
	return app->def;
}

struct db *
app_db(struct app *app)
{
	return app->db;
}

const char *
ctx_form(const struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nform; i++)
		if (strcmp(c->form[i].key, name) == 0)
			return c->form[i].val;
	return NULL;
}

void
ctx_error(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->err_msg = arena_strdup(&c->req->arena, msg);
}

/* Compares path with a pattern segment by segment; a ":id" segment takes
 * any non-empty segment, copied into id. */
static int
path_match(const char *pattern, const char *path, char *id, size_t idsz)
{
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == ':') {
			size_t n = strcspn(s, "/");
			if (n == 0 || n >= idsz)
				return 0;
			memcpy(id, s, n);
			id[n] = '\0';
			p += strcspn(p, "/");
			s += n;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

int
router_match(const struct route *routes, size_t n, enum http_method method,
    const char *path, char *id, size_t idsz, enum err *e, unsigned *allow)
{
	char tmp[ID_MAX], trimmed[512];
	if (method == METHOD_HEAD)
		method = METHOD_GET;
	*allow = 0;
	id[0] = '\0';
	/* A trailing slash names the same route, as in Strapi. */
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/' && path[len - 2] != '/' &&
	    len < sizeof(trimmed)) {
		memcpy(trimmed, path, len - 1);
		trimmed[len - 1] = '\0';
		path = trimmed;
	}
	for (size_t i = 0; i < n; i++) {
		tmp[0] = '\0';
		if (!path_match(routes[i].pattern, path, tmp, sizeof(tmp)))
			continue;
		if (routes[i].method == method) {
			snprintf(id, idsz, "%s", tmp);
			return (int)i;
		}
		*allow |= 1u << routes[i].method;
	}
	*e = *allow ? ERR_METHOD : ERR_NOT_FOUND;
	return -1;
}

enum err
h_health(struct ctx *c)
{
	int v = db_schema_version(c->db);
	cJSON *o = cJSON_CreateObject();
	int ok = v == db_schema_latest(app_def(c->app)->schema);
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "error");
	cJSON_AddStringToObject(o, "database", v >= 0 ? "ok" : "unreachable");
	cJSON_AddNumberToObject(o, "schemaVersion", v);
	c->resp->status = ok ? 200 : 503;
	json_write(c->resp, o);
	cJSON_Delete(o);
	return ERR_OK;
}

static struct cache_slot *
cache_find(struct app *app, const char *key)
{
	for (size_t i = 0; i < APP_CACHE_SLOTS; i++)
		if (app->cache[i].used && strcmp(app->cache[i].key, key) == 0)
			return &app->cache[i];
	return NULL;
}

static void
cache_put(struct app *app, const char *key, uint64_t stamp,
    const struct response *resp)
{
	struct cache_slot *s = cache_find(app, key);
	if (s == NULL) {
		s = &app->cache[0];
		for (size_t i = 1; i < APP_CACHE_SLOTS; i++)
			if (app->cache[i].used < s->used)
				s = &app->cache[i];
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	s->stamp = stamp;
	s->status = resp->status;
	s->content_type = resp->content_type;
	buf_reset(&s->body);
	buf_append(&s->body, buf_str(&resp->body), resp->body.len);
	s->used = ++app->tick;
}

/* Reads and checks the JSON body of a route that takes one. */
static enum err
read_body(struct ctx *c)
{
	const char *ct = http_header(c->req, "content-type");
	const char *why = NULL;
	if (c->req->body_len > config()->max_body)
		return ERR_TOO_LARGE;
	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		c->err_msg = "Content-Type must be application/json";
		return ERR_UNSUPPORTED_MEDIA;
	}
	if (c->req->body_len == 0) {
		c->err_msg = "Missing \"data\" payload in the request body";
		return ERR_VALIDATION;
	}
	enum err rc = json_parse_body(c->req->body, c->req->body_len, &c->body, &why);
	if (rc != ERR_OK)
		c->err_msg = why;
	return rc;
}

/* Reads an HTML form body (application/x-www-form-urlencoded). */
static enum err
read_form(struct ctx *c)
{
	const char *ct = http_header(c->req, "content-type");
	if (c->req->body_len > config()->max_body)
		return ERR_TOO_LARGE;
	/* An empty body (a bare button) needs no content type. */
	if ((ct == NULL && c->req->body_len > 0) ||
	    (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)) {
		c->err_msg = "Content-Type must be application/x-www-form-urlencoded";
		return ERR_UNSUPPORTED_MEDIA;
	}
	if (strlen(c->req->body) != c->req->body_len ||
	    http_parse_pairs(&c->req->arena, c->req->body, &c->form, &c->nform) != 0) {
		c->err_msg = "Invalid form body";
		return ERR_VALIDATION;
	}
	return ERR_OK;
}

enum err
app_authorize(struct ctx *c)
{
	const struct caller *cl = &c->caller;
	int safe = c->req->method == METHOD_GET || c->req->method == METHOD_HEAD;
	if ((c->route->flags & ROUTE_LOOPBACK) && metrics_loopback(c->req->remote_addr))
		return ERR_OK;
	if (!(c->route->roles & cl->role)) {
		if (cl->role != ROLE_ANON)
			return ERR_FORBIDDEN;
		if (c->route->flags & ROUTE_PAGE) {
			/* A page for signed-in people: to the sign-in page. */
			c->resp->status = 303;
			c->resp->content_type = NULL;
			resp_header(c->resp, "Location", "/marketplace/login.html");
			return ERR_OK;
		}
		/* Nobody signed in where the public may not go: Strapi's 403.
		 * A credential that is bad or expired was a 401 already. */
		return ERR_FORBIDDEN;
	}
	if ((c->route->flags & ROUTE_USERS_ONLY) && cl->via == AUTH_TOKEN) {
		c->err_msg = "API tokens may not manage users or tokens";
		return ERR_FORBIDDEN;
	}
	if (cl->read_only && !safe) {
		c->err_msg = "This API token is read-only";
		return ERR_FORBIDDEN;
	}
	if (cl->role == ROLE_MERCHANT && cl->merchant_state != MERCHANT_ACTIVE &&
	    !safe) {
		unsigned ok = cl->merchant_state == MERCHANT_SUSPENDED ?
		    ROUTE_SUSPENDED_OK | ROUTE_CLOSED_OK : ROUTE_CLOSED_OK;
		if (!(c->route->flags & ok)) {
			c->err_msg = cl->merchant_state == MERCHANT_SUSPENDED ?
			    "This merchant account is suspended: it may read its records, "
			    "write to support and cancel its subscription" :
			    "This merchant account is closed: its records can be read, "
			    "not changed";
			return ERR_FORBIDDEN;
		}
	}
	return ERR_OK;
}

static void
send_error(struct ctx *c, enum err e)
{
	char msg[512];
	cJSON *details = c->err_details;
	const char *m = c->err_msg;
	c->err_details = NULL;
	if (e == ERR_VALIDATION && c->ve.n > 0) {
		cJSON_Delete(details);
		details = verr_take(&c->ve, msg, sizeof(msg));
		m = msg;
	}
	/* A 500 never says more than its name. */
	if (err_status(e) >= 500) {
		m = NULL;
		cJSON_Delete(details);
		details = NULL;
	}
	json_send_error(c->resp, e, m, details);
}

/* Runs a POST that carries an Idempotency-Key: the lookup, the handler
 * and the stored answer share one transaction, so concurrent duplicates
 * serialise and the effect and its record commit together. */
static enum err
run_idempotent(struct ctx *c, const char *key)
{
	char hash[65], scope[48];
	enum idem_state state;
	enum err rc;
	if (!idem_key_valid(key)) {
		c->err_msg = "Idempotency-Key must be 1 to 255 visible ASCII characters";
		return ERR_VALIDATION;
	}
	idem_hash(c->req, hash);
	/* Keys belong to their caller: another caller's key is another key. */
	if (c->caller.token_id)
		snprintf(scope, sizeof(scope), "token:%lld", (long long)c->caller.token_id);
	else if (c->caller.user_id)
		snprintf(scope, sizeof(scope), "user:%lld", (long long)c->caller.user_id);
	else
		scope[0] = '\0';
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = idem_lookup(c->db, scope, key, hash, c->resp, &state)) != ERR_OK)
		goto fail;
	if (state == IDEM_REPLAY)
		return db_commit(c->db);
	if (state == IDEM_MISMATCH) {
		c->err_msg = "Idempotency-Key was already used with a different request";
		rc = ERR_CONFLICT;
		goto fail;
	}
	if ((rc = c->route->handler(c)) != ERR_OK)
		send_error(c, rc);
	if (c->resp->status >= 500) {
		db_rollback(c->db);
		return ERR_OK;
	}
	if ((rc = idem_store(c->db, scope, key, c->req, hash, c->resp)) != ERR_OK)
		goto fail;
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;
	return ERR_OK;
fail:
	db_rollback(c->db);
	return rc;
}

/* CORS, as Strapi's cors middleware does it, for the API's answers to
 * scripts of other origins: PLATFORM_CORS_ORIGINS "*" lets any origin
 * read without credentials; an origin it lists is named back, with
 * credentials. Returns 1 when the origin may. */
static int
cors_allow(struct response *resp, const char *origin)
{
	const char *list = config()->cors_origins;
	size_t n = strlen(origin);
	int any = 0;
	/* Listed origins get answers of their own: caches keep them apart. */
	if (strcmp(list, "*") != 0)
		resp_header(resp, "Vary", "Origin");
	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t m = strcspn(p, ",");
		if (m == 1 && *p == '*')
			any = 1;
		else if (m == n && n > 0 && strncmp(p, origin, n) == 0) {
			resp_header(resp, "Access-Control-Allow-Origin", origin);
			resp_header(resp, "Access-Control-Allow-Credentials", "true");
			return 1;
		}
	}
	if (any)
		resp_header(resp, "Access-Control-Allow-Origin", "*");
	return any;
}

static int
api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0;
}

/* The Allow header of a path: the methods of the mask, "GET, POST". */
static void
allow_header(struct response *resp, unsigned allow)
{
	struct buf b = { 0 };
	for (int m = 0; m < METHOD__MAX; m++)
		if (allow & (1u << m))
			buf_printf(&b, "%s%s", b.len ? ", " : "",
			    http_method_name((enum http_method)m));
	resp_header(resp, "Allow", buf_str(&b));
	buf_free(&b);
}

/* OPTIONS: a preflight under /api/ is 204 with what a browser needs (the
 * methods and headers of Strapi's defaults, cached a year); elsewhere, a
 * path that exists says its methods. */
static void
options(const struct app *app, struct request *req, struct response *resp)
{
	char id[ID_MAX];
	enum err e;
	unsigned allow = 0;
	router_match(app->def->routes, app->def->nroutes, METHOD_OPTIONS, req->path, id,
	    sizeof(id), &e, &allow);
	if (allow == 0 && !api_path(req->path)) {
		json_send_error(resp, ERR_NOT_FOUND, NULL, NULL);
		return;
	}
	resp->status = 204;
	resp->content_type = NULL;
	buf_reset(&resp->body);
	if (allow) {
		if (allow & (1u << METHOD_GET))
			allow |= 1u << METHOD_HEAD;
		allow_header(resp, allow | 1u << METHOD_OPTIONS);
	}
	const char *origin = http_header(req, "origin");
	if (origin && api_path(req->path) && http_header(req,
	    "access-control-request-method") && cors_allow(resp, origin)) {
		resp_header(resp, "Access-Control-Allow-Methods",
		    "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS");
		resp_header(resp, "Access-Control-Allow-Headers",
		    "Content-Type,Authorization,Origin,Accept,Idempotency-Key");
		resp_header(resp, "Access-Control-Max-Age", "31536000");
	}
}

/* Answers one request (app_handle without the metrics): returns its
 * route's index, or -1. */
static int
dispatch(struct app *app, struct request *req, struct response *resp)
{
	struct ctx c;
	char id[ID_MAX], key[APP_CACHE_KEY];
	enum err rc = ERR_OK;
	unsigned allow = 0;
	uint64_t stamp = 0;
	int cacheable = 0;

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.db = app->db;
	c.req = req;
	c.resp = resp;
	db_take_full(app->db);
	if (req->query == NULL)
		req->query = "";
	if (req->method == METHOD_OPTIONS) {
		options(app, req, resp);
		return -1;
	}

	int r = router_match(app->def->routes, app->def->nroutes, req->method,
	    req->path, id, sizeof(id), &rc, &allow);
	if (r < 0) {
		if (rc == ERR_METHOD)
			allow_header(resp, allow);
		goto out;
	}
	c.route = &app->def->routes[r];
	c.id = id[0] ? id : NULL;
	if (http_parse_query(req) != 0) {
		c.err_msg = "Invalid query string";
		rc = ERR_VALIDATION;
		goto out;
	}
	/* Who is calling, and may they: before anything else runs. */
	if ((rc = app->def->resolve(&c)) != ERR_OK || (rc = app_authorize(&c)) != ERR_OK ||
	    resp->status == 303)
		goto out;
	/* A page's answer also depends on its language (Accept-Language). */
	const char *lang = c.route->flags & ROUTE_PAGE ? page_lang(&c) : "";
	cacheable = (c.route->flags & ROUTE_CACHE) &&
	    strlen(req->path) + strlen(req->query) + strlen(lang) + 3 < sizeof(key);
	if (cacheable) {
		size_t pl = strlen(req->path), ql = strlen(req->query);
		memcpy(key, req->path, pl);
		key[pl] = '?';
		memcpy(key + pl + 1, req->query, ql + 1);
		if (*lang)
			snprintf(key + pl + 1 + ql, sizeof(key) - pl - 1 - ql, "#%s", lang);
		stamp = db_change_stamp(app->db);
		struct cache_slot *s = cache_find(app, key);
		if (s && s->stamp == stamp) {
			resp->status = s->status;
			resp->content_type = s->content_type;
			buf_reset(&resp->body);
			buf_append(&resp->body, buf_str(&s->body), s->body.len);
			s->used = ++app->tick;
			goto done;
		}
	}
	if (((c.route->flags & ROUTE_BODY) || ((c.route->flags & ROUTE_BODY_OPT) &&
	    req->body_len > 0)) && (rc = read_body(&c)) != ERR_OK)
		goto out;
	if ((c.route->flags & ROUTE_FORM) && (rc = read_form(&c)) != ERR_OK)
		goto out;
	/* Forms, and API writes authenticated by the session cookie, carry a
	 * CSRF token. */
	if (req->method != METHOD_GET && req->method != METHOD_HEAD &&
	    ((c.route->flags & ROUTE_FORM) || c.caller.via == AUTH_SESSION) &&
	    (rc = auth_check_csrf(&c, ctx_form(&c, "_csrf"))) != ERR_OK)
		goto out;
	/* fields[] shapes a written record's answer, as in Strapi: a field
	 * that is not the content type's is refused before anything is
	 * written. */
	if (c.route->entity && req->method != METHOD_GET && req->method != METHOD_HEAD) {
		struct qerror qe;
		if ((rc = query_fields(c.route->entity, req, &c.fields, &qe)) != ERR_OK) {
			c.err_msg = arena_strdup(&req->arena, qe.message);
			c.err_details = query_error_details(&qe);
			goto out;
		}
	}
	const char *ikey = http_header(req, "idempotency-key");
	if (req->method == METHOD_POST && ikey && !(c.route->flags & ROUTE_NO_IDEM))
		rc = run_idempotent(&c, ikey);
	else
		rc = c.route->handler(&c);
out:
	if (rc != ERR_OK && db_take_full(app->db)) {
		/* Nothing was written: the client may send it again later. */
		resp_header(resp, "Retry-After", "30");
		json_send_error(resp, ERR_UNAVAILABLE, "The server's disk is full: nothing "
		    "was written. Try again later", NULL);
	} else if (rc != ERR_OK)
		send_error(&c, rc);
	else if (cacheable && resp->status == 200 && !c.personal)
		cache_put(app, key, stamp, resp);
done:
	/* Every answer of the API, errors too, says whether a script of
	 * another origin may read it. */
	if (api_path(req->path) && http_header(req, "origin"))
		cors_allow(resp, http_header(req, "origin"));
	cJSON_Delete(c.body);
	cJSON_Delete(c.err_details);
	verr_free(&c.ve);
	return c.route ? (int)(c.route - app->def->routes) : -1;
}

void
app_handle(struct app *app, struct request *req, struct response *resp)
{
	int64_t t0 = clock_mono_us();
	int r = dispatch(app, req, resp);
	metrics_request(r, resp->status, clock_mono_us() - t0);
}

int
app_groupable(struct app *app, const struct request *req)
{
	char id[ID_MAX];
	enum err e;
	unsigned allow;
	if (req->method != METHOD_POST && req->method != METHOD_PUT &&
	    req->method != METHOD_DELETE)
		return 0;
	int r = router_match(app->def->routes, app->def->nroutes, req->method,
	    req->path, id, sizeof(id), &e, &allow);
	return r >= 0 && (app->def->routes[r].flags & ROUTE_GROUP);
}

/* The answer of a request whose writes a group commit lost. */
static void
group_lost(struct request *req, struct response *resp, int full)
{
	resp_free(resp);
	resp_init(resp);
	if (full) {
		resp_header(resp, "Retry-After", "30");
		json_send_error(resp, ERR_UNAVAILABLE, "The server's disk is full: nothing "
		    "was written. Try again later", NULL);
	} else
		json_send_error(resp, ERR_DB, NULL, NULL);
	if (api_path(req->path) && http_header(req, "origin"))
		cors_allow(resp, http_header(req, "origin"));
}

void
app_group_queue(struct app *app)
{
	db_queue_enter(app->db);
}

void
app_group_leave(struct app *app)
{
	db_queue_leave(app->db);
}

enum err
app_group_begin(struct app *app)
{
	/* The requests are in hand: a worker that waited for its turn with
	 * none (it takes them after) does not count that wait as theirs. */
	app->group_t0 = clock_mono_us();
	enum err e = db_begin(app->db);
	if (e != ERR_OK)
		db_queue_leave(app->db);
	return e;
}

void
app_handle_group(struct app *app, struct request **reqs, struct response **resps,
    size_t n)
{
	int routes[APP_GROUP_MAX];
	size_t done = 0;
	int full = 0;
	enum err e = ERR_DB;

	while (done < n && done < APP_GROUP_MAX && db_txn_whole(app->db)) {
		routes[done] = dispatch(app, reqs[done], resps[done]);
		/* Its own answer may already say the disk is full. */
		full |= resps[done]->status == 503;
		done++;
	}
	/* The transaction is whole, or gone with every write made in it. */
	if (db_txn_whole(app->db))
		e = db_commit(app->db);
	else
		db_rollback_all(app->db);
	if (e == ERR_OK)
		db_count_group(app->db, done);
	full |= db_take_full(app->db);
	int64_t t1 = clock_mono_us();
	for (size_t i = 0; i < done; i++) {
		if (e != ERR_OK)
			group_lost(reqs[i], resps[i], full);
		metrics_request(routes[i], resps[i]->status, t1 - app->group_t0);
	}
	/* Those the group could not take are answered alone. */
	for (; done < n; done++)
		app_handle(app, reqs[done], resps[done]);
}
