/*
 * The platform's dashboard, /marketplace/platform-admin.html: the figures
 * of dashboard_platform() as cards and charts drawn on the server (inline
 * SVG), the tables of views.c, a ticket's page and a plan's form. Every
 * action is a form through POST /marketplace/act (act.c), so it runs the
 * API's own route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "admin.h"
#include "backends.h"
#include "clock.h"
#include "crud.h"
#include "dashboard.h"
#include "invoices.h"
#include "merchants.h"
#include "msg.h"
#include "page.h"
#include "plans.h"
#include "subscriptions.h"
#include "tickets.h"
#include "views.h"

#define ADMIN_PAGE	"/marketplace/platform-admin.html"

enum stmt_admin {
	STMT_AD_AGENTS,
	STMT_AD_RESPONSES,
	STMT_AD__MAX
};

static const char *const stmts[STMT_AD__MAX] = {
	/* Who a ticket may be given to. */
	[STMT_AD_AGENTS] = "SELECT id, username FROM users WHERE role = 'agent' AND "
	    "blocked = 0 ORDER BY username LIMIT 500",
	/* A ticket's thread; ?2 = 1 shows the internal notes. */
	[STMT_AD_RESPONSES] = "SELECT r.body, r.internal, r.author_role, "
	    "coalesce(u.username, ''), r.created_at, r.time_spent_minutes FROM "
	    "ticket_responses r LEFT JOIN users u ON u.id = r.author_id WHERE "
	    "r.ticket_id = ?1 AND (?2 = 1 OR r.internal = 0) ORDER BY r.created_at, "
	    "r.id LIMIT 1000",
};

/* The tables. Merchants see their own rows of those with a scope. */
static const struct view_col merchant_cols[] = {
	{ "name", "COL_NAME", "m.name", CELL_TEXT },
	{ "email", "COL_EMAIL", "m.email", CELL_TEXT },
	{ "country", "COL_COUNTRY", "m.country", CELL_TEXT },
	{ "plan", "COL_PLAN", "(SELECT p.name FROM subscriptions s JOIN "
	    "subscription_plans p ON p.id = s.plan_id WHERE s.merchant_id = m.id AND "
	    "s.status != 'cancelled')", CELL_TEXT },
	{ "status", "COL_STATUS", "m.status", CELL_STATE },
	{ "created", "COL_CREATED", "m.created_at", CELL_DATE },
};
static const struct view_col subscription_cols[] = {
	{ "merchant", "COL_MERCHANT", "m.name", CELL_TEXT },
	{ "plan", "COL_PLAN", "p.name", CELL_TEXT },
	{ "price", "COL_PRICE", "printf('%d %s', p.price_cents, p.currency)",
	    CELL_MONEY },
	{ "status", "COL_STATUS", "s.status", CELL_STATE },
	{ "renewal", "COL_PERIOD_END", "s.current_period_end", CELL_DATE },
	{ "created", "COL_CREATED", "s.created_at", CELL_DATE },
};
static const struct view_col invoice_cols[] = {
	{ "number", "COL_NUMBER", "i.number", CELL_TEXT },
	{ "merchant", "COL_MERCHANT", "m.name", CELL_TEXT },
	{ "total", "COL_TOTAL", "printf('%d %s', i.total_cents, i.currency)",
	    CELL_MONEY },
	{ "status", "COL_STATUS", "i.status", CELL_STATE },
	{ "issued", "COL_ISSUED", "i.issued_at", CELL_DATE },
	{ "due", "COL_DUE", "i.due_at", CELL_DATE },
};
static const struct view_col ticket_cols[] = {
	{ "reference", "COL_REFERENCE", "t.reference", CELL_TEXT },
	{ "subject", "COL_SUBJECT", "t.subject", CELL_TEXT },
	{ "merchant", "COL_MERCHANT", "m.name", CELL_TEXT },
	{ "priority", "COL_PRIORITY", "t.priority", CELL_STATE },
	{ "status", "COL_STATUS", "t.status", CELL_STATE },
	{ "assignee", "COL_ASSIGNEE", "u.username", CELL_TEXT },
	{ "due", "COL_FIRST_RESPONSE_DUE", "t.first_response_due_at", CELL_DATE },
	{ "updated", "COL_UPDATED", "t.updated_at", CELL_DATE },
};
static const struct view_col backend_cols[] = {
	{ "subdomain", "COL_SUBDOMAIN", "b.subdomain", CELL_TEXT },
	{ "merchant", "COL_MERCHANT", "m.name", CELL_TEXT },
	{ "status", "COL_STATUS", "b.status", CELL_STATE },
	{ "health", "COL_HEALTH", "b.health", CELL_STATE },
	{ "latency", "COL_LATENCY", "b.last_latency_ms", CELL_MS },
	{ "uptime", "COL_UPTIME", "b.uptime_24h", CELL_PERCENT },
	{ "updated", "COL_UPDATED", "b.updated_at", CELL_DATE },
};
static const struct view_col plan_cols[] = {
	{ "name", "COL_NAME", "p.name", CELL_TEXT },
	{ "slug", "COL_SLUG", "p.slug", CELL_TEXT },
	{ "price", "COL_PRICE", "printf('%d %s', p.price_cents, p.currency)",
	    CELL_MONEY },
	{ "interval", "COL_INTERVAL", "p.interval", CELL_STATE },
	{ "trial", "COL_TRIAL_DAYS", "p.trial_days", CELL_NUMBER },
	{ "active", "COL_ACTIVE", "CASE WHEN p.active THEN 'active' ELSE 'inactive' END",
	    CELL_STATE },
	{ "order", "COL_SORT_ORDER", "p.sort_order", CELL_NUMBER },
};

#define COLS(a) a, sizeof(a) / sizeof(a[0])

static const char *
ticket_search(struct arena *a, const char *q)
{
	return tickets_search_phrase(a, q);
}

const struct view admin_views[ADMIN_VIEW__MAX] = {
	[ADMIN_VIEW_MERCHANTS] = { "merchants", "TAB_MERCHANTS", ROLE_ADMIN,
	    "merchants m", NULL, "m.id", COLS(merchant_cols),
	    "(m.name LIKE ?1 ESCAPE '\\' OR m.email LIKE ?1 ESCAPE '\\' OR "
	    "m.slug LIKE ?1 ESCAPE '\\')", view_like, "m.status", &merchants_entity,
	    "status", "m.id", "m.id DESC", "ACTIONS_MERCHANT" },
	[ADMIN_VIEW_SUBSCRIPTIONS] = { "subscriptions", "TAB_SUBSCRIPTIONS", ROLE_ADMIN,
	    "subscriptions s JOIN merchants m ON m.id = s.merchant_id JOIN "
	    "subscription_plans p ON p.id = s.plan_id", "subscriptions s", "s.id",
	    COLS(subscription_cols),
	    "(m.name LIKE ?1 ESCAPE '\\' OR p.name LIKE ?1 ESCAPE '\\')", view_like,
	    "s.status", &subscriptions_entity, "status", "s.merchant_id", "s.id DESC",
	    NULL },
	[ADMIN_VIEW_INVOICES] = { "invoices", "TAB_INVOICES",
	    ROLE_ADMIN | ROLE_MERCHANT, "invoices i JOIN merchants m ON "
	    "m.id = i.merchant_id", "invoices i", "i.id", COLS(invoice_cols),
	    "(i.number LIKE ?1 ESCAPE '\\' OR m.name LIKE ?1 ESCAPE '\\')", view_like,
	    "i.status", &invoices_entity, "status", "i.merchant_id",
	    "i.issued_at DESC, i.id DESC", "ACTIONS_INVOICE" },
	[ADMIN_VIEW_TICKETS] = { "tickets", "TAB_TICKETS", ROLES_SIGNED_IN,
	    "support_tickets t JOIN merchants m ON m.id = t.merchant_id LEFT JOIN "
	    "users u ON u.id = t.assignee_id", "support_tickets t", "t.id",
	    COLS(ticket_cols),
	    "t.id IN (SELECT rowid FROM support_tickets_fts WHERE "
	    "support_tickets_fts MATCH ?)", ticket_search, "t.status", &tickets_entity,
	    "status", "t.merchant_id", "t.id DESC", "ACTIONS_TICKET" },
	[ADMIN_VIEW_BACKENDS] = { "backends", "TAB_BACKENDS", ROLE_ADMIN,
	    "merchant_backends b JOIN merchants m ON m.id = b.merchant_id",
	    "merchant_backends b", "b.id", COLS(backend_cols),
	    "(b.subdomain LIKE ?1 ESCAPE '\\' OR m.name LIKE ?1 ESCAPE '\\')", view_like,
	    "b.status", &backends_entity, "status", "b.merchant_id", "b.id DESC",
	    "ACTIONS_BACKEND" },
	[ADMIN_VIEW_PLANS] = { "plans", "TAB_PLANS", ROLE_ADMIN,
	    "subscription_plans p", NULL, "p.id", COLS(plan_cols),
	    "(p.name LIKE ?1 ESCAPE '\\' OR p.slug LIKE ?1 ESCAPE '\\')", view_like,
	    NULL, NULL, NULL, NULL, "p.sort_order, p.id", "ACTIONS_PLAN" },
};

/* The tabs of the page, in order: the overview, then the tables. */
static const struct tab {
	const char	*name, *label;
	unsigned	 roles;
} tabs[] = {
	{ "overview", "TAB_OVERVIEW", ROLES_STAFF },
	{ "merchants", "TAB_MERCHANTS", ROLE_ADMIN },
	{ "subscriptions", "TAB_SUBSCRIPTIONS", ROLE_ADMIN },
	{ "invoices", "TAB_INVOICES", ROLE_ADMIN },
	{ "tickets", "TAB_TICKETS", ROLES_STAFF },
	{ "backends", "TAB_BACKENDS", ROLE_ADMIN },
	{ "plans", "TAB_PLANS", ROLE_ADMIN },
};

/* A shop's latency member in ms, 0 when it has none yet. */
static double
ms_of(const cJSON *shop, const char *member)
{
	const cJSON *v = cJSON_GetObjectItem(shop, member);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* "2026-11" as the language names the month: "nov. 2026", "Nov 2026". */
static void
month_label(const char *lang, const char *ym, char *out, size_t n)
{
	char iso[32];
	snprintf(iso, sizeof(iso), "%.7s-01T00:00:00.000Z", ym ? ym : "");
	char full[64];
	msg_date(lang, iso, full, sizeof(full));
	/* Keep the month and the year: drop the day. */
	const char *sp = strchr(full, ' ');
	const char *slash = strchr(full, '/');
	snprintf(out, n, "%s", sp ? sp + 1 : slash ? slash + 1 : full);
}

/* The KPI cards and the charts of the overview, from the dashboard's own
 * object. */
static void
overview(struct ctx *c, const cJSON *o, struct render_dict *d)
{
	const char *lang = page_lang(c);
	const cJSON *k = cJSON_GetObjectItem(o, "kpis");
	static const struct { const char *key, *label; int money; } cards[] = {
		{ "merchants", "KPI_MERCHANTS", 0 },
		{ "activeSubscriptions", "KPI_ACTIVE_SUBSCRIPTIONS", 0 },
		{ "trialingSubscriptions", "KPI_TRIALING_SUBSCRIPTIONS", 0 },
		{ "mrrCents", "KPI_MRR", 1 },
		{ "revenueThisMonthCents", "KPI_REVENUE_THIS_MONTH", 1 },
		{ "openTickets", "KPI_OPEN_TICKETS", 0 },
		{ "slaBreaches30d", "KPI_SLA_BREACHES", 0 },
	};
	struct render_dict *ov = render_section(d, "OVERVIEW");
	char v[64];
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		const cJSON *n = cJSON_GetObjectItem(k, cards[i].key);
		if (!cJSON_IsNumber(n))
			continue;
		struct render_dict *card = render_section(ov, "CARD");
		if (cards[i].money)
			msg_money(lang, (int64_t)n->valuedouble, "EUR", v, sizeof(v));
		else
			view_count(lang, (int64_t)n->valuedouble, v, sizeof(v));
		render_set(card, "KEY", cards[i].key);
		render_set(card, "LABEL", msg(lang, cards[i].label));
		render_set(card, "VALUE", v);
	}
	const cJSON *b = cJSON_GetObjectItem(k, "backends");
	if (b) {
		struct render_dict *card = render_section(ov, "HEALTH_CARD");
		static const char *const h[] = { "healthy", "degraded", "down" };
		for (size_t i = 0; i < 3; i++) {
			struct render_dict *s = render_section(card, "HEALTH");
			char w[64];
			view_cell(lang, CELL_STATE, h[i], w, sizeof(w));
			render_set(s, "STATE", h[i]);
			render_set(s, "LABEL", w);
			render_set_int(s, "COUNT", (long)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(b, h[i])));
		}
	}
	/* Revenue by month. */
	const cJSON *rev = cJSON_GetObjectItem(o, "revenueByMonth");
	if (rev)
		view_chart_points(lang, ov, "revenue", "CHART_REVENUE_TITLE", "CHART_REVENUE",
		    rev, "month", month_label, "revenueCents", CELL_MONEY);
	/* Tickets created and resolved by week. */
	const cJSON *weeks = cJSON_GetObjectItem(o, "ticketsByWeek");
	if (weeks) {
		size_t n = (size_t)cJSON_GetArraySize(weeks);
		const char **labels = calloc(n + 1, sizeof(*labels));
		double *vals = calloc(2 * n + 1, sizeof(*vals));
		for (size_t i = 0; i < n; i++) {
			const cJSON *w = cJSON_GetArrayItem(weeks, (int)i);
			labels[i] = cJSON_GetStringValue(cJSON_GetObjectItem(w, "week"));
			vals[i] = cJSON_GetNumberValue(cJSON_GetObjectItem(w, "created"));
			vals[n + i] = cJSON_GetNumberValue(cJSON_GetObjectItem(w, "resolved"));
		}
		static const char *const s[] = { "CHART_CREATED", "CHART_RESOLVED" };
		view_chart(lang, ov, "tickets", "CHART_TICKETS_TITLE", labels, vals, n, s, 2,
		    CELL_NUMBER);
		free(labels);
		free(vals);
	}
	/* The shops' latency, p50 and p95: the 20 slowest by p95 (a shop not
	 * probed yet counts 0). */
	const cJSON *shops = cJSON_GetObjectItem(o, "backends");
	if (shops) {
		size_t all = (size_t)cJSON_GetArraySize(shops), n = all > 20 ? 20 : all;
		const cJSON **pick = calloc(all + 1, sizeof(*pick));
		const char **labels = calloc(n + 1, sizeof(*labels));
		double *vals = calloc(2 * n + 1, sizeof(*vals));
		size_t got = 0;
		const cJSON *s;
		cJSON_ArrayForEach(s, shops)
			pick[got++] = s;
		for (size_t i = 0; i < n; i++) {
			size_t top = i;
			for (size_t j = i + 1; j < all; j++)
				if (ms_of(pick[j], "latencyP95Ms") > ms_of(pick[top], "latencyP95Ms"))
					top = j;
			const cJSON *t = pick[top];
			pick[top] = pick[i];
			pick[i] = t;
			labels[i] = cJSON_GetStringValue(cJSON_GetObjectItem(t, "subdomain"));
			vals[i] = ms_of(t, "latencyP50Ms");
			vals[n + i] = ms_of(t, "latencyP95Ms");
		}
		static const char *const sn[] = { "CHART_P50", "CHART_P95" };
		view_chart(lang, ov, "latency", "CHART_LATENCY_TITLE", labels, vals, n, sn, 2,
		    CELL_MS);
		free(pick);
		free(labels);
		free(vals);
	}
}

/* The template's name of a JSON member: "status" -> "STATUS", with suffix
 * after it ("" for none). */
static const char *
key_of(const char *member, const char *suffix, char *out, size_t n)
{
	size_t i = 0;
	for (; member[i] && i + 1 < n; i++)
		out[i] = (char)(member[i] >= 'a' && member[i] <= 'z' ? member[i] - 32 :
		    member[i]);
	out[i] = '\0';
	snprintf(out + i, n - i, "%s", suffix);
	return out;
}

/* The states a ticket may move to from status, for a select. */
static void
moves(const char *lang, const char *status, struct render_dict *d)
{
	char list[256];
	const char *to[16];
	size_t n = 0;
	snprintf(list, sizeof(list), "%s", tickets_allowed_moves(status));
	char *save = NULL;
	for (char *t = strtok_r(list, ", ", &save); t && n < 15; t = strtok_r(NULL, ", ",
	    &save))
		to[n++] = t;
	to[n] = NULL;
	view_options(lang, d, "MOVE", to, NULL);
}

enum err
admin_ticket(struct ctx *c, const char *id, struct render_dict *d)
{
	const char *lang = page_lang(c);
	int64_t rowid = 0;
	enum err rc = crud_resolve(c, &tickets_entity, id, &rowid);
	if (rc != ERR_OK)
		return rc;
	cJSON *t = crud_read(c, &tickets_entity, rowid);
	if (t == NULL)
		return ERR_DB;
	int staff = c->caller.role != ROLE_MERCHANT;
	struct render_dict *s = render_include(render_section(d, "TICKET"),
	    "PART_TICKET", "ticket.tpl");
	char w[128];
	static const char *const text[] = { "reference", "subject", "description" };
	for (size_t i = 0; i < 3; i++) {
		char key[32];
		render_set(s, key_of(text[i], "", key, sizeof(key)),
		    cJSON_GetStringValue(cJSON_GetObjectItem(t, text[i])));
	}
	render_set_int(s, "ID", (long)rowid);
	static const char *const states[] = { "status", "priority", "category" };
	for (size_t i = 0; i < 3; i++) {
		char key[32];
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(t, states[i]));
		view_cell(lang, CELL_STATE, v, w, sizeof(w));
		render_set(s, key_of(states[i], "", key, sizeof(key)), w);
		render_set(s, key_of(states[i], "_VALUE", key, sizeof(key)), v);
	}
	view_cell(lang, CELL_DATE, cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "createdAt")), w, sizeof(w));
	render_set(s, "CREATED", w);
	view_cell(lang, CELL_DATE, cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "firstResponseDueAt")), w, sizeof(w));
	render_set(s, "DUE", w);
	if (staff) {
		struct render_dict *a = render_section(s, "STAFF");
		moves(lang, cJSON_GetStringValue(cJSON_GetObjectItem(t, "status")), a);
		int64_t assignee = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(t,
		    "assignee"));
		sqlite3_stmt *st = db_bind(c->db, stmts[STMT_AD_AGENTS], "");
		if (st == NULL)
			goto fail;
		while (db_step(c->db, st) == DB_ROW) {
			struct render_dict *o = render_section(a, "AGENT");
			render_set(o, "ID", db_col_text(st, 0));
			render_set(o, "NAME", db_col_text(st, 1));
			if (sqlite3_column_int64(st, 0) == assignee)
				render_show(o, "SELECTED");
		}
		db_done(st);
	}
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_AD_RESPONSES], "ii", rowid,
	    (int64_t)staff);
	if (st == NULL)
		goto fail;
	while (db_step(c->db, st) == DB_ROW) {
		struct render_dict *r = render_section(s, "RESPONSE");
		render_set(r, "BODY", db_col_text(st, 0));
		if (sqlite3_column_int(st, 1))
			render_show(r, "INTERNAL");
		render_set(r, "ROLE", db_col_text(st, 2));
		render_set(r, "AUTHOR", db_col_text(st, 3));
		view_cell(lang, CELL_DATE, db_col_text(st, 4), w, sizeof(w));
		render_set(r, "DATE", w);
	}
	db_done(st);
	cJSON_Delete(t);
	return ERR_OK;
fail:
	cJSON_Delete(t);
	return ERR_DB;
}

/* A plan's form: empty to create one, filled to edit plan id. */
static enum err
plan_form(struct ctx *c, const char *id, struct render_dict *d)
{
	const char *lang = page_lang(c);
	struct render_dict *f = render_section(d, "FORM_PLAN");
	cJSON *p = NULL;
	if (id) {
		int64_t rowid = 0;
		enum err rc = crud_resolve(c, &plans_entity, id, &rowid);
		if (rc != ERR_OK)
			return rc;
		if ((p = crud_read(c, &plans_entity, rowid)) == NULL)
			return ERR_DB;
		render_set_int(render_section(f, "EDIT"), "ID", (long)rowid);
	} else
		render_show(f, "CREATE");
	static const char *const text[] = { "name", "slug", "description", "currency" };
	for (size_t i = 0; i < 4; i++) {
		char key[32];
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(p, text[i]));
		render_set(f, key_of(text[i], "", key, sizeof(key)), v ? v : i == 3 ? "EUR" :
		    "");
	}
	static const struct { const char *json, *key; } nums[] = {
		{ "priceCents", "PRICE_CENTS" }, { "trialDays", "TRIAL_DAYS" },
		{ "sortOrder", "SORT_ORDER" },
	};
	for (size_t i = 0; i < 3; i++) {
		const cJSON *n = cJSON_GetObjectItem(p, nums[i].json);
		char v[32] = "";
		if (cJSON_IsNumber(n))
			snprintf(v, sizeof(v), "%.0f", n->valuedouble);
		render_set(f, nums[i].key, v);
	}
	struct buf lines = { 0 };
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(p, "features"))
		buf_printf(&lines, "%s\n", cJSON_GetStringValue(it) ? it->valuestring : "");
	render_set(f, "FEATURES", buf_str(&lines));
	buf_free(&lines);
	view_options(lang, f, "INTERVAL", plans_entity.fields[entity_field(&plans_entity,
	    "interval")].enums, cJSON_GetStringValue(cJSON_GetObjectItem(p, "interval")));
	if (p == NULL || cJSON_IsTrue(cJSON_GetObjectItem(p, "active")))
		render_show(f, "ACTIVE");
	cJSON_Delete(p);
	return ERR_OK;
}

/* The page's own address with its view (and record), for links and for
 * the forms to come back to. */
static void
page_base(const char *view, const char *id, char *out, size_t n)
{
	if (id)
		snprintf(out, n, ADMIN_PAGE "?view=%s&id=%s", view, id);
	else
		snprintf(out, n, ADMIN_PAGE "?view=%s", view);
}

/* Where the page's forms come back to: this very address (its search,
 * sort and page kept) without the last form's message, else base. */
static void
back_to(struct ctx *c, const char *base, struct render_dict *d)
{
	struct buf b = { 0 };
	buf_puts(&b, c->req->path);
	const char *q = c->req->query;
	char sep = '?';
	while (q && *q) {
		size_t n = strcspn(q, "&");
		if (strncmp(q, "flash=", 6) != 0 && n > 0) {
			buf_putc(&b, sep);
			buf_append(&b, q, n);
			sep = '&';
		}
		q += n;
		if (*q == '&')
			q++;
	}
	render_set_global(d, "BACK", act_back_valid(buf_str(&b)) ? buf_str(&b) : base);
	buf_free(&b);
}

enum err
h_page_admin(struct ctx *c)
{
	const char *lang = page_lang(c);
	const char *view = http_param(c->req, "view"), *id = http_param(c->req, "id");
	unsigned role = c->caller.role;
	char base[160];
	if (view == NULL)
		view = "overview";
	if (view_record_id(c, id) != 0)
		return ERR_VALIDATION;
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "ADMIN_TITLE"));
	render_set_global(d, "CSRF", c->caller.csrf);
	render_set_global(d, "PAGE", ADMIN_PAGE);
	render_set_global(d, "HERE", ADMIN_PAGE "?");
	render_set_global(d, "WHO", c->caller.name);
	/* The tabs this caller has. */
	const char *tab_of = strcmp(view, "ticket") == 0 ? "tickets" :
	    strcmp(view, "plan") == 0 ? "plans" : view;
	int found = 0;
	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		if (!(tabs[i].roles & role))
			continue;
		struct render_dict *t = render_section(d, "TAB");
		render_set(t, "NAME", tabs[i].name);
		render_set(t, "LABEL", msg(lang, tabs[i].label));
		if (strcmp(tabs[i].name, tab_of) == 0) {
			render_show(t, "CURRENT");
			found = 1;
		}
	}
	enum err rc = ERR_OK;
	if (!found) {
		render_dict_free(d);
		verr_add(&c->ve, "view", "view must be one of the page's tabs", NULL);
		return ERR_VALIDATION;
	}
	page_base(view, strcmp(view, "ticket") == 0 || strcmp(view, "plan") == 0 ? id :
	    NULL, base, sizeof(base));
	back_to(c, base, d);
	if (strcmp(view, "overview") == 0) {
		cJSON *o = dashboard_platform(c->db, role, clock_now_ms());
		if (o == NULL)
			rc = ERR_DB;
		else
			overview(c, o, d);
		cJSON_Delete(o);
	} else if (strcmp(view, "ticket") == 0) {
		rc = id ? admin_ticket(c, id, d) : ERR_NOT_FOUND;
	} else if (strcmp(view, "plan") == 0) {
		rc = plan_form(c, id, d);
	} else {
		for (size_t i = 0; i < ADMIN_VIEW__MAX; i++)
			if (strcmp(admin_views[i].name, view) == 0)
				rc = view_render(c, &admin_views[i], base, 0, d);
		if (rc == ERR_OK && strcmp(view, "plans") == 0)
			rc = plan_form(c, NULL, d);
	}
	if (rc != ERR_OK) {
		render_dict_free(d);
		return rc;
	}
	return page_render(c, "admin.tpl", d, 200);
}
