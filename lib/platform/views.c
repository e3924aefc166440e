#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "page.h"
#include "views.h"

/* Appends s to b %-encoded for a URL's query. */
static void
url_put(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-_.~", ch))
			buf_putc(b, (char)ch);
		else
			buf_printf(b, "%%%02X", ch);
	}
}

const char *
view_like(struct arena *a, const char *q)
{
	struct buf b = { 0 };
	buf_putc(&b, '%');
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *q);
	}
	buf_putc(&b, '%');
	const char *out = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return out;
}

void
view_count(const char *lang, int64_t n, char *out, size_t size)
{
	char t[64];
	msg_number(lang, n * 100, t, sizeof(t));
	size_t len = strlen(t);
	/* Without the decimals: the separator and two digits. */
	if (len >= 3)
		t[len - 3] = '\0';
	snprintf(out, size, "%s", t);
}

void
view_cell(const char *lang, enum cell k, const char *v, char *out, size_t n)
{
	char key[64];
	long long cents = 0;
	char cur[8] = "";
	out[0] = '\0';
	if (v == NULL)
		return;
	switch (k) {
	case CELL_DATE:
		msg_date(lang, v, out, n);
		break;
	case CELL_MONEY:
		if (sscanf(v, "%lld %7s", &cents, cur) == 2)
			msg_money(lang, cents, cur, out, n);
		break;
	case CELL_STATE: {
		size_t i = 0;
		snprintf(key, sizeof(key), "STATE_");
		for (i = 0; v[i] && i + 7 < sizeof(key); i++)
			key[6 + i] = (char)toupper((unsigned char)v[i]);
		key[6 + i] = '\0';
		const char *w = msg(lang, key);
		snprintf(out, n, "%s", strcmp(w, key) == 0 ? v : w);
		break;
	}
	case CELL_NUMBER:
		view_count(lang, strtoll(v, NULL, 10), out, n);
		break;
	case CELL_MS:
		view_count(lang, strtoll(v, NULL, 10), key, sizeof(key));
		snprintf(out, n, "%s ms", key);
		break;
	case CELL_PERCENT:
		snprintf(out, n, "%.0f %%", strtod(v, NULL));
		break;
	default:
		snprintf(out, n, "%s", v);
	}
}

int
view_record_id(struct ctx *c, const char *id)
{
	if (id && (*id == '\0' || strlen(id) > 40 ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(id))) {
		verr_add(&c->ve, "id", "id must be a record's id or documentId", NULL);
		return -1;
	}
	return 0;
}

void
view_options(const char *lang, struct render_dict *d, const char *section,
    const char *const *values, const char *selected)
{
	for (size_t i = 0; values && values[i]; i++) {
		char w[64];
		struct render_dict *o = render_section(d, section);
		view_cell(lang, CELL_STATE, values[i], w, sizeof(w));
		render_set(o, "VALUE", values[i]);
		render_set(o, "LABEL", w);
		if (selected && strcmp(selected, values[i]) == 0)
			render_show(o, "SELECTED");
	}
}

/* Binds the view's filter, search and merchant from index 1; returns the
 * next index. */
static int
bind_where(sqlite3_stmt *st, const char *status, const char *arg, int64_t merchant)
{
	int n = 1;
	if (status)
		db_bind_text(st, n++, status);
	if (arg)
		db_bind_text(st, n++, arg);
	if (merchant > 0)
		sqlite3_bind_int64(st, n++, merchant);
	return n;
}

/* The values the view's filter takes (NULL-terminated), or NULL. */
static const char *const *
view_enums(const struct view *v)
{
	int i = v->filter_of ? entity_field(v->filter_of, v->filter_field) : -1;
	return i < 0 ? NULL : v->filter_of->fields[i].enums;
}

/* The link to page p of the view under the current search and sort. */
static void
link_to(struct buf *b, const char *base, const char *q, const char *status,
    const char *sort, const char *dir, long long p)
{
	buf_puts(b, base);
	if (q && *q) {
		buf_puts(b, "&q=");
		url_put(b, q);
	}
	if (status && *status) {
		buf_puts(b, "&status=");
		url_put(b, status);
	}
	if (sort) {
		buf_printf(b, "&sort=%s&dir=%s", sort, dir);
	}
	if (p > 1)
		buf_printf(b, "&page=%lld", p);
}

enum err
view_render(struct ctx *c, const struct view *v, const char *base, int64_t merchant,
    struct render_dict *d)
{
	const char *lang = page_lang(c);
	const char *q = http_param(c->req, "q"), *status = http_param(c->req, "status");
	const char *sort = http_param(c->req, "sort"), *dir = http_param(c->req, "dir");
	const char *pg = http_param(c->req, "page");
	const struct view_col *by = NULL;
	const char *const *enums = view_enums(v);
	long long page = 1;
	/* Every parameter is checked against what the view lists. */
	if (q && (*q == '\0' || v->search == NULL))
		q = NULL;
	if (q && (strlen(q) > 200 || !valid_text(q, 0)))
		verr_add(&c->ve, "q", "q must be a line of at most 200 characters", NULL);
	if (status && *status == '\0')
		status = NULL;
	if (status) {
		int known = 0;
		for (size_t i = 0; enums && enums[i]; i++)
			known |= strcmp(enums[i], status) == 0;
		if (!known)
			verr_add(&c->ve, "status", "status must be one of the view's states",
			    NULL);
	}
	for (size_t i = 0; sort && i < v->ncols; i++)
		if (strcmp(v->cols[i].key, sort) == 0)
			by = &v->cols[i];
	if (sort && by == NULL)
		verr_add(&c->ve, "sort", "sort must be a column of the table", NULL);
	if (dir && strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0)
		verr_add(&c->ve, "dir", "dir must be asc or desc", NULL);
	if (pg) {
		char *end;
		page = strtoll(pg, &end, 10);
		if (*end || page < 1 || page > 1000000)
			verr_add(&c->ve, "page", "page must be a number from 1", NULL);
	}
	if (c->ve.n > 0)
		return ERR_VALIDATION;
	int desc = dir == NULL || strcmp(dir, "desc") == 0;
	/* A merchant only ever sees its own rows. */
	if (c->caller.role == ROLE_MERCHANT)
		merchant = c->caller.merchant_id;
	const char *scope = merchant > 0 ? v->scope_sql : NULL;
	if (merchant > 0 && scope == NULL)
		return ERR_NOT_FOUND;
	const char *arg = q ? v->search_arg(&c->req->arena, q) : NULL;
	if (q && arg == NULL)	/* a search of nothing searchable finds nothing */
		arg = "";

	/* WHERE: the filter, the search, the merchant's scope, each bound. */
	struct buf where = { 0 }, sql = { 0 };
	buf_puts(&where, "1");
	if (status)
		buf_printf(&where, " AND %s = ?", v->filter_sql);
	if (q)
		buf_printf(&where, " AND %s", v->search);
	if (scope)
		buf_printf(&where, " AND %s = ?", scope);
	enum err rc = ERR_DB;
	long long total = 0;
	sqlite3_stmt *st = NULL;
	/* Counted up to VIEW_COUNT_MAX: past it, "1,000+" (counting every
	 * row of a large table would cost more than the page). */
	buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d)",
	    q == NULL && v->count_from ? v->count_from : v->from, where.data,
	    VIEW_COUNT_MAX + 1);
	if ((st = db_prepare(c->db, sql.data)) == NULL)
		goto out;
	bind_where(st, status, q ? arg : NULL, scope ? merchant : 0);
	if (db_step(c->db, st) != DB_ROW)
		goto out;
	total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;

	buf_reset(&sql);
	buf_printf(&sql, "SELECT %s", v->id_sql);
	for (size_t i = 0; i < v->ncols; i++)
		buf_printf(&sql, ", %s", v->cols[i].sql);
	buf_printf(&sql, " FROM %s WHERE %s ORDER BY ", v->from, where.data);
	if (by)
		buf_printf(&sql, "%s %s, %s DESC", by->sql, desc ? "DESC" : "ASC", v->id_sql);
	else
		buf_puts(&sql, v->order);
	buf_puts(&sql, " LIMIT ? OFFSET ?");
	if ((st = db_prepare(c->db, sql.data)) == NULL)
		goto out;
	int n = bind_where(st, status, q ? arg : NULL, scope ? merchant : 0);
	/* One row more than a page: whether a next page exists. */
	sqlite3_bind_int64(st, n++, VIEW_PAGE_SIZE + 1);
	sqlite3_bind_int64(st, n, (page - 1) * VIEW_PAGE_SIZE);

	/* table.tpl, shared by the dashboards, with a dictionary of its own. */
	struct render_dict *t = render_include(render_section(d, "TABLE"), "PART_TABLE",
	    "table.tpl");
	render_set(t, "VIEW", v->name);
	render_set(t, "CAPTION", msg(lang, v->title));
	render_set(t, "Q", q ? q : "");
	if (merchant > 0 && c->caller.role != ROLE_MERCHANT)
		render_set_int(render_section(t, "FOR_MERCHANT"), "ID", (long)merchant);
	if (v->search)
		render_show(t, "SEARCH");
	if (enums)
		view_options(lang, render_section(t, "FILTER"), "OPTION", enums, status);
	for (size_t i = 0; i < v->ncols; i++) {
		struct render_dict *h = render_section(t, "HEAD");
		struct buf l = { 0 };
		int current = by == &v->cols[i];
		/* A click sorts by it, and a second one turns the order. */
		link_to(&l, base, q, status, v->cols[i].key,
		    current && desc ? "asc" : "desc", 1);
		render_set(h, "LABEL", msg(lang, v->cols[i].label));
		render_set(h, "URL", buf_str(&l));
		render_set(h, "ARIA_SORT", current ? desc ? "descending" : "ascending" :
		    "none");
		buf_free(&l);
	}
	enum db_rc r;
	int rows = 0;
	while ((r = db_step(c->db, st)) == DB_ROW && rows < VIEW_PAGE_SIZE) {
		struct render_dict *row = render_section(t, "ROW");
		render_set(row, "ID", db_col_text(st, 0));
		for (size_t i = 0; i < v->ncols; i++) {
			char cell[256];
			const char *raw = sqlite3_column_type(st, (int)i + 1) == SQLITE_NULL ?
			    NULL : db_col_text(st, (int)i + 1);
			view_cell(lang, v->cols[i].kind, raw, cell, sizeof(cell));
			struct render_dict *cd = render_section(row, "CELL");
			render_set(cd, "TEXT", cell);
			if (v->cols[i].kind == CELL_STATE)
				render_set(render_section(cd, "STATE"), "VALUE", raw ? raw : "");
		}
		if (v->action)
			render_show(row, v->action);
		rows++;
	}
	if (r != DB_DONE && r != DB_ROW)
		goto out;
	int more = r == DB_ROW, capped = total > VIEW_COUNT_MAX;
	if (rows == 0)
		render_show(t, "EMPTY");
	long long pages = (total + VIEW_PAGE_SIZE - 1) / VIEW_PAGE_SIZE;
	char num[64];
	struct buf m = { 0 };
	view_count(lang, capped ? VIEW_COUNT_MAX : total, num, sizeof(num));
	msg_printf(&m, lang, capped ? "TABLE_TOTAL_MORE" : "TABLE_TOTAL", num, NULL);
	render_set(t, "TOTAL", buf_str(&m));
	buf_reset(&m);
	if (pages > 1 || page > 1) {
		char a[32], b[32];
		view_count(lang, page, a, sizeof(a));
		view_count(lang, pages, b, sizeof(b));
		if (capped)
			msg_printf(&m, lang, "TABLE_PAGE_OF_MANY", a, NULL);
		else
			msg_printf(&m, lang, "TABLE_PAGE", a, b, NULL);
		struct render_dict *pd = render_section(t, "PAGES");
		render_set(pd, "TEXT", buf_str(&m));
		const char *sk = by ? by->key : NULL, *sd = desc ? "desc" : "asc";
		if (page > 1) {
			struct buf l = { 0 };
			link_to(&l, base, q, status, sk, sd, page - 1);
			render_set(render_section(pd, "PREV"), "URL", buf_str(&l));
			buf_free(&l);
		}
		if (more) {
			struct buf l = { 0 };
			link_to(&l, base, q, status, sk, sd, page + 1);
			render_set(render_section(pd, "NEXT"), "URL", buf_str(&l));
			buf_free(&l);
		}
	}
	buf_free(&m);
	rc = ERR_OK;
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	buf_free(&where);
	return rc;
}

/* A chart's value v of kind k (CELL_MONEY: cents of euros) as lang
 * writes it. */
static void
chart_value(const char *lang, enum cell k, double v, char *out, size_t n)
{
	char raw[48];
	if (k == CELL_MONEY)
		snprintf(raw, sizeof(raw), "%.0f EUR", v);
	else
		snprintf(raw, sizeof(raw), "%.0f", v);
	view_cell(lang, k, raw, out, n);
}

#define CHART_W		640
#define CHART_H		220
#define CHART_LEFT	64
#define CHART_TOP	16
#define CHART_BOTTOM	40

void
view_chart(const char *lang, struct render_dict *d, const char *id, const char *title,
    const char *const *labels, const double *values, size_t n,
    const char *const *series, size_t ns, enum cell kind)
{
	struct render_dict *ch = render_include(render_section(d, "CHART"), "PART_CHART",
	    "chart.tpl");
	char tmp[64], num[32];
	double max = 0;
	for (size_t i = 0; i < n * ns; i++)
		if (values[i] > max)
			max = values[i];
	render_set(ch, "ID", id);
	render_set(ch, "TITLE", msg(lang, title));
	render_set_int(ch, "W", CHART_W);
	render_set_int(ch, "H", CHART_H);
	render_set_int(ch, "LEFT", CHART_LEFT);
	render_set_int(ch, "BASE", CHART_H - CHART_BOTTOM);
	render_set_int(ch, "RIGHT", CHART_W - 8);
	render_set_int(ch, "TOP", CHART_TOP);
	chart_value(lang, kind, max, tmp, sizeof(tmp));
	render_set(ch, "MAX", tmp);
	if (n == 0)
		render_show(ch, "NO_DATA");
	double plot = CHART_H - CHART_BOTTOM - CHART_TOP;
	double gw = n ? (double)(CHART_W - CHART_LEFT - 8) / (double)n : 0;
	double bw = gw * 0.8 / (double)(ns ? ns : 1);
	/* Every label when they fit, else every other one. */
	size_t every = n > 8 ? (n + 7) / 8 : 1;
	for (size_t i = 0; i < n; i++) {
		double gx = CHART_LEFT + gw * (double)i + gw * 0.1;
		for (size_t s = 0; s < ns; s++) {
			double v = values[s * n + i];
			double h = max > 0 ? v / max * plot : 0;
			struct render_dict *b = render_section(ch, "BAR");
			snprintf(num, sizeof(num), "%.1f", gx + bw * (double)s);
			render_set(b, "X", num);
			snprintf(num, sizeof(num), "%.1f", CHART_H - CHART_BOTTOM - h);
			render_set(b, "Y", num);
			snprintf(num, sizeof(num), "%.1f", bw);
			render_set(b, "BW", num);
			snprintf(num, sizeof(num), "%.1f", h);
			render_set(b, "BH", num);
			render_set_int(b, "SERIES", (long)s);
			chart_value(lang, kind, v, tmp, sizeof(tmp));
			render_set(b, "VALUE", tmp);
			render_set(b, "LABEL", labels[i]);
			render_set(b, "SERIES_NAME", msg(lang, series[s]));
		}
		if (i % every == 0) {
			struct render_dict *t = render_section(ch, "TICK");
			snprintf(num, sizeof(num), "%.1f", gx + gw * 0.4);
			render_set(t, "X", num);
			render_set_int(t, "Y", CHART_H - CHART_BOTTOM + 16);
			render_set(t, "LABEL", labels[i]);
		}
	}
	for (size_t s = 0; ns > 1 && s < ns; s++) {
		struct render_dict *l = render_section(ch, "LEGEND");
		render_set_int(l, "SERIES", (long)s);
		render_set(l, "NAME", msg(lang, series[s]));
	}
}

void
view_chart_points(const char *lang, struct render_dict *d, const char *id,
    const char *title, const char *series, const cJSON *points,
    const char *label_member, view_label_fn label, const char *value_member,
    enum cell kind)
{
	size_t n = (size_t)cJSON_GetArraySize(points);
	char (*lab)[64] = calloc(n + 1, sizeof(*lab));
	const char **labels = calloc(n + 1, sizeof(*labels));
	double *vals = calloc(n + 1, sizeof(*vals));
	for (size_t i = 0; i < n; i++) {
		const cJSON *p = cJSON_GetArrayItem(points, (int)i);
		const char *raw = cJSON_GetStringValue(cJSON_GetObjectItem(p, label_member));
		label(lang, raw ? raw : "", lab[i], sizeof(lab[i]));
		labels[i] = lab[i];
		const cJSON *v = cJSON_GetObjectItem(p, value_member);
		vals[i] = cJSON_IsNumber(v) ? v->valuedouble : 0;
	}
	const char *const names[] = { series };
	view_chart(lang, d, id, title, labels, vals, n, names, 1, kind);
	free(lab);
	free(labels);
	free(vals);
}
