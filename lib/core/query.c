#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"
#include "valid.h"

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_IN, OP_NOTIN,
	OP_CONTAINS, OP_NOTCONTAINS, OP_CONTAINSI, OP_STARTSWITH,
	OP_ENDSWITH, OP_NULL, OP_NOTNULL, OP__MAX
};

static const char *const op_names[OP__MAX] = {
	"$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$notIn",
	"$contains", "$notContains", "$containsi", "$startsWith",
	"$endsWith", "$null", "$notNull",
};

/* One parsed filter condition. */
struct cond {
	int		 group;		/* -1 top level, else $or/$and index */
	int		 field;
	enum op		 op;
	int		 list_index;	/* for $in/$notIn: [N], else -1 */
	const char	*value;
};

#define QUERY_MAX_CONDS HTTP_MAX_QUERY_PARAMS

static enum err fail(struct qerror *, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static enum err
fail(struct qerror *qe, const char *param, const char *key, const char *fmt, ...)
{
	va_list ap;
	qe->param = param;
	snprintf(qe->key, sizeof(qe->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(qe->message, sizeof(qe->message), fmt, ap);
	va_end(ap);
	return ERR_VALIDATION;
}

cJSON *
query_error_details(const struct qerror *qe)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "key", qe->key);
	cJSON_AddNullToObject(d, "path");
	cJSON_AddStringToObject(d, "source", "query");
	cJSON_AddStringToObject(d, "param", qe->param ? qe->param : "");
	return d;
}

/* Splits "a[b][c]" into up to max parts: "a", "b", "c". Returns the count,
 * or -1 if malformed. Parts point into buf (a copy of key). */
static int
split_brackets(char *buf, char **parts, int max)
{
	int n = 0;
	char *p = strchr(buf, '[');
	if (p == NULL) {
		parts[n++] = buf;
		return n;
	}
	*p++ = '\0';
	parts[n++] = buf;
	while (p && *p) {
		if (n >= max)
			return -1;
		char *close = strchr(p, ']');
		if (close == NULL || close == p)
			return -1;
		*close = '\0';
		parts[n++] = p;
		p = close + 1;
		if (*p == '\0')
			break;
		if (*p != '[')
			return -1;
		p++;
	}
	return n;
}

static int
parse_index(const char *s, int max)
{
	int64_t v;
	if (valid_int(s, 0, max, &v) != 0 || (s[0] == '0' && s[1]))
		return -1;
	return (int)v;
}

/* Returns 1 when k is prefix[N] with N a small index. */
static int
indexed_key(const char *k, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(k, prefix, n) != 0 || k[n] != '[')
		return 0;
	const char *d = k + n + 1;
	size_t digits = strspn(d, "0123456789");
	return digits > 0 && digits <= 2 && d[digits] == ']' && d[digits + 1] == '\0';
}

static enum err
parse_filter(const struct entity *e, struct arena *a, const char *key,
    const char *val, struct cond *c, struct qerror *qe)
{
	char *buf = arena_strdup(a, key);
	char *parts[8];
	int n = split_brackets(buf, parts, 8);
	if (n < 2)
		return fail(qe, "filters", key, "Invalid filter %s", key);
	int i = 1;
	c->group = -1;
	c->list_index = -1;
	c->op = OP_EQ;
	if (strcmp(parts[1], "$or") == 0 || strcmp(parts[1], "$and") == 0) {
		if (n < 4)
			return fail(qe, "filters", key, "Invalid filter %s", key);
		int g = parse_index(parts[2], 99);
		if (g < 0)
			return fail(qe, "filters", key, "Invalid filter %s", key);
		/* $or groups are 0..99, $and groups 100..199. */
		c->group = g + (parts[1][2] == 'n' ? 100 : 0);
		i = 3;
	}
	if (parts[i][0] == '$')
		return fail(qe, "filters", parts[i], "Invalid key %s", parts[i]);
	int fi = entity_field(e, parts[i]);
	if (fi < 0 || !(e->fields[fi].flags & F_FILTER) ||
	    (e->fields[fi].flags & F_PRIVATE))
		return fail(qe, "filters", parts[i], "Invalid key %s", parts[i]);
	c->field = fi;
	i++;
	if (i < n) {
		int o;
		for (o = 0; o < OP__MAX; o++)
			if (strcmp(parts[i], op_names[o]) == 0)
				break;
		if (o == OP__MAX)
			return fail(qe, "filters", parts[i], "Invalid operator %s",
			    parts[i]);
		c->op = (enum op)o;
		i++;
	}
	if (c->op == OP_IN || c->op == OP_NOTIN) {
		if (i < n) {
			c->list_index = parse_index(parts[i], QUERY_MAX_IN - 1);
			if (c->list_index < 0)
				return fail(qe, "filters", key,
				    "Invalid list index in %s", key);
			i++;
		} else
			c->list_index = 0;
	}
	if (i != n)
		return fail(qe, "filters", key, "Invalid filter %s", key);
	c->value = val;
	return ERR_OK;
}

static enum err
bind_value(struct query *q, const struct field *f, const char *v,
    struct qerror *qe)
{
	if (q->nbinds >= QUERY_MAX_BINDS)
		return fail(qe, "filters", f->name, "Too many filter values");
	struct qbind *b = &q->binds[q->nbinds];
	switch (f->type) {
	case FT_ID:
	case FT_INT:
		if (valid_int(v, INT64_MIN, INT64_MAX, &b->i) != 0)
			return fail(qe, "filters", f->name,
			    "Invalid value for %s: an integer is expected", f->name);
		b->type = SQLITE_INTEGER;
		break;
	case FT_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			b->i = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			b->i = 0;
		else
			return fail(qe, "filters", f->name,
			    "Invalid value for %s: true or false is expected", f->name);
		b->type = SQLITE_INTEGER;
		break;
	default:
		if (strlen(v) > 1024 || !valid_text(v, 1))
			return fail(qe, "filters", f->name, "Invalid value for %s",
			    f->name);
		b->type = SQLITE_TEXT;
		b->s = v;
		break;
	}
	q->nbinds++;
	return ERR_OK;
}

static int
is_stringy(enum ftype t)
{
	return t == FT_STRING || t == FT_TEXT || t == FT_ENUM ||
	    t == FT_DOCID || t == FT_DATETIME;
}

/* Emits the SQL of one condition (all list items of $in at once). */
static enum err
emit_cond(const struct entity *e, struct query *q, struct cond *cs, int nc,
    int k, struct buf *out, struct qerror *qe)
{
	struct cond *c = &cs[k];
	const struct field *f = &e->fields[c->field];
	const char *col = f->col;
	enum err rc;

	if ((c->op >= OP_CONTAINS && c->op <= OP_ENDSWITH) && !is_stringy(f->type))
		return fail(qe, "filters", f->name,
		    "Operator not allowed on %s", f->name);
	if ((c->op >= OP_LT && c->op <= OP_GTE) && f->type == FT_BOOL)
		return fail(qe, "filters", f->name,
		    "Operator not allowed on %s", f->name);
	switch (c->op) {
	case OP_NULL:
	case OP_NOTNULL: {
		int want;
		if (strcmp(c->value, "true") == 0 || strcmp(c->value, "1") == 0)
			want = 1;
		else if (strcmp(c->value, "false") == 0 || strcmp(c->value, "0") == 0)
			want = 0;
		else
			return fail(qe, "filters", f->name,
			    "Invalid value for %s: true or false is expected", f->name);
		if (c->op == OP_NOTNULL)
			want = !want;
		buf_printf(out, "%s IS %sNULL", col, want ? "" : "NOT ");
		return ERR_OK;
	}
	case OP_IN:
	case OP_NOTIN: {
		/* Gather every item of this field/op/group, in index order. */
		buf_printf(out, "%s %sIN (", col, c->op == OP_NOTIN ? "NOT " : "");
		int first = 1;
		for (int idx = 0; idx < QUERY_MAX_IN; idx++)
			for (int j = k; j < nc; j++) {
				struct cond *d = &cs[j];
				if (d->field != c->field || d->op != c->op ||
				    d->group != c->group || d->list_index != idx)
					continue;
				if ((rc = bind_value(q, f, d->value, qe)) != ERR_OK)
					return rc;
				buf_puts(out, first ? "?" : ",?");
				first = 0;
				d->list_index = -2;	/* consumed */
			}
		buf_putc(out, ')');
		return ERR_OK;
	}
	default:
		break;
	}
	if ((rc = bind_value(q, f, c->value, qe)) != ERR_OK)
		return rc;
	switch (c->op) {
	case OP_EQ: buf_printf(out, "%s = ?", col); break;
	case OP_NE: buf_printf(out, "%s IS NOT ?", col); break;
	case OP_LT: buf_printf(out, "%s < ?", col); break;
	case OP_LTE: buf_printf(out, "%s <= ?", col); break;
	case OP_GT: buf_printf(out, "%s > ?", col); break;
	case OP_GTE: buf_printf(out, "%s >= ?", col); break;
	case OP_CONTAINS: buf_printf(out, "instr(%s, ?) > 0", col); break;
	case OP_NOTCONTAINS: buf_printf(out, "instr(%s, ?) = 0", col); break;
	case OP_CONTAINSI: buf_printf(out, "instr(lower(%s), lower(?)) > 0", col); break;
	case OP_STARTSWITH: buf_printf(out, "instr(%s, ?) = 1", col); break;
	case OP_ENDSWITH:
		/* substr(col, -length(v)) = v: the value is bound twice. */
		if ((rc = bind_value(q, f, c->value, qe)) != ERR_OK)
			return rc;
		buf_printf(out, "substr(%s, -length(?)) = ?", col);
		break;
	default:
		break;
	}
	return ERR_OK;
}

static enum err
compile_filters(const struct entity *e, struct query *q, struct cond *cs,
    int nc, struct qerror *qe)
{
	enum err rc;
	/* Top level conditions, ANDed. */
	for (int k = 0; k < nc; k++) {
		if (cs[k].group != -1 || cs[k].list_index == -2)
			continue;
		if (q->where.len)
			buf_puts(&q->where, " AND ");
		buf_putc(&q->where, '(');
		if ((rc = emit_cond(e, q, cs, nc, k, &q->where, qe)) != ERR_OK)
			return rc;
		buf_putc(&q->where, ')');
	}
	/* $or: groups ORed, conditions within a group ANDed;
	 * $and: every condition ANDed. */
	for (int kind = 0; kind < 2; kind++) {
		int any = 0;
		for (int g = kind * 100; g < kind * 100 + 100; g++) {
			int opened = 0;
			for (int k = 0; k < nc; k++) {
				if (cs[k].group != g || cs[k].list_index == -2)
					continue;
				if (!any) {
					if (q->where.len)
						buf_puts(&q->where, " AND ");
					buf_puts(&q->where, "(");
					any = 1;
				} else if (!opened)
					buf_puts(&q->where, kind == 0 ? " OR " : " AND ");
				else
					buf_puts(&q->where, " AND ");
				if (!opened)
					buf_putc(&q->where, '(');
				opened = 1;
				buf_putc(&q->where, '(');
				if ((rc = emit_cond(e, q, cs, nc, k, &q->where, qe)) != ERR_OK)
					return rc;
				buf_putc(&q->where, ')');
			}
			if (opened)
				buf_putc(&q->where, ')');
		}
		if (any)
			buf_putc(&q->where, ')');
	}
	return ERR_OK;
}

static enum err
add_sort(const struct entity *e, struct query *q, struct arena *a,
    const char *spec, int *nsort, struct qerror *qe)
{
	char *copy = arena_strdup(a, spec);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		const char *dir = "ASC";
		char *colon = strchr(t, ':');
		if (colon) {
			*colon = '\0';
			if (strcasecmp(colon + 1, "asc") == 0)
				dir = "ASC";
			else if (strcasecmp(colon + 1, "desc") == 0)
				dir = "DESC";
			else
				return fail(qe, "sort", colon + 1,
				    "Invalid sort direction %s", colon + 1);
		}
		int fi = entity_field(e, t);
		if (fi < 0 || !(e->fields[fi].flags & F_SORT))
			return fail(qe, "sort", t, "Invalid key %s", t);
		if (++*nsort > QUERY_MAX_SORT)
			return fail(qe, "sort", t, "Too many sort fields");
		if (q->order.len)
			buf_puts(&q->order, ", ");
		buf_printf(&q->order, "%s %s", e->fields[fi].col, dir);
	}
	return ERR_OK;
}

static enum err
add_field(const struct entity *e, struct query *q, struct arena *a,
    const char *list, struct qerror *qe)
{
	char *copy = arena_strdup(a, list);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (strcmp(t, "*") == 0) {
			q->fields = ~(uint64_t)0;
			continue;
		}
		int fi = entity_field(e, t);
		if (fi < 0 || (e->fields[fi].flags & F_PRIVATE))
			return fail(qe, "fields", t, "Invalid key %s", t);
		q->fields |= (uint64_t)1 << fi;
	}
	return ERR_OK;
}

static enum err
add_populate(const struct entity *e, struct query *q, const char *name,
    struct qerror *qe)
{
	if (strcmp(name, "*") == 0) {
		q->populate = (uint32_t)((1ull << e->nrels) - 1);
		return ERR_OK;
	}
	for (size_t i = 0; i < e->nrels; i++)
		if (strcmp(e->rels[i].name, name) == 0) {
			q->populate |= 1u << i;
			return ERR_OK;
		}
	return fail(qe, "populate", name, "Invalid key %s", name);
}

/* pagination[...] as Strapi 5 reads it: out-of-range numbers corrected
 * (page and pageSize at least 1, start at least 0, a limit of 0 is 1, -1
 * is "all", here the largest page), withCount true or false. */
static enum err
pagination(struct query *q, const char *what, const char *val,
    int *style, struct qerror *qe)
{
	int64_t v;
	if (strcmp(what, "withCount") == 0) {
		static const char *const yes[] = { "true", "t", "1" }, *const no[] = {
		    "false", "f", "0" };
		for (int i = 0; i < 3; i++) {
			if (strcmp(val, yes[i]) == 0) {
				q->no_count = 0;
				return ERR_OK;
			}
			if (strcmp(val, no[i]) == 0) {
				q->no_count = 1;
				return ERR_OK;
			}
		}
		return fail(qe, "pagination", what, "Invalid withCount parameter. Expected "
		    "\"t\",\"1\",\"true\",\"false\",\"0\",\"f\"");
	}
	int want_start = strcmp(what, "start") == 0 || strcmp(what, "limit") == 0;
	if (!want_start && strcmp(what, "page") != 0 && strcmp(what, "pageSize") != 0)
		return fail(qe, "pagination", what, "Invalid key %s", what);
	if (*style && *style != (want_start ? 2 : 1))
		return fail(qe, "pagination", what, "Invalid pagination attributes. "
		    "You cannot use page and offset pagination in the same query");
	*style = want_start ? 2 : 1;
	if (valid_int(val, INT32_MIN, INT32_MAX, &v) != 0)
		return fail(qe, "pagination", what,
		    "Invalid pagination parameter %s: an integer is expected", what);
	if (strcmp(what, "page") == 0)
		q->page = v < 1 ? 1 : v;
	else if (strcmp(what, "pageSize") == 0)
		q->page_size = v < 1 ? 1 : v > QUERY_MAX_PAGE_SIZE ? QUERY_MAX_PAGE_SIZE : v;
	else if (strcmp(what, "start") == 0)
		q->start = v < 0 ? 0 : v;
	else	/* limit=-1 means "all" in Strapi: capped like any other. */
		q->limit = (v == -1 || v > QUERY_MAX_PAGE_SIZE) ? QUERY_MAX_PAGE_SIZE :
		    v < 1 ? 1 : v;
	return ERR_OK;
}

enum err
query_compile(const struct entity *e, struct request *req, struct query *q,
    struct qerror *qe)
{
	struct cond conds[QUERY_MAX_CONDS];
	int nc = 0, nsort = 0, style = 0;
	enum err rc;

	memset(q, 0, sizeof(*q));
	memset(qe, 0, sizeof(*qe));
	q->page = 1;
	q->page_size = QUERY_DEFAULT_PAGE_SIZE;
	q->limit = QUERY_DEFAULT_PAGE_SIZE;
	for (size_t i = 0; i < req->nparams; i++) {
		const char *k = req->params[i].key, *v = req->params[i].val;
		if (strncmp(k, "filters[", 8) == 0) {
			if (nc >= QUERY_MAX_CONDS)
				return fail(qe, "filters", k, "Too many filters");
			if ((rc = parse_filter(e, &req->arena, k, v, &conds[nc], qe)))
				return rc;
			nc++;
		} else if (strcmp(k, "sort") == 0 || indexed_key(k, "sort")) {
			if ((rc = add_sort(e, q, &req->arena, v, &nsort, qe)))
				return rc;
		} else if (strncmp(k, "pagination[", 11) == 0) {
			size_t n = strlen(k);
			if (k[n - 1] != ']')
				return fail(qe, "pagination", k, "Invalid key %s", k);
			char *what = arena_strndup(&req->arena, k + 11, n - 12);
			if ((rc = pagination(q, what, v, &style, qe)))
				return rc;
		} else if (strcmp(k, "fields") == 0 || indexed_key(k, "fields")) {
			if ((rc = add_field(e, q, &req->arena, v, qe)))
				return rc;
		} else if (strcmp(k, "populate") == 0) {
			char *copy = arena_strdup(&req->arena, v), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t;
			    t = strtok_r(NULL, ",", &save))
				if ((rc = add_populate(e, q, t, qe)))
					return rc;
		} else if (strncmp(k, "populate[", 9) == 0) {
			/* populate[0]=rel or populate[rel]=true|* */
			char *copy = arena_strdup(&req->arena, k), *parts[4];
			int n = split_brackets(copy, parts, 4);
			if (n != 2)
				return fail(qe, "populate", k, "Invalid key %s", k);
			const char *name = parse_index(parts[1], 99) >= 0 ? v : parts[1];
			if ((rc = add_populate(e, q, name, qe)))
				return rc;
		} else if (strcmp(k, "locale") == 0 || strcmp(k, "status") == 0) {
			/* Strapi's i18n and draft parameters: one locale, all published. */
		} else
			return fail(qe, "query", k, "Invalid query parameter %s", k);
	}
	if ((rc = compile_filters(e, q, conds, nc, qe)) != ERR_OK)
		return rc;
	if (q->order.len)
		buf_puts(&q->order, ", ");
	buf_puts(&q->order, "id ASC");
	if (q->fields == 0)
		q->fields = ~(uint64_t)0;
	q->by_start = style == 2;
	if (!q->by_start) {
		q->limit = q->page_size;
		q->start = (q->page - 1) * q->page_size;
	}
	return ERR_OK;
}

void
query_free(struct query *q)
{
	buf_free(&q->where);
	buf_free(&q->order);
}

int
query_bind(const struct query *q, sqlite3_stmt *st, int first)
{
	for (int i = 0; i < q->nbinds; i++, first++) {
		const struct qbind *b = &q->binds[i];
		if (b->type == SQLITE_INTEGER)
			sqlite3_bind_int64(st, first, b->i);
		else if (b->type == SQLITE_TEXT)
			sqlite3_bind_text(st, first, b->s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, first);
	}
	return first;
}

int
query_returns(const struct entity *e, size_t i, uint64_t fields)
{
	const struct field *f = &e->fields[i];
	if (f->flags & F_PRIVATE)
		return 0;
	return f->type == FT_ID || f->type == FT_DOCID ||
	    (fields & ((uint64_t)1 << i)) != 0;
}

void
query_columns(const struct entity *e, uint64_t fields, struct buf *b)
{
	int first = 1;
	for (size_t i = 0; i < e->nfields; i++) {
		if (!query_returns(e, i, fields))
			continue;
		buf_printf(b, "%s%s", first ? "" : ", ", e->fields[i].col);
		first = 0;
	}
}
