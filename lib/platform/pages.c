#include <stdio.h>
#include <string.h>

#include "json.h"
#include "msg.h"
#include "page.h"
#include "pages.h"
#include "demo.h"
#include "plans.h"
#include "render.h"
#include "valid.h"

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
