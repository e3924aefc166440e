#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "backends.h"
#include "config.h"
#include "crud.h"
#include "json.h"
#include "jwt.h"
#include "msg.h"
#include "page.h"
#include "pages.h"
#include "demo.h"
#include "onboard.h"
#include "plans.h"
#include "render.h"
#include "valid.h"

enum stmt_pages {
	STMT_PG_WHO,
	STMT_PG__MAX
};

static const char *const stmts[STMT_PG__MAX] = {
	/* Who a new owner is, to sign it in. */
	[STMT_PG_WHO] = "SELECT document_id, credentials_version FROM users WHERE id = ?",
};

static const char *
limit_text(const char *lang, const cJSON *limits, const char *key, char *tmp,
    size_t sz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(limits, key);
	if (cJSON_IsNumber(v)) {
		snprintf(tmp, sz, "%.0f", v->valuedouble);
		return tmp;
	}
	return cJSON_IsNull(v) ? msg(lang, "PLANS_UNLIMITED") : "";
}

enum err
h_page_plans(struct ctx *c)
{
	cJSON *plans = db_plans_active(c->db);
	if (plans == NULL)
		return ERR_DB;
	const char *lang = page_lang(c);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "PLANS_TITLE"));
	const cJSON *p;
	cJSON_ArrayForEach(p, plans) {
		struct render_dict *s = render_section(d, "PLAN");
		char price[32], tmp[32];
		const cJSON *limits = cJSON_GetObjectItem(p, "limits");
		render_set(s, "NAME", cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")));
		render_set(s, "SLUG", cJSON_GetStringValue(cJSON_GetObjectItem(p, "slug")));
		render_set(s, "DESCRIPTION",
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "description")));
		msg_number(lang, (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(p, "priceCents")), price, sizeof(price));
		render_set(s, "PRICE", price);
		render_set(s, "CURRENCY",
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "currency")));
		const char *iv = cJSON_GetStringValue(cJSON_GetObjectItem(p, "interval"));
		render_set(s, "INTERVAL", msg(lang, iv && strcmp(iv, "year") == 0 ?
		    "PLANS_YEAR" : "PLANS_MONTH"));
		int trial = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "trialDays"));
		if (trial > 0) {
			struct buf t = { 0 };
			char days[16];
			snprintf(days, sizeof(days), "%d", trial);
			msg_printf(&t, lang, "PLANS_TRIAL", days, NULL);
			render_set(render_section(s, "TRIAL"), "TEXT", buf_str(&t));
			buf_free(&t);
		}
		const cJSON *f;
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(p, "features"))
			render_set(render_section(s, "FEATURE"), "TEXT",
			    cJSON_GetStringValue(f));
		static const struct { const char *key, *label; } lims[] = {
			{ "maxProducts", "PLANS_LIMIT_PRODUCTS" },
			{ "maxOrdersPerMonth", "PLANS_LIMIT_ORDERS" },
			{ "maxStaff", "PLANS_LIMIT_STAFF" },
			{ "storageMb", "PLANS_LIMIT_STORAGE" },
		};
		for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
			const char *v = limit_text(lang, limits, lims[i].key, tmp, sizeof(tmp));
			if (*v == '\0')
				continue;
			struct render_dict *l = render_section(s, "LIMIT");
			render_set(l, "LABEL", msg(lang, lims[i].label));
			render_set(l, "VALUE", v);
		}
		if (cJSON_IsTrue(cJSON_GetObjectItem(limits, "customDomain")))
			render_show(s, "CUSTOM_DOMAIN");
		const char *sl = cJSON_GetStringValue(
		    cJSON_GetObjectItem(limits, "supportLevel"));
		if (sl)
			render_set(render_section(s, "SUPPORT"), "LEVEL", sl);
	}
	if (cJSON_GetArraySize(plans) == 0)
		render_show(d, "NO_PLANS");
	cJSON_Delete(plans);
	/* Public and cached per worker (ROUTE_CACHE, per language): no
	 * no-store here. */
	enum err rc = page_expand(c, "plans.tpl", d);
	if (rc != ERR_OK)
		return rc;
	c->resp->status = 200;
	c->resp->content_type = "text/html; charset=utf-8";
	return ERR_OK;
}

/* The sign-in page, with a message when sign-in failed. The form's CSRF
 * token is also set as a cookie (double submit: no session exists yet). */
static enum err
login_page(struct ctx *c, const char *error, const char *identifier, int status)
{
	char token[48];
	page_form_token(c, "/marketplace", token);
	const char *lang = page_lang(c);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "LOGIN_TITLE"));
	render_set(d, "CSRF", token);
	render_set(d, "IDENTIFIER", identifier ? identifier : "");
	if (error)
		render_set(render_section(d, "ERROR"), "MESSAGE", error);
	if (c->caller.role != ROLE_ANON)
		render_set(render_section(d, "SIGNED_IN"), "EMAIL", c->caller.name);
	return page_render(c, "login.tpl", d, status);
}

enum err
h_page_login(struct ctx *c)
{
	return login_page(c, NULL, NULL, 200);
}

enum err
h_form_login(struct ctx *c)
{
	const char *id = ctx_form(c, "identifier");
	const char *pw = ctx_form(c, "password");
	struct jwt_subject who;
	if (id == NULL || *id == '\0' || pw == NULL || *pw == '\0' ||
	    strlen(id) > 254 || strlen(pw) > 256)
		return login_page(c, msg(page_lang(c), "LOGIN_MISSING"), id, 400);
	if (!valid_text(id, 0))
		return login_page(c, msg(page_lang(c), "LOGIN_REFUSED"), NULL, 400);
	enum err rc = auth_sign_in(c, id, pw, &who);
	if (rc == ERR_OK)
		rc = auth_session_open(c, &who);
	/* Every refusal reads the same (auth_sign_in), in the page's words. */
	if (rc == ERR_VALIDATION)
		return login_page(c, msg(page_lang(c), "LOGIN_REFUSED"), id,
		    err_status(rc));
	if (rc != ERR_OK)
		return rc;
	page_redirect(c, "/marketplace/account.html");
	return ERR_OK;
}

enum err
h_page_account(struct ctx *c)
{
	static const struct { unsigned bit; const char *key; } roles[] = {
		{ ROLE_ADMIN, "ROLE_ADMIN" }, { ROLE_AGENT, "ROLE_AGENT" },
		{ ROLE_MERCHANT, "ROLE_MERCHANT" },
	};
	const char *lang = page_lang(c), *role = auth_role_name(c->caller.role);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].bit == c->caller.role)
			role = msg(lang, roles[i].key);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "ACCOUNT_TITLE"));
	render_set(d, "EMAIL", c->caller.name);
	render_set(d, "ROLE", role);
	if (c->caller.merchant_id)
		render_set_int(render_section(d, "MERCHANT"), "ID",
		    (long)c->caller.merchant_id);
	if (c->caller.via == AUTH_SESSION)
		render_set(render_section(d, "SESSION"), "CSRF", c->caller.csrf);
	return page_render(c, "account.tpl", d, 200);
}

enum err
h_form_logout(struct ctx *c)
{
	enum err rc = auth_session_close(c);
	if (rc != ERR_OK)
		return rc;
	page_redirect(c, "/marketplace/login.html");
	return ERR_OK;
}

enum err
h_page_demo_shop(struct ctx *c)
{
	const struct config *cfg = config();
	char url[512], port[16] = "";
	if (cfg->https_port != 443)
		snprintf(port, sizeof(port), ":%d", cfg->https_port);
	snprintf(url, sizeof(url), "https://%s.%s%s/", DEMO_SHOP, cfg->shops_domain, port);
	page_redirect(c, url);
	return ERR_OK;
}

/* The sign-up form's fields: the form's name, where onboard() takes it,
 * and the catalogue's words for its error. */
static const struct signup_field {
	const char	*form, *part, *member, *error;
} signup_fields[] = {
	{ "owner_name", "owner", "name", "SIGNUP_ERROR_OWNER_NAME" },
	{ "email", "owner", "email", "SIGNUP_ERROR_EMAIL" },
	{ "password", "owner", "password", "SIGNUP_ERROR_PASSWORD" },
	{ "shop_name", "merchant", "name", "SIGNUP_ERROR_SHOP_NAME" },
	{ "company", "merchant", "company", "SIGNUP_ERROR_COMPANY" },
	{ "country", "merchant", "country", "SIGNUP_ERROR_COUNTRY" },
	{ "vat", "merchant", "vatNumber", "SIGNUP_ERROR_VAT" },
	{ "address", "merchant", "address", "SIGNUP_ERROR_ADDRESS" },
	{ "subdomain", NULL, "subdomain", "SIGNUP_ERROR_SUBDOMAIN" },
	{ "plan", NULL, "plan", "SIGNUP_ERROR_PLAN" },
};
#define NSIGNUP (sizeof(signup_fields) / sizeof(signup_fields[0]))

/* Which form field an onboarding error's path (["owner", "email"]) is
 * about: the index in signup_fields, or -1. A merchant's defaulted e-mail
 * and slug are the owner's e-mail and the subdomain. */
static int
signup_field_of(const cJSON *path)
{
	const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(path, 0));
	const char *b = cJSON_GetStringValue(cJSON_GetArrayItem(path, 1));
	if (a == NULL)
		return -1;
	if (b && strcmp(a, "merchant") == 0 && strcmp(b, "email") == 0)
		a = "owner";
	if (b && strcmp(a, "merchant") == 0 && strcmp(b, "slug") == 0)
		a = "subdomain", b = NULL;
	if (b && strcmp(a, "owner") == 0 && strcmp(b, "username") == 0)
		b = "email";
	for (size_t i = 0; i < NSIGNUP; i++) {
		const struct signup_field *f = &signup_fields[i];
		if (f->part == NULL ? b == NULL && strcmp(a, f->member) == 0 :
		    b && strcmp(a, f->part) == 0 && strcmp(b, f->member) == 0)
			return (int)i;
	}
	return -1;
}

/* The words for an error about field i whose rule said message. */
static const char *
signup_error(const char *lang, size_t i, const char *message)
{
	if (message && (strstr(message, "unique") || strstr(message, "taken")))
		return msg(lang, strcmp(signup_fields[i].form, "email") == 0 ?
		    "SIGNUP_TAKEN_EMAIL" : "SIGNUP_TAKEN_SUBDOMAIN");
	if (message && strstr(message, "reserved"))
		return msg(lang, "SIGNUP_RESERVED_SUBDOMAIN");
	return msg(lang, signup_fields[i].error);
}

/* The sign-up form, filled with what was sent (never the password), each
 * error beside its field (errors: onboard()'s, may be NULL), or a message
 * for the whole form. */
static enum err
signup_page(struct ctx *c, const cJSON *errors, const char *message, int status)
{
	const char *lang = page_lang(c), *errs[NSIGNUP] = { 0 };
	char token[48];
	cJSON *plans = db_plans_active(c->db);
	if (plans == NULL)
		return ERR_DB;
	const cJSON *e;
	cJSON_ArrayForEach(e, errors) {
		int i = signup_field_of(cJSON_GetObjectItem(e, "path"));
		if (i < 0)
			message = msg(lang, "SIGNUP_FAILED");
		else if (errs[i] == NULL)
			errs[i] = signup_error(lang, (size_t)i,
			    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
	}
	if (c->caller.role == ROLE_ANON)
		page_form_token(c, "/marketplace", token);
	else
		snprintf(token, sizeof(token), "%s", c->caller.csrf);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "SIGNUP_TITLE"));
	render_set(d, "CSRF", token);
	if (message)
		render_set(render_section(d, "ERROR"), "MESSAGE", message);
	else if (errors)
		render_set(render_section(d, "ERROR"), "MESSAGE", msg(lang, "SIGNUP_ERRORS"));
	for (size_t i = 0; i < NSIGNUP; i++) {
		char key[64];
		const char *v = ctx_form(c, signup_fields[i].form);
		for (size_t k = 0; signup_fields[i].form[k] && k < sizeof(key) - 1; k++)
			key[k] = (char)toupper((unsigned char)signup_fields[i].form[k]),
			key[k + 1] = '\0';
		if (strcmp(signup_fields[i].form, "password") != 0)
			render_set(d, key, v ? v : strcmp(key, "COUNTRY") == 0 ? "FR" : "");
		if (errs[i]) {
			char sec[80];
			snprintf(sec, sizeof(sec), "%s_ERROR", key);
			render_set(render_section(d, sec), "MESSAGE", errs[i]);
			snprintf(sec, sizeof(sec), "%s_INVALID", key);
			render_show(d, sec);
		}
	}
	/* The plan: the one sent, else ?plan=<slug>, else the first. */
	const char *chosen = ctx_form(c, "plan"), *slug = http_param(c->req, "plan");
	const cJSON *p;
	cJSON_ArrayForEach(p, plans) {
		struct render_dict *s = render_section(d, "PLAN");
		const char *doc = cJSON_GetStringValue(cJSON_GetObjectItem(p, "documentId"));
		const char *ps = cJSON_GetStringValue(cJSON_GetObjectItem(p, "slug"));
		char price[64];
		render_set(s, "ID", doc);
		render_set(s, "NAME", cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")));
		msg_money(lang, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p,
		    "priceCents")), cJSON_GetStringValue(cJSON_GetObjectItem(p, "currency")),
		    price, sizeof(price));
		render_set(s, "PRICE", price);
		if ((chosen && doc && strcmp(chosen, doc) == 0) ||
		    (!chosen && slug && ps && strcmp(slug, ps) == 0))
			render_show(s, "SELECTED");
	}
	cJSON_Delete(plans);
	return page_render(c, "signup.tpl", d, status);
}

enum err
h_page_signup(struct ctx *c)
{
	return signup_page(c, NULL, NULL, 200);
}

/* Adds form field name to o as member k when it was filled in. */
static void
form_to(struct ctx *c, cJSON *o, const char *k, const char *name, int upper)
{
	const char *v = ctx_form(c, name);
	if (v == NULL || *v == '\0')
		return;
	cJSON *s = cJSON_AddStringToObject(o, k, v);
	if (upper && s)
		for (char *q = s->valuestring; *q; q++)
			*q = (char)toupper((unsigned char)*q);
}

enum err
h_form_signup(struct ctx *c)
{
	const char *lang = page_lang(c);
	struct onboarded o;
	cJSON *data = cJSON_CreateObject();
	cJSON *owner = cJSON_AddObjectToObject(data, "owner");
	cJSON *shop = cJSON_AddObjectToObject(data, "merchant");
	for (size_t i = 0; i < NSIGNUP; i++) {
		const struct signup_field *f = &signup_fields[i];
		cJSON *part = f->part == NULL ? data : strcmp(f->part, "owner") == 0 ?
		    owner : shop;
		form_to(c, part, f->member, f->form, strcmp(f->form, "country") == 0);
	}
	cJSON_AddStringToObject(shop, "language", lang);
	enum err rc = onboard(c, data, &o);
	cJSON_Delete(data);
	if (rc == ERR_VALIDATION) {
		char m[256];
		cJSON *details = verr_take(&c->ve, m, sizeof(m));
		rc = signup_page(c, cJSON_GetObjectItem(details, "errors"), NULL, 400);
		cJSON_Delete(details);
		return rc;
	}
	if (rc == ERR_CONFLICT || rc == ERR_UNAVAILABLE)
		return signup_page(c, NULL, msg(lang, "SIGNUP_FAILED"), err_status(rc));
	if (rc != ERR_OK)
		return rc;
	/* The new owner is signed in (an admin who signed someone up stays
	 * who it is), and follows its shop's deployment. */
	if (c->caller.role == ROLE_ANON) {
		struct jwt_subject who = { .user_id = o.user };
		if (db_get(c->db, stmts[STMT_PG_WHO], "i", "SI", o.user, who.doc,
		    sizeof(who.doc), &who.version) != ERR_OK ||
		    auth_session_open(c, &who) != ERR_OK)
			return ERR_DB;
	}
	char to[96];
	snprintf(to, sizeof(to), "/marketplace/backends/%lld/deployment.html",
	    (long long)o.backend);
	page_redirect(c, to);
	return ERR_OK;
}

/* The words for a backend's state, a deployment step and its outcome. */
static const struct state_key { const char *state, *key; } state_keys[] = {
	{ "pending", "DEPLOY_STATUS_PENDING" },
	{ "deploying", "DEPLOY_STATUS_DEPLOYING" },
	{ "running", "DEPLOY_STATUS_RUNNING" },
	{ "failed", "DEPLOY_STATUS_FAILED" },
	{ "stopped", "DEPLOY_STATUS_STOPPED" },
	{ "removed", "DEPLOY_STATUS_REMOVED" },
}, step_keys[] = {
	{ "prepare", "DEPLOY_STEP_PREPARE" },
	{ "render", "DEPLOY_STEP_RENDER" },
	{ "nginx-test", "DEPLOY_STEP_NGINX_TEST" },
	{ "start-pool", "DEPLOY_STEP_START_POOL" },
	{ "reload-pool", "DEPLOY_STEP_RELOAD_POOL" },
	{ "stop-pool", "DEPLOY_STEP_STOP_POOL" },
	{ "health", "DEPLOY_STEP_HEALTH" },
	{ "reload-nginx", "DEPLOY_STEP_RELOAD_NGINX" },
	{ "remove-server-block", "DEPLOY_STEP_REMOVE_SERVER_BLOCK" },
	{ "rollback", "DEPLOY_STEP_ROLLBACK" },
}, outcome_keys[] = {
	{ "running", "DEPLOY_OUTCOME_RUNNING" },
	{ "ok", "DEPLOY_OUTCOME_OK" },
	{ "failed", "DEPLOY_OUTCOME_FAILED" },
};

#define WORDS(lang, table, state) words(lang, table, \
	sizeof(table) / sizeof(table[0]), state)

static const char *
words(const char *lang, const struct state_key *t, size_t n,
    const char *state)
{
	for (size_t i = 0; state && i < n; i++)
		if (strcmp(t[i].state, state) == 0)
			return msg(lang, t[i].key);
	return state;
}

enum err
h_page_deployment(struct ctx *c)
{
	const char *lang = page_lang(c);
	int64_t id = 0;
	/* Found as the caller may see it: another merchant's is not found. */
	enum err rc = crud_resolve(c, &backends_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	cJSON *st = backend_status(c, id);
	if (st == NULL)
		return ERR_NOT_FOUND;
	const cJSON *b = cJSON_GetObjectItem(st, "backend");
	const cJSON *latest = cJSON_GetObjectItem(st, "latest");
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(st, "status"));
	const char *sub = cJSON_GetStringValue(cJSON_GetObjectItem(b, "subdomain"));
	const char *dst = cJSON_GetStringValue(cJSON_GetObjectItem(latest, "status"));
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "DEPLOY_TITLE"));
	render_set(d, "SUBDOMAIN", sub);
	render_set(d, "STATUS", WORDS(lang, state_keys, status));
	render_set(d, "STATE", status);
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(latest, "steps")) {
		struct render_dict *r = render_section(d, "STEP");
		char ms[32] = "";
		const cJSON *dur = cJSON_GetObjectItem(s, "durationMs");
		if (cJSON_IsNumber(dur))
			snprintf(ms, sizeof(ms), "%.0f ms", dur->valuedouble);
		render_set(r, "NAME", WORDS(lang, step_keys,
		    cJSON_GetStringValue(cJSON_GetObjectItem(s, "step"))));
		render_set(r, "DURATION", ms);
		render_set(r, "OUTCOME", WORDS(lang, outcome_keys,
		    cJSON_GetStringValue(cJSON_GetObjectItem(s, "outcome"))));
		render_set(r, "MESSAGE", cJSON_GetStringValue(cJSON_GetObjectItem(s,
		    "message")));
	}
	/* Until the deployment ends, the page asks again every 2 s (the
	 * Refresh header: no script needed). */
	int ongoing = dst && (strcmp(dst, "queued") == 0 || strcmp(dst, "running") == 0);
	if (ongoing) {
		resp_header(c->resp, "Refresh", "2");
		render_show(d, "ONGOING");
	} else if (status && strcmp(status, "running") == 0) {
		const struct config *cfg = config();
		char url[512], port[16] = "";
		if (cfg->https_port != 443)
			snprintf(port, sizeof(port), ":%d", cfg->https_port);
		snprintf(url, sizeof(url), "https://%s.%s%s/", sub ? sub : "",
		    cfg->shops_domain, port);
		render_set(render_section(d, "LIVE"), "URL", url);
	} else if (dst && strcmp(dst, "failed") == 0)
		render_set(render_section(d, "FAILED"), "MESSAGE",
		    cJSON_GetStringValue(cJSON_GetObjectItem(latest, "message")));
	cJSON_Delete(st);
	return page_render(c, "deployment.tpl", d, 200);
}
