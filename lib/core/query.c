#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"
#include "valid.h"

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
bind_value(struct query *q, const struct field *f, const char *v,
    struct qerror *qe)
{
	if (q->nbinds >= QUERY_MAX_BINDS)
		return fail(qe, "filters", f->name, "Too many filter values (at most %d)",
		    QUERY_MAX_BINDS);
	if (q->nbinds == q->cap) {
		/* Past the few a query mostly has: four times more, from the
		 * request's arena. */
		int cap = q->cap * 4 > QUERY_MAX_BINDS ? QUERY_MAX_BINDS : q->cap * 4;
		struct qbind *more = arena_alloc(q->arena, (size_t)cap * sizeof(*more));
		memcpy(more, q->binds, (size_t)q->nbinds * sizeof(*more));
		q->binds = more;
		q->cap = cap;
	}
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

/* The filters of a query as the tree their keys draw, as Strapi's qs
 * reads filters[$or][0][name][$eq]=x: a node per key, its children in the
 * order the query gives them; a leaf holds a value. */
struct fnode {
	const char	*key;
	const char	*value;		/* a leaf's, else NULL */
	struct fnode	*child, *last, *next;
};

/* Adds the path parts[1..n-1] of key, and its value, to the tree. */
static enum err
tree_add(struct arena *a, struct fnode *root, char **parts, int n, const char *val,
    const char *key, int *nodes, struct qerror *qe)
{
	struct fnode *at = root;
	for (int i = 1; i < n; i++) {
		struct fnode *c;
		if (at->value)
			return fail(qe, "filters", key, "Invalid filter %s", key);
		for (c = at->child; c; c = c->next)
			if (strcmp(c->key, parts[i]) == 0)
				break;
		if (c == NULL) {
			if (++*nodes > QUERY_MAX_NODES)
				return fail(qe, "filters", key, "Too many filters (at most %d "
				    "keys and values)", QUERY_MAX_NODES);
			c = arena_alloc(a, sizeof(*c));
			memset(c, 0, sizeof(*c));
			c->key = parts[i];
			if (at->last)
				at->last->next = c;
			else
				at->child = c;
			at->last = c;
		}
		at = c;
	}
	if (at->child || at->value)
		return fail(qe, "filters", key, "Invalid filter %s", key);
	at->value = val;
	return ERR_OK;
}

static int
is_index(const char *s)
{
	return parse_index(s, QUERY_MAX_NODES) >= 0;
}

enum op {
	OP_EQ, OP_EQI, OP_NE, OP_NEI, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_IN, OP_NOTIN,
	OP_CONTAINS, OP_NOTCONTAINS, OP_CONTAINSI, OP_NOTCONTAINSI, OP_STARTSWITH,
	OP_STARTSWITHI, OP_ENDSWITH, OP_ENDSWITHI, OP_NULL, OP_NOTNULL, OP_BETWEEN,
	OP_NOT, OP_AND, OP_OR, OP__MAX
};

static const char *const op_names[OP__MAX] = {
	"$eq", "$eqi", "$ne", "$nei", "$lt", "$lte", "$gt", "$gte", "$in", "$notIn",
	"$contains", "$notContains", "$containsi", "$notContainsi", "$startsWith",
	"$startsWithi", "$endsWith", "$endsWithi", "$null", "$notNull", "$between",
	"$not", "$and", "$or",
};

/* What a compilation needs at hand. */
struct fstate {
	const struct qaccess	*acc;	/* who asks, or NULL */
	struct query		*q;
	struct qerror		*qe;
	int			 terms;	/* conditions so far */
};

static enum err field_ops(struct fstate *, const struct field *,
    const struct fnode *, struct buf *, int);

/* The values of a list operator ($in, $notIn, $between): a leaf is one
 * value, else the children [0], [1], ... each a leaf. */
static enum err
list_values(struct fstate *s, const struct field *f, const struct fnode *n,
    struct buf *out, int *count)
{
	enum err rc;
	*count = 0;
	if (n->value) {
		if ((rc = bind_value(s->q, f, n->value, s->qe)) != ERR_OK)
			return rc;
		buf_putc(out, '?');
		*count = 1;
		return ERR_OK;
	}
	for (const struct fnode *c = n->child; c; c = c->next) {
		if (!is_index(c->key) || c->value == NULL)
			return fail(s->qe, "filters", c->key, "Invalid list index %s", c->key);
		if ((rc = bind_value(s->q, f, c->value, s->qe)) != ERR_OK)
			return rc;
		buf_puts(out, *count ? ",?" : "?");
		++*count;
	}
	return ERR_OK;
}

/* A LIKE pattern of a value: its own % _ and \ escaped, then wrapped. */
static enum err
bind_like(struct fstate *s, const struct field *f, const char *v, const char *pre,
    const char *post)
{
	size_t n = strlen(v);
	if (n > 1024 || !valid_text(v, 1))
		return fail(s->qe, "filters", f->name, "Invalid value for %s", f->name);
	char *p = arena_alloc(s->q->arena, 2 * n + 3), *w = p;
	if (*pre)
		*w++ = '%';
	for (const char *r = v; *r; r++) {
		if (*r == '%' || *r == '_' || *r == '\\')
			*w++ = '\\';
		*w++ = *r;
	}
	if (*post)
		*w++ = '%';
	*w = '\0';
	return bind_value(s->q, f, p, s->qe);
}

/* One operator of a field, n its node: [$op]=v, [$in][0]=v..., [$not]
 * [$op]=v, [$and|$or][0][$op]=v. */
static enum err
field_op(struct fstate *s, const struct field *f, const struct fnode *n,
    struct buf *out, int depth)
{
	const char *col = f->col;
	enum err rc;
	int op, count;
	if (depth > QUERY_MAX_DEPTH)
		return fail(s->qe, "filters", n->key, "Filters nested too deep (at most %d)",
		    QUERY_MAX_DEPTH);
	for (op = 0; op < OP__MAX; op++)
		if (strcmp(n->key, op_names[op]) == 0)
			break;
	if (op == OP__MAX)
		return fail(s->qe, "filters", n->key, "Invalid operator %s", n->key);
	if (++s->terms > QUERY_MAX_TERMS)
		return fail(s->qe, "filters", n->key, "Too many conditions (at most %d)",
		    QUERY_MAX_TERMS);
	if (op >= OP_CONTAINS && op <= OP_ENDSWITHI && !is_stringy(f->type))
		return fail(s->qe, "filters", f->name, "Operator not allowed on %s", f->name);
	if (((op >= OP_LT && op <= OP_GTE) || op == OP_BETWEEN || op == OP_EQI ||
	    op == OP_NEI) && f->type == FT_BOOL)
		return fail(s->qe, "filters", f->name, "Operator not allowed on %s", f->name);
	if (op == OP_NOT) {
		/* [$not]=v is NOT $eq; [$not][$op]=v negates its operators. */
		buf_puts(out, "NOT (");
		if (n->value) {
			if ((rc = bind_value(s->q, f, n->value, s->qe)) != ERR_OK)
				return rc;
			buf_printf(out, "%s = ?", col);
		} else if ((rc = field_ops(s, f, n, out, depth + 1)) != ERR_OK)
			return rc;
		buf_putc(out, ')');
		return ERR_OK;
	}
	if (op == OP_AND || op == OP_OR) {
		if (n->value || n->child == NULL)
			return fail(s->qe, "filters", n->key, "Invalid filter %s", n->key);
		buf_putc(out, '(');
		for (const struct fnode *c = n->child; c; c = c->next) {
			if (!is_index(c->key) || c->value)
				return fail(s->qe, "filters", c->key, "Invalid filter %s",
				    c->key);
			if (c != n->child)
				buf_puts(out, op == OP_OR ? " OR " : " AND ");
			if ((rc = field_ops(s, f, c, out, depth + 1)) != ERR_OK)
				return rc;
		}
		buf_putc(out, ')');
		return ERR_OK;
	}
	if (op == OP_IN || op == OP_NOTIN || op == OP_BETWEEN) {
		struct buf list = { 0 };
		rc = list_values(s, f, n, &list, &count);
		if (rc == ERR_OK && op == OP_BETWEEN && count != 2)
			rc = fail(s->qe, "filters", f->name, "$between takes two values");
		else if (rc == ERR_OK && op == OP_BETWEEN)
			buf_printf(out, "%s BETWEEN ? AND ?", col);
		else if (rc == ERR_OK && count == 0)	/* an empty list holds nothing */
			buf_puts(out, op == OP_IN ? "0" : "1");
		else if (rc == ERR_OK)
			buf_printf(out, "%s %sIN (%s)", col, op == OP_NOTIN ? "NOT " : "",
			    buf_str(&list));
		buf_free(&list);
		return rc;
	}
	if (n->value == NULL)
		return fail(s->qe, "filters", n->key, "Invalid filter %s", n->key);
	const char *v = n->value;
	if (op == OP_NULL || op == OP_NOTNULL) {
		int want;
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			want = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			want = 0;
		else
			return fail(s->qe, "filters", f->name,
			    "Invalid value for %s: true or false is expected", f->name);
		buf_printf(out, "%s IS %sNULL", col, want == (op == OP_NULL) ? "" : "NOT ");
		return ERR_OK;
	}
	/* As Strapi on SQLite: LIKE for the text operators (ASCII letters of
	 * either case alike, the value's wildcards taken as text), and a row
	 * whose value is NULL never matching a negative operator. */
	if (op >= OP_CONTAINS && op <= OP_NOTCONTAINSI)
		rc = bind_like(s, f, v, "%", "%");
	else if (op == OP_STARTSWITH || op == OP_STARTSWITHI)
		rc = bind_like(s, f, v, "", "%");
	else if (op == OP_ENDSWITH || op == OP_ENDSWITHI)
		rc = bind_like(s, f, v, "%", "");
	else
		rc = bind_value(s->q, f, v, s->qe);
	if (rc != ERR_OK)
		return rc;
	switch (op) {
	case OP_EQ: buf_printf(out, "%s = ?", col); break;
	case OP_EQI: buf_printf(out, "lower(%s) = lower(?)", col); break;
	case OP_NE: buf_printf(out, "%s <> ?", col); break;
	case OP_NEI: buf_printf(out, "lower(%s) <> lower(?)", col); break;
	case OP_LT: buf_printf(out, "%s < ?", col); break;
	case OP_LTE: buf_printf(out, "%s <= ?", col); break;
	case OP_GT: buf_printf(out, "%s > ?", col); break;
	case OP_GTE: buf_printf(out, "%s >= ?", col); break;
	case OP_NOTCONTAINS:
	case OP_NOTCONTAINSI:
		buf_printf(out, "%s NOT LIKE ? ESCAPE '\\'", col);
		break;
	default:
		buf_printf(out, "%s LIKE ? ESCAPE '\\'", col);
		break;
	}
	return ERR_OK;
}

/* A field's condition, n the node under its name: a value is $eq, else
 * its operators, ANDed. */
static enum err
field_ops(struct fstate *s, const struct field *f, const struct fnode *n,
    struct buf *out, int depth)
{
	enum err rc;
	if (n->value) {
		if (++s->terms > QUERY_MAX_TERMS)
			return fail(s->qe, "filters", f->name, "Too many conditions (at "
			    "most %d)", QUERY_MAX_TERMS);
		if ((rc = bind_value(s->q, f, n->value, s->qe)) != ERR_OK)
			return rc;
		buf_printf(out, "%s = ?", f->col);
		return ERR_OK;
	}
	buf_putc(out, '(');
	for (const struct fnode *c = n->child; c; c = c->next) {
		if (c != n->child)
			buf_puts(out, " AND ");
		if ((rc = field_op(s, f, c, out, depth)) != ERR_OK)
			return rc;
	}
	buf_putc(out, ')');
	return ERR_OK;
}

static enum err conditions(struct fstate *, const struct entity *,
    const struct fnode *, struct buf *, int);

/* Whether the conditions under n name a field (of a related record), not
 * only operators: filters[ticket][subject]=x, not filters[ticket][$eq]=1. */
static int
names_fields(const struct fnode *n)
{
	for (const struct fnode *c = n->child; c; c = c->next) {
		if (c->key[0] != '$' && !is_index(c->key))
			return 1;
		if ((strcmp(c->key, "$and") == 0 || strcmp(c->key, "$or") == 0 ||
		    strcmp(c->key, "$not") == 0 || is_index(c->key)) && names_fields(c))
			return 1;
	}
	return 0;
}

/* A bound integer (a merchant's id), past the values of the request. */
static enum err
bind_int(struct query *q, int64_t v, struct qerror *qe)
{
	static const struct field scope = { "scope", "scope", FT_INT, 0, 0, 0, NULL,
	    NULL, NULL };
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	return bind_value(q, &scope, arena_strdup(q->arena, num), qe);
}

/* A condition on the records of relation r (n its node): those the
 * caller reads of r's target, where the conditions under n hold.
 * filters[ticket][subject][$containsi]=x is
 * ticket_id IN (SELECT id FROM <the caller's tickets> WHERE subject ...);
 * filters[supportTickets][status]=open, on the other side,
 * id IN (SELECT merchant_id FROM <the caller's tickets> WHERE status = ?). */
static enum err
relation_cond(struct fstate *s, const struct relation *r, const struct fnode *n,
    struct buf *out, int depth)
{
	struct qsource src;
	enum err rc;
	if (s->acc == NULL || !s->acc->see(s->acc->arg, r->target, &src))
		return fail(s->qe, "filters", n->key, "Invalid key %s", n->key);
	if (r->kind == REL_ONE)
		buf_printf(out, "%s IN (SELECT id FROM %s WHERE ", r->col, src.from);
	else
		buf_printf(out, "id IN (SELECT %s FROM %s AS mp_rel WHERE ", r->col,
		    src.from);
	if (r->kind == REL_FIRST)	/* the first of them only */
		buf_printf(out, "id = (SELECT min(id) FROM %s WHERE %s = mp_rel.%s) AND ",
		    src.from, r->col, r->col);
	if (src.scope_col) {
		buf_printf(out, "%s = ? AND ", src.scope_col);
		if ((rc = bind_int(s->q, src.scope_id, s->qe)) != ERR_OK)
			return rc;
	}
	if ((rc = conditions(s, r->target, n, out, depth + 1)) != ERR_OK)
		return rc;
	buf_putc(out, ')');
	return ERR_OK;
}

/* An object of conditions of e's records (the filters, an item of $and
 * or $or, $not's, a relation's): each key a field, a relation or $and,
 * $or, $not; all ANDed. */
static enum err
conditions(struct fstate *s, const struct entity *e, const struct fnode *n,
    struct buf *out, int depth)
{
	enum err rc;
	if (depth > QUERY_MAX_DEPTH)
		return fail(s->qe, "filters", n->key, "Filters nested too deep (at most %d)",
		    QUERY_MAX_DEPTH);
	if (n->value)
		return fail(s->qe, "filters", n->key, "Invalid filter %s", n->key);
	buf_putc(out, '(');
	for (const struct fnode *c = n->child; c; c = c->next) {
		if (c != n->child)
			buf_puts(out, " AND ");
		int and = strcmp(c->key, "$and") == 0, or = strcmp(c->key, "$or") == 0;
		if (and || or) {
			if (c->value)
				return fail(s->qe, "filters", c->key, "Invalid filter %s", c->key);
			buf_putc(out, '(');
			for (const struct fnode *i = c->child; i; i = i->next) {
				if (!is_index(i->key))
					return fail(s->qe, "filters", i->key, "Invalid filter %s",
					    i->key);
				if (i != c->child)
					buf_puts(out, or ? " OR " : " AND ");
				if ((rc = conditions(s, e, i, out, depth + 1)) != ERR_OK)
					return rc;
			}
			if (c->child == NULL)	/* none of nothing, all of nothing */
				buf_puts(out, or ? "0" : "1");
			buf_putc(out, ')');
			continue;
		}
		if (strcmp(c->key, "$not") == 0) {
			buf_puts(out, "NOT ");
			if ((rc = conditions(s, e, c, out, depth + 1)) != ERR_OK)
				return rc;
			continue;
		}
		if (c->key[0] == '$')
			return fail(s->qe, "filters", c->key, "Invalid key %s", c->key);
		/* A relation's own fields, or its column's operators. */
		const struct relation *r = entity_relation(e, c->key);
		if (r && c->value == NULL && names_fields(c)) {
			if ((rc = relation_cond(s, r, c, out, depth)) != ERR_OK)
				return rc;
			continue;
		}
		int fi = entity_field(e, c->key);
		if (fi < 0 || !(e->fields[fi].flags & F_FILTER) ||
		    (e->fields[fi].flags & F_PRIVATE))
			return fail(s->qe, "filters", c->key, "Invalid key %s", c->key);
		if ((rc = field_ops(s, &e->fields[fi], c, out, depth + 1)) != ERR_OK)
			return rc;
	}
	if (n->child == NULL)
		buf_putc(out, '1');
	buf_putc(out, ')');
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

/* Adds the fields of list ("a,b" or "*") to *mask. */
static enum err
add_field(const struct entity *e, uint64_t *mask, struct arena *a,
    const char *list, struct qerror *qe)
{
	char *copy = arena_strdup(a, list);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (strcmp(t, "*") == 0) {
			*mask = ~(uint64_t)0;
			continue;
		}
		int fi = entity_field(e, t);
		if (fi < 0 || (e->fields[fi].flags & F_PRIVATE))
			return fail(qe, "fields", t, "Invalid key %s", t);
		*mask |= (uint64_t)1 << fi;
	}
	return ERR_OK;
}

/* What populating needs at hand. */
struct pstate {
	const struct qaccess	*acc;
	struct query		*q;
	struct qerror		*qe;
	const char		*key;	/* the parameter, for errors */
};

/* The node of relation name of e in *list, made if new; *out NULL for
 * "*", which adds every relation of e the caller may read, one level. A
 * relation the caller may not read is refused by name, as Strapi does. */
static enum err
pop_node(struct pstate *ps, const struct entity *e, struct qpop **list,
    const char *name, int depth, struct qpop **out)
{
	struct qsource src;
	*out = NULL;
	if (depth > QUERY_MAX_POPULATE_DEPTH)
		return fail(ps->qe, "populate", ps->key, "Populate nested too deep (at "
		    "most %d)", QUERY_MAX_POPULATE_DEPTH);
	if (strcmp(name, "*") == 0) {
		for (size_t i = 0; i < e->nrels; i++) {
			struct qpop *skip;
			if (ps->acc && ps->acc->see(ps->acc->arg, e->rels[i].target, &src))
				if (pop_node(ps, e, list, e->rels[i].name, depth, &skip))
					return ERR_VALIDATION;
		}
		return ERR_OK;
	}
	const struct relation *r = entity_relation(e, name);
	if (r == NULL || ps->acc == NULL || !ps->acc->see(ps->acc->arg, r->target, &src))
		return fail(ps->qe, "populate", name, "Invalid key %s", name);
	struct qpop **at = list;
	for (; *at; at = &(*at)->next)
		if ((*at)->rel == r) {
			*out = *at;
			return ERR_OK;
		}
	if (++ps->q->npopulate > QUERY_MAX_POPULATE)
		return fail(ps->qe, "populate", name, "Too many relations to populate (at "
		    "most %d)", QUERY_MAX_POPULATE);
	struct qpop *p = arena_alloc(ps->q->arena, sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->rel = r;
	p->src = src;
	*at = *out = p;
	return ERR_OK;
}

/* populate's list form: "a,b.c" or "*", under *list of e. */
static enum err
pop_list(struct pstate *ps, const struct entity *e, struct qpop **list,
    const char *val, int depth)
{
	char *copy = arena_strdup(ps->q->arena, val), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct entity *at = e;
		struct qpop **l = list, *p = NULL;
		int d = depth;
		char *dsave = NULL;
		while (*t == ' ')
			t++;
		for (char *name = strtok_r(t, ".", &dsave); name;
		    name = strtok_r(NULL, ".", &dsave), d++) {
			if (l == NULL)	/* past a "*" */
				return fail(ps->qe, "populate", name, "Invalid key %s", name);
			if (pop_node(ps, at, l, name, d, &p) != ERR_OK)
				return ERR_VALIDATION;
			l = p ? &p->child : NULL;
			at = p ? p->rel->target : NULL;
		}
	}
	return ERR_OK;
}

/* populate's object form, parts[i..n-1] of its key under *list of e:
 * [0]=a, [a]=true, [a][fields][0]=x, [a][populate][...]. */
static enum err
pop_parts(struct pstate *ps, const struct entity *e, struct qpop **list,
    char **parts, int i, int n, const char *val, int depth)
{
	struct qpop *p;
	if (is_index(parts[i])) {
		if (i + 1 != n)
			return fail(ps->qe, "populate", ps->key, "Invalid key %s", ps->key);
		return pop_list(ps, e, list, val, depth);
	}
	if (i + 1 == n) {
		/* [a]=true or [a]=*; [a]=false asks nothing. */
		if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
			return ERR_OK;
		if (strcmp(val, "true") != 0 && strcmp(val, "1") != 0 &&
		    strcmp(val, "*") != 0)
			return fail(ps->qe, "populate", ps->key, "Invalid value for %s",
			    ps->key);
		return pop_node(ps, e, list, parts[i], depth, &p);
	}
	if (strcmp(parts[i], "*") == 0)
		return fail(ps->qe, "populate", ps->key, "Invalid key %s", ps->key);
	enum err rc = pop_node(ps, e, list, parts[i], depth, &p);
	if (rc != ERR_OK)
		return rc;
	const struct entity *t = p->rel->target;
	if (strcmp(parts[i + 1], "fields") == 0) {
		if (i + 2 < n && !(i + 3 == n && is_index(parts[i + 2])))
			return fail(ps->qe, "populate", ps->key, "Invalid key %s", ps->key);
		if ((rc = add_field(t, &p->fields, ps->q->arena, val, ps->qe)) != ERR_OK)
			ps->qe->param = "populate";
		return rc;
	}
	if (strcmp(parts[i + 1], "populate") == 0) {
		if (i + 2 == n)
			return pop_list(ps, t, &p->child, val, depth + 1);
		return pop_parts(ps, t, &p->child, parts, i + 2, n, val, depth + 1);
	}
	return fail(ps->qe, "populate", parts[i + 1], "Invalid key %s", parts[i + 1]);
}

/* One populate parameter: populate=a,b, populate[...]=... */
static enum err
add_populate(const struct entity *e, struct query *q, const struct qaccess *acc,
    const char *k, const char *v, struct qerror *qe)
{
	struct pstate ps = { acc, q, qe, k };
	if (strcmp(k, "populate") == 0)
		return pop_list(&ps, e, &q->populate, v, 1);
	char *copy = arena_strdup(q->arena, k);
	char *parts[2 * QUERY_MAX_POPULATE_DEPTH + 3];
	int n = split_brackets(copy, parts, 2 * QUERY_MAX_POPULATE_DEPTH + 3);
	if (n < 0)
		return fail(qe, "populate", k, "Populate nested too deep (at most %d)",
		    QUERY_MAX_POPULATE_DEPTH);
	if (n < 2)
		return fail(qe, "populate", k, "Invalid key %s", k);
	return pop_parts(&ps, e, &q->populate, parts, 1, n, v, 1);
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

/* What query_compile and query_one start from. */
static void
query_init(struct query *q, struct qerror *qe, struct request *req)
{
	memset(q, 0, sizeof(*q));
	memset(qe, 0, sizeof(*qe));
	q->arena = &req->arena;
	q->binds = q->few;
	q->cap = QUERY_FEW_BINDS;
	q->page = 1;
	q->page_size = QUERY_DEFAULT_PAGE_SIZE;
	q->limit = QUERY_DEFAULT_PAGE_SIZE;
}

enum err
query_compile(const struct entity *e, struct request *req,
    const struct qaccess *acc, struct query *q, struct qerror *qe)
{
	struct fnode root = { .key = "filters" };
	int nodes = 0, nsort = 0, style = 0;
	enum err rc;

	query_init(q, qe, req);
	for (size_t i = 0; i < req->nparams; i++) {
		const char *k = req->params[i].key, *v = req->params[i].val;
		if (strncmp(k, "filters[", 8) == 0) {
			char *copy = arena_strdup(&req->arena, k);
			/* Each level of $and, $or: its name and an index. */
			char *parts[2 * QUERY_MAX_DEPTH + 4];
			int n = split_brackets(copy, parts, 2 * QUERY_MAX_DEPTH + 4);
			if (n < 0 && strchr(k, ']') && k[strlen(k) - 1] == ']' &&
			    strstr(k, "[]") == NULL)
				return fail(qe, "filters", k, "Filters nested too deep (at "
				    "most %d)", QUERY_MAX_DEPTH);
			if (n < 2)
				return fail(qe, "filters", k, "Invalid filter %s", k);
			if ((rc = tree_add(&req->arena, &root, parts, n, v, k, &nodes, qe)))
				return rc;
		} else if (strcmp(k, "sort") == 0 || indexed_key(k, "sort")) {
			if ((rc = add_sort(e, q, &req->arena, v, &nsort, qe)))
				return rc;
		} else if (strncmp(k, "sort[", 5) == 0) {
			/* The object forms: sort[name]=desc, sort[0][name]=asc. */
			char *copy = arena_strdup(&req->arena, k), *parts[4];
			int n = split_brackets(copy, parts, 4);
			if (n < 2 || n > 3 || (n == 3 && !is_index(parts[1])) ||
			    (n == 2 && is_index(parts[1])))
				return fail(qe, "sort", k, "Invalid key %s", k);
			const char *name = parts[n - 1];
			if (strchr(name, ':') || strchr(name, ',') || strchr(v, ':') ||
			    strchr(v, ','))
				return fail(qe, "sort", k, "Invalid key %s", k);
			char spec[300];
			snprintf(spec, sizeof(spec), "%.140s:%.140s", name, v);
			if ((rc = add_sort(e, q, &req->arena, spec, &nsort, qe)))
				return rc;
		} else if (strncmp(k, "pagination[", 11) == 0) {
			size_t n = strlen(k);
			if (k[n - 1] != ']')
				return fail(qe, "pagination", k, "Invalid key %s", k);
			char *what = arena_strndup(&req->arena, k + 11, n - 12);
			if ((rc = pagination(q, what, v, &style, qe)))
				return rc;
		} else if (strcmp(k, "fields") == 0 || indexed_key(k, "fields")) {
			if ((rc = add_field(e, &q->fields, &req->arena, v, qe)))
				return rc;
		} else if (strcmp(k, "populate") == 0 || strncmp(k, "populate[", 9) == 0) {
			if ((rc = add_populate(e, q, acc, k, v, qe)))
				return rc;
		} else if (strcmp(k, "locale") == 0 || strcmp(k, "status") == 0) {
			/* Strapi's i18n and draft parameters: one locale, all published. */
		} else
			return fail(qe, "query", k, "Invalid query parameter %s", k);
	}
	if (root.child) {
		struct fstate fs = { acc, q, qe, 0 };
		if ((rc = conditions(&fs, e, &root, &q->where, 0)) != ERR_OK)
			return rc;
	}
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

enum err
query_fields(const struct entity *e, struct request *req, uint64_t *mask,
    struct qerror *qe)
{
	enum err rc;
	*mask = 0;
	memset(qe, 0, sizeof(*qe));
	for (size_t i = 0; i < req->nparams; i++) {
		const char *k = req->params[i].key;
		if ((strcmp(k, "fields") == 0 || indexed_key(k, "fields")) &&
		    (rc = add_field(e, mask, &req->arena, req->params[i].val, qe)) != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

enum err
query_one(const struct entity *e, struct request *req, const struct qaccess *acc,
    struct query *q, struct qerror *qe)
{
	enum err rc;
	query_init(q, qe, req);
	for (size_t i = 0; i < req->nparams; i++) {
		const char *k = req->params[i].key, *v = req->params[i].val;
		if (strcmp(k, "fields") == 0 || indexed_key(k, "fields"))
			rc = add_field(e, &q->fields, &req->arena, v, qe);
		else if (strcmp(k, "populate") == 0 || strncmp(k, "populate[", 9) == 0)
			rc = add_populate(e, q, acc, k, v, qe);
		else
			continue;
		if (rc != ERR_OK)
			return rc;
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
