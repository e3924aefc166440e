#include <stdio.h>
#include <string.h>

#include "json.h"
#include "page.h"
#include "pages.h"
#include "plans.h"
#include "render.h"
#include "valid.h"

/* Formats cents as "29,00" (French style: the pages are bilingual, the
 * amounts are euros). */
static void
format_price(long long cents, char *out, size_t sz)
{
	snprintf(out, sz, "%lld,%02lld", cents / 100, cents % 100);
}

static const char *
limit_text(const cJSON *limits, const char *key, char *tmp, size_t sz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(limits, key);
	if (cJSON_IsNumber(v)) {
		snprintf(tmp, sz, "%.0f", v->valuedouble);
		return tmp;
	}
	return cJSON_IsNull(v) ? "unlimited" : "";
}

enum err
h_page_plans(struct ctx *c)
{
	cJSON *plans = db_plans_active(c->db);
	if (plans == NULL)
		return ERR_DB;
	struct render_dict *d = render_dict_new();
	render_set(d, "TITLE", "Plans and pricing");
	const cJSON *p;
	cJSON_ArrayForEach(p, plans) {
		struct render_dict *s = render_section(d, "PLAN");
		char price[32], tmp[32];
		const cJSON *limits = cJSON_GetObjectItem(p, "limits");
		render_set(s, "NAME", cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")));
		render_set(s, "SLUG", cJSON_GetStringValue(cJSON_GetObjectItem(p, "slug")));
		render_set(s, "DESCRIPTION",
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "description")));
		format_price((long long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(p, "priceCents")), price, sizeof(price));
		render_set(s, "PRICE", price);
		render_set(s, "CURRENCY",
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "currency")));
		const char *iv = cJSON_GetStringValue(cJSON_GetObjectItem(p, "interval"));
		render_set(s, "INTERVAL", iv && strcmp(iv, "year") == 0 ? "year" : "month");
		int trial = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "trialDays"));
		if (trial > 0) {
			struct render_dict *t = render_section(s, "TRIAL");
			render_set_int(t, "DAYS", trial);
		}
		const cJSON *f;
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(p, "features"))
			render_set(render_section(s, "FEATURE"), "TEXT",
			    cJSON_GetStringValue(f));
		static const struct { const char *key, *label; } lims[] = {
			{ "maxProducts", "Products" },
			{ "maxOrdersPerMonth", "Orders per month" },
			{ "maxStaff", "Staff accounts" },
			{ "storageMb", "Storage (MB)" },
		};
		for (size_t i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
			const char *v = limit_text(limits, lims[i].key, tmp, sizeof(tmp));
			if (*v == '\0')
				continue;
			struct render_dict *l = render_section(s, "LIMIT");
			render_set(l, "LABEL", lims[i].label);
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
	buf_reset(&c->resp->body);
	int rc = render_expand(config()->template_dir, "plans.tpl", d,
	    &c->resp->body);
	render_dict_free(d);
	if (rc != 0)
		return ERR_INTERNAL;
	c->resp->status = 200;
	c->resp->content_type = "text/html; charset=utf-8";
	return ERR_OK;
}

/* The sign-in page, with a message when sign-in failed. The form's CSRF
 * token is also set as a cookie (double submit: no session exists yet). */
static enum err
login_page(struct ctx *c, const char *error, const char *identifier, int status)
{
	char token[48], cookie[160];
	const char *have = auth_cookie(c, AUTH_CSRF_COOKIE);
	if (have && strlen(have) == 43)
		snprintf(token, sizeof(token), "%s", have);
	else {
		auth_random_token(token);
		snprintf(cookie, sizeof(cookie), AUTH_CSRF_COOKIE "=%s; Path=/marketplace; "
		    "HttpOnly; Secure; SameSite=Strict", token);
		resp_header(c->resp, "Set-Cookie", cookie);
	}
	struct render_dict *d = render_dict_new();
	render_set(d, "TITLE", "Sign in");
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
		return login_page(c, "Enter your e-mail and password.", id, 400);
	if (!valid_text(id, 0))
		return login_page(c, "Invalid identifier or password", NULL, 400);
	enum err rc = auth_sign_in(c, id, pw, &who);
	if (rc == ERR_OK)
		rc = auth_session_open(c, &who);
	if (rc == ERR_VALIDATION)
		return login_page(c, c->err_msg, id, err_status(rc));
	if (rc != ERR_OK)
		return rc;
	page_redirect(c, "/marketplace/account.html");
	return ERR_OK;
}

enum err
h_page_account(struct ctx *c)
{
	struct render_dict *d = render_dict_new();
	render_set(d, "TITLE", "Your account");
	render_set(d, "EMAIL", c->caller.name);
	render_set(d, "ROLE", auth_role_name(c->caller.role));
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
