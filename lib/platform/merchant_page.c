/*
 * The merchant's dashboard, /marketplace/merchant-dashboard.html: the
 * figures of dashboard_merchant() (its shop's statistics asked of the
 * shop, "temporarily unavailable" when it does not answer), its
 * subscription with the forms to change or cancel it, its shops, its
 * invoices and its tickets. A merchant sees only its own; an admin any
 * merchant's (?merchant=). Forms go through POST /marketplace/act.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "admin.h"
#include "clock.h"
#include "config.h"
#include "crud.h"
#include "dashboard.h"
#include "demo.h"
#include "merchants.h"
#include "msg.h"
#include "page.h"
#include "pages.h"
#include "plans.h"
#include "tickets.h"
#include "views.h"

#define MERCHANT_PAGE	"/marketplace/merchant-dashboard.html"

static const struct tab {
	const char	*name, *label;
} tabs[] = {
	{ "overview", "TAB_OVERVIEW" },
	{ "invoices", "TAB_INVOICES" },
	{ "tickets", "TAB_TICKETS" },
};

static const char *
str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double
num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

/* Sets key to the cell of kind k made of JSON value v. */
static void
set_cell(const char *lang, struct render_dict *d, const char *key, enum cell k,
    const cJSON *v)
{
	char raw[64], out[128];
	const char *r = NULL;
	if (cJSON_IsString(v))
		r = v->valuestring;
	else if (cJSON_IsNumber(v)) {
		snprintf(raw, sizeof(raw), "%.0f", v->valuedouble);
		r = raw;
	}
	view_cell(lang, k, r, out, sizeof(out));
	render_set(d, key, out);
}

/* "2026-11-27" as the language writes a day of a month: "27/11", "27 Nov". */
static void
day_label(const char *lang, const char *day, char *out, size_t n)
{
	char iso[40], full[64];
	snprintf(iso, sizeof(iso), "%.10sT00:00:00.000Z", day);
	msg_date(lang, iso, full, sizeof(full));
	char *cut = strrchr(full, strchr(full, '/') ? '/' : ' ');
	if (cut)
		*cut = '\0';
	snprintf(out, n, "%s", full);
}

/* The shop's own figures, or the notice that they are unavailable. */
static void
shop_part(const char *lang, const cJSON *shop, struct render_dict *ov)
{
	if (!cJSON_IsTrue(cJSON_GetObjectItem(shop, "available"))) {
		render_show(ov, "SHOP_UNAVAILABLE");
		return;
	}
	struct render_dict *s = render_section(ov, "SHOP");
	char v[64];
	snprintf(v, sizeof(v), "%.0f", num(shop, "orders"));
	render_set(s, "ORDERS", v);
	msg_money(lang, (int64_t)num(shop, "revenueCents"), "EUR", v, sizeof(v));
	render_set(s, "REVENUE", v);
	view_chart_points(lang, s, "shop-revenue", "MERCHANT_CHART_SALES", "CHART_REVENUE",
	    cJSON_GetObjectItem(shop, "byDay"), "day", day_label, "revenueCents",
	    CELL_MONEY);
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(shop, "topProducts")) {
		struct render_dict *r = render_section(s, "PRODUCT");
		render_set(r, "NAME", str(p, "name"));
		snprintf(v, sizeof(v), "%.0f", num(p, "quantity"));
		render_set(r, "QUANTITY", v);
		msg_money(lang, (int64_t)num(p, "revenueCents"), "EUR", v, sizeof(v));
		render_set(r, "REVENUE", v);
	}
}

/* The subscription, and the forms to change or cancel it. */
static enum err
subscription_part(struct ctx *c, const cJSON *sub, struct render_dict *ov)
{
	const char *lang = page_lang(c);
	if (!cJSON_IsObject(sub)) {
		render_show(ov, "NO_SUBSCRIPTION");
		return ERR_OK;
	}
	struct render_dict *s = render_section(ov, "SUBSCRIPTION");
	const cJSON *plan = cJSON_GetObjectItem(sub, "plan");
	char v[64];
	render_set_int(s, "ID", (long)num(sub, "id"));
	render_set(s, "PLAN", str(plan, "name"));
	msg_money(lang, (int64_t)num(plan, "priceCents"), str(plan, "currency"), v,
	    sizeof(v));
	render_set(s, "PRICE", v);
	set_cell(lang, s, "INTERVAL", CELL_STATE, cJSON_GetObjectItem(plan, "interval"));
	set_cell(lang, s, "STATUS", CELL_STATE, cJSON_GetObjectItem(sub, "status"));
	render_set(s, "STATE", str(sub, "status"));
	const char *status = str(sub, "status");
	if (status && strcmp(status, "cancelled") == 0)
		return ERR_OK;
	if (cJSON_IsString(cJSON_GetObjectItem(sub, "nextRenewal")))
		set_cell(lang, render_section(s, "RENEWS"), "DATE", CELL_DATE,
		    cJSON_GetObjectItem(sub, "nextRenewal"));
	if (cJSON_IsTrue(cJSON_GetObjectItem(sub, "cancelAtPeriodEnd")))
		set_cell(lang, render_section(s, "ENDS"), "DATE", CELL_DATE,
		    cJSON_GetObjectItem(sub, "currentPeriodEnd"));
	else
		render_show(s, "CANCEL");
	/* The plans it may move to: the active ones but its own. */
	cJSON *plans = db_plans_active(c->db);
	if (plans == NULL)
		return ERR_DB;
	const cJSON *p;
	struct render_dict *change = NULL;
	cJSON_ArrayForEach(p, plans) {
		if (num(p, "id") == num(plan, "id"))
			continue;
		if (change == NULL)
			change = render_section(s, "CHANGE");
		struct render_dict *o = render_section(change, "PLAN");
		render_set_int(o, "ID", (long)num(p, "id"));
		msg_money(lang, (int64_t)num(p, "priceCents"), str(p, "currency"), v,
		    sizeof(v));
		render_set(o, "NAME", str(p, "name"));
		render_set(o, "PRICE", v);
	}
	cJSON_Delete(plans);
	return ERR_OK;
}

/* Its shops: where, their state and health, the deployment log, restart. */
static void
backends_part(const char *lang, const cJSON *list, struct render_dict *ov)
{
	const struct config *cfg = config();
	char port[16] = "", url[512];
	if (cfg->https_port != 443)
		snprintf(port, sizeof(port), ":%d", cfg->https_port);
	const cJSON *b;
	cJSON_ArrayForEach(b, list) {
		struct render_dict *r = render_section(ov, "BACKEND");
		const char *sub = str(b, "subdomain");
		render_set_int(r, "ID", (long)num(b, "id"));
		render_set(r, "SUBDOMAIN", sub);
		/* The demo shop through its page of the platform. */
		if (sub && strcmp(sub, DEMO_SHOP) == 0)
			snprintf(url, sizeof(url), "/marketplace/%s.html", DEMO_SHOP);
		else
			snprintf(url, sizeof(url), "https://%s.%s%s/", sub ? sub : "",
			    cfg->shops_domain, port);
		render_set(r, "URL", url);
		set_cell(lang, r, "STATUS", CELL_STATE, cJSON_GetObjectItem(b, "status"));
		render_set(r, "STATE", str(b, "status"));
		set_cell(lang, r, "HEALTH", CELL_STATE, cJSON_GetObjectItem(b, "health"));
		render_set(r, "HEALTH_STATE", str(b, "health"));
		set_cell(lang, r, "LATENCY", CELL_MS, cJSON_GetObjectItem(b, "lastLatencyMs"));
		set_cell(lang, r, "UPTIME", CELL_PERCENT, cJSON_GetObjectItem(b,
		    "uptime24hPercent"));
	}
	if (cJSON_GetArraySize(list) == 0)
		render_show(ov, "NO_BACKEND");
}

/* The overview: everything dashboard_merchant() gives. */
static enum err
overview(struct ctx *c, const cJSON *o, struct render_dict *d)
{
	const char *lang = page_lang(c);
	struct render_dict *ov = render_section(d, "OVERVIEW");
	shop_part(lang, cJSON_GetObjectItem(o, "shop"), ov);
	enum err rc = subscription_part(c, cJSON_GetObjectItem(o, "subscription"), ov);
	if (rc != ERR_OK)
		return rc;
	backends_part(lang, cJSON_GetObjectItem(o, "backends"), ov);
	const cJSON *t = cJSON_GetObjectItem(o, "tickets");
	render_set_int(ov, "OPEN_TICKETS", (long)num(t, "open"));
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(t, "recent")) {
		struct render_dict *r = render_section(ov, "RECENT_TICKET");
		render_set_int(r, "ID", (long)num(it, "id"));
		render_set(r, "REFERENCE", str(it, "reference"));
		render_set(r, "SUBJECT", str(it, "subject"));
		set_cell(lang, r, "STATUS", CELL_STATE, cJSON_GetObjectItem(it, "status"));
		render_set(r, "STATE", str(it, "status"));
		set_cell(lang, r, "UPDATED", CELL_DATE, cJSON_GetObjectItem(it, "updatedAt"));
	}
	int shown = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "invoices")) {
		if (shown++ == 5)
			break;
		struct render_dict *r = render_section(ov, "RECENT_INVOICE");
		char money[64], raw[64];
		render_set_int(r, "ID", (long)num(it, "id"));
		render_set(r, "NUMBER", str(it, "number"));
		snprintf(raw, sizeof(raw), "%.0f %s", num(it, "totalCents"),
		    str(it, "currency") ? str(it, "currency") : "EUR");
		view_cell(lang, CELL_MONEY, raw, money, sizeof(money));
		render_set(r, "TOTAL", money);
		set_cell(lang, r, "STATUS", CELL_STATE, cJSON_GetObjectItem(it, "status"));
		render_set(r, "STATE", str(it, "status"));
		set_cell(lang, r, "ISSUED", CELL_DATE, cJSON_GetObjectItem(it, "issuedAt"));
	}
	return ERR_OK;
}

/* The form to open a ticket (staff name the merchant). */
static void
new_ticket_form(struct ctx *c, int64_t merchant, struct render_dict *d)
{
	const char *lang = page_lang(c);
	struct render_dict *f = render_section(d, "NEW_TICKET");
	if (c->caller.role != ROLE_MERCHANT)
		render_set_int(render_section(f, "FOR_MERCHANT"), "ID", (long)merchant);
	static const struct { const char *field, *section; } enums[] = {
		{ "category", "CATEGORY" }, { "priority", "PRIORITY" },
	};
	for (size_t i = 0; i < 2; i++)
		view_options(lang, f, enums[i].section, tickets_entity.fields[entity_field(
		    &tickets_entity, enums[i].field)].enums, "medium");
}

enum err
h_page_merchant(struct ctx *c)
{
	const char *lang = page_lang(c);
	const char *view = http_param(c->req, "view"), *id = http_param(c->req, "id");
	const char *who = http_param(c->req, "merchant");
	int64_t merchant = c->caller.merchant_id;
	enum err rc;
	/* An admin looks at the merchant it names; a merchant at itself. */
	if (c->caller.role != ROLE_MERCHANT) {
		if (who == NULL) {
			verr_add(&c->ve, "merchant", "merchant must name the merchant to show",
			    NULL);
			return ERR_VALIDATION;
		}
		if ((rc = crud_resolve(c, &merchants_entity, who, &merchant)) != ERR_OK)
			return rc;
	}
	if (view == NULL)
		view = "overview";
	if (view_record_id(c, id) != 0)
		return ERR_VALIDATION;
	const char *tab_of = strcmp(view, "ticket") == 0 ? "tickets" : view;
	struct render_dict *d = render_dict_new();
	char page[128], base[200];
	if (c->caller.role == ROLE_MERCHANT)
		snprintf(page, sizeof(page), MERCHANT_PAGE "?");
	else
		snprintf(page, sizeof(page), MERCHANT_PAGE "?merchant=%lld&",
		    (long long)merchant);
	int found = 0;
	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		struct render_dict *t = render_section(d, "TAB");
		render_set(t, "NAME", tabs[i].name);
		render_set(t, "LABEL", msg(lang, tabs[i].label));
		if (strcmp(tabs[i].name, tab_of) == 0) {
			render_show(t, "CURRENT");
			found = 1;
		}
	}
	if (!found) {
		render_dict_free(d);
		verr_add(&c->ve, "view", "view must be one of the page's tabs", NULL);
		return ERR_VALIDATION;
	}
	/* Links of this page: "...html?view=" or "...html?merchant=7&view=". */
	render_set_global(d, "PAGE", MERCHANT_PAGE);
	render_set_global(d, "HERE", page);
	render_set_global(d, "CSRF", c->caller.csrf);
	snprintf(base, sizeof(base), "%sview=%s", page, view);
	if (strcmp(view, "ticket") == 0 && id)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), "&id=%s", id);
	render_set_global(d, "BACK", act_back_valid(base) ? base : MERCHANT_PAGE);
	cJSON *o = dashboard_merchant(c->db, merchant, clock_now_ms());
	if (o == NULL) {
		render_dict_free(d);
		return ERR_DB;
	}
	struct buf title = { 0 };
	msg_printf(&title, lang, "MERCHANT_TITLE", str(cJSON_GetObjectItem(o, "merchant"),
	    "name"), NULL);
	render_set_global(d, "TITLE", buf_str(&title));
	buf_free(&title);
	if (strcmp(view, "overview") == 0)
		rc = overview(c, o, d);
	else if (strcmp(view, "invoices") == 0)
		rc = view_render(c, &admin_views[ADMIN_VIEW_INVOICES], base, merchant, d);
	else if (strcmp(view, "tickets") == 0) {
		rc = view_render(c, &admin_views[ADMIN_VIEW_TICKETS], base, merchant, d);
		new_ticket_form(c, merchant, d);
	} else
		rc = id ? admin_ticket(c, id, d) : ERR_NOT_FOUND;
	cJSON_Delete(o);
	if (rc != ERR_OK) {
		render_dict_free(d);
		return rc;
	}
	return page_render(c, "merchant.tpl", d, 200);
}
