#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "password.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "query.h"

cJSON *
crud_row_json(const struct entity *e, uint64_t fields, sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	int col = 0;
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		if (!query_returns(e, i, fields))
			continue;
		int t = sqlite3_column_type(st, col);
		if (t == SQLITE_NULL) {
			cJSON_AddNullToObject(o, f->name);
		} else switch (f->type) {
		case FT_ID:
		case FT_INT:
		case FT_REF:
			cJSON_AddNumberToObject(o, f->name,
			    (double)sqlite3_column_int64(st, col));
			break;
		case FT_BOOL:
			cJSON_AddBoolToObject(o, f->name, sqlite3_column_int(st, col));
			break;
		case FT_JSON: {
			cJSON *v = cJSON_Parse(db_col_text(st, col));
			cJSON_AddItemToObject(o, f->name, v ? v : cJSON_CreateNull());
			break;
		}
		default:
			cJSON_AddStringToObject(o, f->name, db_col_text(st, col));
			break;
		}
		col++;
	}
	/* The computed members are fields too: not when fields[] name
	 * others. */
	if (e->decorate && fields == ~(uint64_t)0)
		e->decorate(o);
	return o;
}

void
crud_row_write(const struct entity *e, uint64_t fields, sqlite3_stmt *st,
    struct buf *b)
{
	int col = 0;
	buf_putc(b, '{');
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		if (!query_returns(e, i, fields))
			continue;
		if (col > 0)
			buf_putc(b, ',');
		json_put_string(b, f->name);
		buf_putc(b, ':');
		if (sqlite3_column_type(st, col) == SQLITE_NULL) {
			buf_puts(b, "null");
		} else switch (f->type) {
		case FT_ID:
		case FT_INT:
		case FT_REF:
			json_put_int(b, sqlite3_column_int64(st, col));
			break;
		case FT_BOOL:
			buf_puts(b, sqlite3_column_int(st, col) ? "true" : "false");
			break;
		case FT_JSON: {
			cJSON *v = cJSON_Parse(db_col_text(st, col));
			if (v == NULL)
				buf_puts(b, "null");
			else
				json_put_value(b, v);
			cJSON_Delete(v);
			break;
		}
		default:
			json_put_string(b, db_col_text(st, col));
			break;
		}
		col++;
	}
	buf_putc(b, '}');
}

static void
send_query_error(struct ctx *c, const struct qerror *qe)
{
	c->err_msg = arena_strdup(&c->req->arena, qe->message);
	c->err_details = query_error_details(qe);
}

/* A merchant caller sees only its own rows of scoped content types. */
static int
scoped(const struct ctx *c, const struct entity *e)
{
	return c->caller.role == ROLE_MERCHANT && e->scope_col != NULL;
}

/* The table or view the caller reads e's records from. */
static const char *
source(const struct ctx *c, const struct entity *e)
{
	return scoped(c, e) && e->merchant_view ? e->merchant_view : e->table;
}

/* Merchants never reach content types without a scope column, shared
 * ones aside: a route table mistake must not leak rows, so it answers as
 * if nothing existed. */
static enum err
scope_check(const struct ctx *c, const struct entity *e)
{
	if (c->caller.role == ROLE_MERCHANT && e->scope_col == NULL && !e->shared)
		return ERR_NOT_FOUND;
	return ERR_OK;
}

/* Whether the caller may list e's records: the route table's find route
 * of e (GET /api/<name>) lets it in. */
static int
may_find(const struct ctx *c, const struct entity *e)
{
	if (c->app == NULL)
		return 0;
	const struct app_def *d = app_def(c->app);
	for (size_t i = 0; i < d->nroutes; i++) {
		const struct route *r = &d->routes[i];
		if (r->entity != e || r->method != METHOD_GET ||
		    strncmp(r->pattern, "/api/", 5) != 0 || strcmp(r->pattern + 5, e->name))
			continue;
		return (r->roles & c->caller.role) && !((r->flags & ROUTE_USERS_ONLY) &&
		    c->caller.via == AUTH_TOKEN);
	}
	return 0;
}

/* The qaccess of the caller: it reads a related content type as it would
 * list it, or not at all. The answer now depends on who asks. */
static int
see(void *arg, const struct entity *e, struct qsource *src)
{
	struct ctx *c = arg;
	c->personal = 1;
	if (scope_check(c, e) != ERR_OK || !may_find(c, e))
		return 0;
	src->from = source(c, e);
	src->scope_col = scoped(c, e) ? e->scope_col : NULL;
	src->scope_id = c->caller.merchant_id;
	return 1;
}

/* The fields of e holding the relations populated (to one) in pops. */
static uint64_t
pop_fields(const struct entity *e, const struct qpop *pops)
{
	uint64_t m = 0;
	for (const struct qpop *p = pops; p; p = p->next) {
		int fi = p->rel->kind == REL_ONE ? entity_field(e, p->rel->name) : -1;
		if (fi >= 0)
			m |= (uint64_t)1 << fi;
	}
	return m;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

#define POP_CHUNK 500	/* ids bound in one statement */

/* Appends to got the records of p's target, as the caller reads them,
 * whose column col is one of ids[0..n-1] (distinct, ascending), with the
 * fields of mask, in the order of col then id: from the other side of the
 * relation, at most QUERY_MAX_RELATED of them per value of col (REL_MANY)
 * or the first (REL_FIRST). Stops past most records. */
static enum err
fetch(struct ctx *c, const struct qpop *p, uint64_t mask, const char *col,
    const int64_t *ids, int n, int most, cJSON *got)
{
	const struct entity *t = p->rel->target;
	enum err rc = ERR_OK;
	int count = 0;
	for (int at = 0; at < n && rc == ERR_OK && count <= most; at += POP_CHUNK) {
		int k = n - at < POP_CHUNK ? n - at : POP_CHUNK;
		struct buf sql = { 0 };
		buf_puts(&sql, "SELECT ");
		query_columns(t, mask, &sql);
		if (p->rel->kind != REL_ONE)
			buf_printf(&sql, " FROM (SELECT *, row_number() OVER (PARTITION BY "
			    "%s ORDER BY id) AS mp_rank FROM %s WHERE %s IN (", col,
			    p->src.from, col);
		else
			buf_printf(&sql, " FROM %s WHERE %s IN (", p->src.from, col);
		for (int i = 0; i < k; i++)
			buf_puts(&sql, i ? ",?" : "?");
		buf_putc(&sql, ')');
		if (p->src.scope_col)
			buf_printf(&sql, " AND %s = ?", p->src.scope_col);
		if (p->rel->kind != REL_ONE)
			buf_printf(&sql, ") WHERE mp_rank <= %d", p->rel->kind == REL_MANY ?
			    QUERY_MAX_RELATED : 1);
		buf_printf(&sql, " ORDER BY %s, id", col);
		sqlite3_stmt *st = db_query(c->db, sql.data);
		buf_free(&sql);
		if (st == NULL)
			return ERR_DB;
		for (int i = 0; i < k; i++)
			sqlite3_bind_int64(st, i + 1, ids[at + i]);
		if (p->src.scope_col)
			sqlite3_bind_int64(st, k + 1, p->src.scope_id);
		enum db_rc r = DB_DONE;
		while (count <= most && (r = db_step(c->db, st)) == DB_ROW) {
			cJSON_AddItemToArray(got, crud_row_json(t, mask, st));
			count++;
		}
		if (r != DB_DONE && r != DB_ROW)
			rc = ERR_DB;
		db_query_done(c->db, st);
	}
	return rc;
}

/* Populates the records recs[0..n-1] with the relations of pops, as
 * the caller reads them: a relation to one (REL_ONE, REL_FIRST) becomes
 * its record or null, a relation to many the list of its records. *budget counts down the
 * records an answer may still hold. */
static enum err
populate(struct ctx *c, cJSON **recs, int n, const struct qpop *pops, int *budget)
{
	enum err rc = ERR_OK;
	for (const struct qpop *p = pops; p && rc == ERR_OK; p = p->next) {
		const struct relation *rel = p->rel;
		const struct entity *t = rel->target;
		/* The column is the target's; a list of its records. */
		int other = rel->kind != REL_ONE, list = rel->kind == REL_MANY;
		/* The records' own ids (the other side) or the ids they name,
		 * each once. */
		int64_t *ids = xmalloc(((size_t)n + 1) * sizeof(*ids));
		int nids = 0;
		for (int i = 0; i < n; i++) {
			int64_t id = num(recs[i], other ? "id" : rel->name);
			if (id > 0)
				ids[nids++] = id;
		}
		qsort(ids, (size_t)nids, sizeof(*ids), cmp_id);
		int u = 0;
		for (int i = 0; i < nids; i++)
			if (u == 0 || ids[u - 1] != ids[i])
				ids[u++] = ids[i];
		nids = u;
		/* From the other side: the field of t naming the record it
		 * belongs to (the relation's column), read even when fields[]
		 * leave it out. */
		uint64_t want = p->fields ? p->fields : ~(uint64_t)0, back = 0;
		const char *key = "id";
		for (size_t i = 0; other && i < t->nfields; i++)
			if (strcmp(t->fields[i].col, rel->col) == 0) {
				back = (uint64_t)1 << i;
				key = t->fields[i].name;
			}
		/* Also the columns of the relations populated in them. */
		uint64_t keep = want | pop_fields(t, p->child);
		cJSON *got = cJSON_CreateArray();
		rc = other && back == 0 ? ERR_INTERNAL : fetch(c, p, keep | back,
		    other ? rel->col : "id", ids, nids, *budget, got);
		free(ids);
		/* Each record placed, for the relations populated in them. */
		int cap = 64, placed = 0;
		cJSON **put = xmalloc((size_t)cap * sizeof(*put));
		int ngot = cJSON_GetArraySize(got), g = 0;
		cJSON **row = xmalloc(((size_t)ngot + 1) * sizeof(*row));
		for (cJSON *it = got->child; it; it = it->next)
			row[g++] = it;
		for (int i = 0; i < n && rc == ERR_OK; i++) {
			int64_t want_id = num(recs[i], other ? "id" : rel->name);
			/* The first fetched record whose key is want_id. */
			int lo = 0, hi = ngot;
			while (lo < hi) {
				int mid = (lo + hi) / 2;
				if (num(row[mid], key) < want_id)
					lo = mid + 1;
				else
					hi = mid;
			}
			cJSON *val = list ? cJSON_CreateArray() : NULL;
			for (int j = lo; j < ngot && want_id > 0 &&
			    num(row[j], key) == want_id; j++) {
				if (placed == *budget) {
					ctx_error(c, "populate would answer more than %d related "
					    "records: ask for fewer", QUERY_MAX_POPULATED);
					c->err_details = cJSON_CreateObject();
					rc = ERR_VALIDATION;
					break;
				}
				cJSON *d = cJSON_Duplicate(row[j], 1);
				if (other && !(keep & back))
					cJSON_DeleteItemFromObjectCaseSensitive(d, key);
				if (placed == cap) {
					cap *= 2;
					put = xrealloc(put, (size_t)cap * sizeof(*put));
				}
				put[placed++] = d;
				if (list)
					cJSON_AddItemToArray(val, d);
				else {
					val = d;
					break;
				}
			}
			if (val == NULL)
				val = cJSON_CreateNull();
			if (cJSON_GetObjectItemCaseSensitive(recs[i], rel->name))
				cJSON_ReplaceItemInObjectCaseSensitive(recs[i], rel->name, val);
			else
				cJSON_AddItemToObject(recs[i], rel->name, val);
		}
		*budget -= placed;
		if (rc == ERR_OK && p->child)
			rc = populate(c, put, placed, p->child, budget);
		free(row);
		free(put);
		cJSON_Delete(got);
	}
	return rc;
}

/* Populates the records of the JSON array data. */
static enum err
populate_array(struct ctx *c, cJSON *data, const struct qpop *pops)
{
	if (pops == NULL)
		return ERR_OK;
	int n = cJSON_GetArraySize(data), i = 0, budget = QUERY_MAX_POPULATED;
	cJSON **recs = xmalloc(((size_t)n + 1) * sizeof(*recs));
	for (cJSON *it = data->child; it; it = it->next)
		recs[i++] = it;
	enum err rc = populate(c, recs, n, pops, &budget);
	free(recs);
	return rc;
}

/*
 * The counts of the lists answered last (per worker), each valid while the
 * database's change stamp is the one it was counted at: a list asked
 * again with nothing written since is not counted again.
 */
#define COUNT_SLOTS	16

static struct counted {
	char		*key;		/* statement, query string, binds */
	uint64_t	 hash, stamp, used;
	int64_t		 total;
} counts[COUNT_SLOTS];
static uint64_t count_tick;

static int
count_cached(const char *key, uint64_t stamp, int64_t *total)
{
	uint64_t h = text_hash(TEXT_HASH_START, key);
	for (int i = 0; i < COUNT_SLOTS; i++)
		if (counts[i].key && counts[i].hash == h && counts[i].stamp == stamp &&
		    strcmp(counts[i].key, key) == 0) {
			counts[i].used = ++count_tick;
			*total = counts[i].total;
			return 1;
		}
	return 0;
}

static void
count_keep(const char *key, uint64_t stamp, int64_t total)
{
	struct counted *slot = &counts[0];
	for (int i = 0; i < COUNT_SLOTS; i++)
		if (counts[i].used < slot->used)
			slot = &counts[i];
	free(slot->key);
	slot->key = xstrdup(key);
	slot->hash = text_hash(TEXT_HASH_START, key);
	slot->stamp = stamp;
	slot->total = total;
	slot->used = ++count_tick;
}

enum err
crud_list(struct ctx *c, const struct entity *e, const char *base)
{
	return crud_list_bind(c, e, base, NULL);
}

enum err
crud_list_bind(struct ctx *c, const struct entity *e, const char *base,
    const char *bind)
{
	struct query q;
	struct qerror qe;
	struct buf sql = { 0 }, key = { 0 }, text = { 0 };
	sqlite3_stmt *st = NULL;
	struct qaccess acc = { see, c };
	enum err rc = query_compile(e, c->req, &acc, &q, &qe);
	cJSON *data = NULL;
	int64_t total = 0;

	if (rc != ERR_OK) {
		send_query_error(c, &qe);
		goto out;
	}
	if ((rc = scope_check(c, e)) != ERR_OK)
		goto out;
	/* The page, then the count when the page does not tell it. A
	 * merchant's rows only: "AND scope = ?" with its merchant bound after
	 * the filters. */
	const char *scope = scoped(c, e) ? e->scope_col : NULL;
	rc = ERR_DB;
	/* A relation populated is read even when fields[] leave it out. */
	uint64_t mask = q.fields | pop_fields(e, q.populate);
	buf_puts(&sql, "SELECT ");
	query_columns(e, mask, &sql);
	buf_printf(&sql, " FROM %s WHERE (%s) AND (%s)%s%s%s ORDER BY %s "
	    "LIMIT ? OFFSET ?", source(c, e), base ? base : "1",
	    q.where.len ? q.where.data : "1", scope ? " AND " : "",
	    scope ? scope : "", scope ? " = ?" : "", q.order.data);
	if ((st = db_query(c->db, sql.data)) == NULL)
		goto out;
	int next = 1;
	if (bind)
		db_bind_text(st, next++, bind);
	next = query_bind(&q, st, next);
	if (scope)
		sqlite3_bind_int64(st, next++, c->caller.merchant_id);
	sqlite3_bind_int64(st, next, q.limit);
	sqlite3_bind_int64(st, next + 1, q.start);
	/* A record's tree only when populate or decorate need it; else its
	 * text, written at once (a tree a record costs most of the page). */
	if (q.populate || (e->decorate && mask == ~(uint64_t)0))
		data = cJSON_CreateArray();
	enum db_rc r;
	int64_t rows = 0;
	while ((r = db_step(c->db, st)) == DB_ROW) {
		if (data)
			cJSON_AddItemToArray(data, crud_row_json(e, mask, st));
		else {
			if (rows > 0)
				buf_putc(&text, ',');
			crud_row_write(e, mask, st, &text);
		}
		rows++;
	}
	db_query_done(c->db, st);
	st = NULL;
	if (r != DB_DONE)
		goto out;
	/* A page short of its limit ends the list: the total is known,
	 * unless the page is empty past the start (total unknown). */
	if (!q.no_count && rows < q.limit && (rows > 0 || q.start == 0))
		total = q.start + rows;
	else if (!q.no_count) {
		buf_reset(&sql);
		buf_printf(&sql, "SELECT count(*) FROM %s WHERE (%s) AND (%s)%s%s%s",
		    source(c, e), base ? base : "1", q.where.len ? q.where.data : "1",
		    scope ? " AND " : "", scope ? scope : "", scope ? " = ?" : "");
		/* The same count while the database has not changed: the key
		 * is the statement and all it binds (from the query string,
		 * bind and the merchant). */
		buf_printf(&key, "%s%c%s%c%s%c%lld", sql.data, 0x1f, c->req->query, 0x1f,
		    bind ? bind : "", 0x1f, scope ? (long long)c->caller.merchant_id : 0LL);
		uint64_t stamp = db_change_stamp(c->db);
		if (count_cached(key.data, stamp, &total))
			goto counted;
		if ((st = db_query(c->db, sql.data)) == NULL)
			goto out;
		int first = 1;
		if (bind)
			db_bind_text(st, first++, bind);
		if (scope)
			sqlite3_bind_int64(st, query_bind(&q, st, first),
			    c->caller.merchant_id);
		else
			query_bind(&q, st, first);
		if (db_step(c->db, st) != DB_ROW)
			goto out;
		total = sqlite3_column_int64(st, 0);
		count_keep(key.data, stamp, total);
	}
counted:
	if (data && (rc = populate_array(c, data, q.populate)) != ERR_OK)
		goto out;
	cJSON *meta = cJSON_CreateObject();
	cJSON *pg = cJSON_AddObjectToObject(meta, "pagination");
	if (q.by_start) {
		cJSON_AddNumberToObject(pg, "start", (double)q.start);
		cJSON_AddNumberToObject(pg, "limit", (double)q.limit);
	} else {
		cJSON_AddNumberToObject(pg, "page", (double)q.page);
		cJSON_AddNumberToObject(pg, "pageSize", (double)q.page_size);
		if (!q.no_count)
			cJSON_AddNumberToObject(pg, "pageCount",
			    (double)((total + q.page_size - 1) / q.page_size));
	}
	/* Without a count (withCount=false), neither total nor pageCount. */
	if (!q.no_count)
		cJSON_AddNumberToObject(pg, "total", (double)total);
	if (data)
		json_send_data(c->resp, 200, data, meta);
	else
		json_send_rows(c->resp, 200, &text, meta);
	data = NULL;
	rc = ERR_OK;
out:
	cJSON_Delete(data);
	db_query_done(c->db, st);
	buf_free(&text);
	buf_free(&sql);
	buf_free(&key);
	query_free(&q);
	return rc;
}

enum err
crud_resolve(struct ctx *c, const struct entity *e, const char *id,
    int64_t *rowid)
{
	int64_t num = 0;
	enum id_kind k = id_parse(id, &num);
	if (k == ID_INVALID || scope_check(c, e) != ERR_OK)
		return ERR_NOT_FOUND;
	/* Another merchant's record answers exactly like a missing one. */
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = ?%s%s%s", e->table,
	    k == ID_INTEGER ? "id" : "document_id", scoped(c, e) ? " AND " : "",
	    scoped(c, e) ? e->scope_col : "", scoped(c, e) ? " = ?" : "");
	sqlite3_stmt *st = db_query(c->db, sql);
	if (st == NULL)
		return ERR_DB;
	if (k == ID_INTEGER)
		sqlite3_bind_int64(st, 1, num);
	else
		db_bind_text(st, 1, id);
	if (scoped(c, e))
		sqlite3_bind_int64(st, 2, c->caller.merchant_id);
	enum db_rc r = db_step(c->db, st);
	if (r == DB_ROW)
		*rowid = sqlite3_column_int64(st, 0);
	db_query_done(c->db, st);
	return r == DB_ROW ? ERR_OK : r == DB_DONE ? ERR_NOT_FOUND : ERR_DB;
}

cJSON *
crud_read(struct ctx *c, const struct entity *e, int64_t rowid)
{
	struct buf sql = { 0 };
	buf_puts(&sql, "SELECT ");
	query_columns(e, ~(uint64_t)0, &sql);
	buf_printf(&sql, " FROM %s WHERE id = ?", source(c, e));
	sqlite3_stmt *st = db_query(c->db, sql.data);
	cJSON *o = NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, rowid);
		if (db_step(c->db, st) == DB_ROW)
			o = crud_row_json(e, ~(uint64_t)0, st);
	}
	db_query_done(c->db, st);
	buf_free(&sql);
	return o;
}

const cJSON *
crud_body_data(struct ctx *c)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(c->body, "data");
	if (!cJSON_IsObject(c->body) || !cJSON_IsObject(d)) {
		c->err_msg = "Missing \"data\" payload in the request body";
		return NULL;
	}
	return d;
}

/* Binds a validated JSON value for field f at index i. */
static void
bind_json(sqlite3_stmt *st, int i, const struct field *f, const cJSON *v)
{
	if (cJSON_IsNull(v)) {
		sqlite3_bind_null(st, i);
		return;
	}
	switch (f->type) {
	case FT_INT:
	case FT_REF:
		sqlite3_bind_int64(st, i, (int64_t)v->valuedouble);
		break;
	case FT_BOOL:
		sqlite3_bind_int(st, i, cJSON_IsTrue(v));
		break;
	case FT_JSON: {
		char *s = cJSON_PrintUnformatted(v);
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
		free(s);
		break;
	}
	default:
		sqlite3_bind_text(st, i, v->valuestring, -1, SQLITE_TRANSIENT);
		break;
	}
}

enum err
crud_check_unique(struct ctx *c, const struct entity *e, const cJSON *data,
    int64_t self)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, f->name);
		if (!(f->flags & F_UNIQUE) || v == NULL || cJSON_IsNull(v))
			continue;
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE %s = ? AND id != ?",
		    e->table, f->col);
		sqlite3_stmt *st = db_query(c->db, sql);
		if (st == NULL)
			return ERR_DB;
		bind_json(st, 1, f, v);
		sqlite3_bind_int64(st, 2, self);
		enum db_rc r = db_step(c->db, st);
		db_query_done(c->db, st);
		if (r == DB_ROW)
			verr_add(&c->ve, f->name, "This attribute must be unique", v);
		else if (r != DB_DONE)
			return ERR_DB;
	}
	return c->ve.n ? ERR_VALIDATION : ERR_OK;
}

/* Writes data into record rowid (update), or a new record (rowid 0),
 * setting *out_id. Runs inside the caller's transaction. */
static enum err
write_record(struct ctx *c, const struct entity *e, const cJSON *data,
    int64_t rowid, int64_t *out_id)
{
	struct buf sql = { 0 };
	char now[25], docid[DOCUMENT_ID_LEN + 1];
	enum err rc;
	sqlite3_stmt *st = NULL;

	clock_format_ms(clock_now_ms(), now);
	if ((rc = crud_check_unique(c, e, data, rowid)) != ERR_OK)
		return rc;
	if (rowid == 0) {
		if (id_document_new(docid) != 0)
			return ERR_INTERNAL;
		buf_printf(&sql, "INSERT INTO %s (document_id, created_at, "
		    "updated_at, published_at", e->table);
		for (size_t i = 0; i < e->nfields; i++)
			if (cJSON_GetObjectItemCaseSensitive(data, e->fields[i].name))
				buf_printf(&sql, ", %s", e->fields[i].col);
		buf_puts(&sql, ") VALUES (?, ?, ?, ?");
		for (size_t i = 0; i < e->nfields; i++)
			if (cJSON_GetObjectItemCaseSensitive(data, e->fields[i].name))
				buf_puts(&sql, ", ?");
		buf_putc(&sql, ')');
	} else {
		buf_printf(&sql, "UPDATE %s SET updated_at = ?", e->table);
		for (size_t i = 0; i < e->nfields; i++)
			if (cJSON_GetObjectItemCaseSensitive(data, e->fields[i].name))
				buf_printf(&sql, ", %s = ?", e->fields[i].col);
		buf_puts(&sql, " WHERE id = ?");
	}
	rc = ERR_DB;
	if ((st = db_query(c->db, sql.data)) == NULL)
		goto out;
	int n = 1;
	if (rowid == 0) {
		db_bind_text(st, n++, docid);
		db_bind_text(st, n++, now);
		db_bind_text(st, n++, now);
		db_bind_text(st, n++, now);
	} else
		db_bind_text(st, n++, now);
	for (size_t i = 0; i < e->nfields; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(data,
		    e->fields[i].name);
		if (v)
			bind_json(st, n++, &e->fields[i], v);
	}
	if (rowid != 0)
		sqlite3_bind_int64(st, n++, rowid);
	switch (db_step(c->db, st)) {
	case DB_DONE:
		*out_id = rowid ? rowid : sqlite3_last_insert_rowid(db_handle(c->db));
		rc = ERR_OK;
		break;
	case DB_CONSTRAINT:
		/* A unique value taken between the check and the write. */
		c->err_msg = "This attribute must be unique";
		rc = ERR_VALIDATION;
		break;
	default:
		break;
	}
out:
	db_query_done(c->db, st);
	buf_free(&sql);
	return rc;
}

enum err
h_crud_find(struct ctx *c)
{
	return crud_list(c, c->route->entity, NULL);
}

enum err
crud_fields(struct ctx *c, const struct entity *e, uint64_t *mask)
{
	struct qerror qe;
	enum err rc = query_fields(e, c->req, mask, &qe);
	if (rc != ERR_OK)
		send_query_error(c, &qe);
	return rc;
}

void
crud_restrict(const struct entity *e, uint64_t mask, cJSON *o)
{
	if (mask == 0 || o == NULL)
		return;
	for (size_t i = 0; i < e->nfields; i++)
		if (!query_returns(e, i, mask))
			cJSON_DeleteItemFromObjectCaseSensitive(o, e->fields[i].name);
}

enum err
crud_send_one(struct ctx *c, const struct entity *e, int64_t rowid, int status)
{
	struct query q;
	struct qerror qe;
	struct qaccess acc = { see, c };
	enum err rc = query_one(e, c->req, &acc, &q, &qe);
	if (rc != ERR_OK) {
		send_query_error(c, &qe);
		query_free(&q);
		return rc;
	}
	cJSON *o = crud_read(c, e, rowid), *one = cJSON_CreateArray();
	if (o == NULL) {
		cJSON_Delete(one);
		query_free(&q);
		return ERR_NOT_FOUND;
	}
	cJSON_AddItemToArray(one, o);
	rc = populate_array(c, one, q.populate);
	cJSON_DetachItemViaPointer(one, o);
	cJSON_Delete(one);
	if (rc == ERR_OK) {
		crud_restrict(e, q.fields ? q.fields | pop_fields(e, q.populate) : 0, o);
		json_send_data(c->resp, status, o, NULL);
	} else
		cJSON_Delete(o);
	query_free(&q);
	return rc;
}

enum err
h_crud_find_one(struct ctx *c)
{
	const struct entity *e = c->route->entity;
	int64_t rowid;
	enum err rc = crud_resolve(c, e, c->id, &rowid);
	return rc != ERR_OK ? rc : crud_send_one(c, e, rowid, 200);
}

int64_t
crud_ref_id(struct ctx *c, const char *table, const cJSON *v)
{
	char sql[128];
	int64_t id = 0;
	if (v == NULL || (!json_integral(v, 1, JSON_MAX_INT) && !(cJSON_IsString(v) &&
	    id_is_document(v->valuestring))))
		return 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = ?", table,
	    cJSON_IsString(v) ? "document_id" : "id");
	sqlite3_stmt *st = db_query(c->db, sql);
	if (st == NULL)
		return 0;
	if (cJSON_IsString(v))
		db_bind_text(st, 1, v->valuestring);
	else
		sqlite3_bind_int64(st, 1, (int64_t)v->valuedouble);
	if (db_step(c->db, st) == DB_ROW)
		id = sqlite3_column_int64(st, 0);
	db_query_done(c->db, st);
	return id;
}

/* Turns every FT_REF value of data (an id or a documentId) into the
 * referred record's integer id, in place; names the missing ones. */
static enum err
resolve_refs(struct ctx *c, const struct entity *e, cJSON *data)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		cJSON *v = cJSON_GetObjectItemCaseSensitive(data, f->name);
		if (f->type != FT_REF || v == NULL || cJSON_IsNull(v))
			continue;
		int64_t id = crud_ref_id(c, f->ref_table, v);
		if (id == 0)
			verr_addf(&c->ve, f->name, v, "%s does not exist", f->name);
		else
			cJSON_ReplaceItemInObjectCaseSensitive(data, f->name,
			    cJSON_CreateNumber((double)id));
	}
	return c->ve.n ? ERR_VALIDATION : ERR_OK;
}

enum err
crud_audit(struct ctx *c, const char *action, const struct entity *e,
    int64_t id, const cJSON *before)
{
	if (!audit_wanted(c))
		return ERR_OK;
	cJSON *after = crud_read(c, e, id);
	if (after == NULL)
		return ERR_DB;
	enum err rc = audit_record(c, action, e, id, cJSON_GetStringValue(
	    cJSON_GetObjectItem(after, "documentId")), before, after);
	cJSON_Delete(after);
	return rc;
}

enum err
crud_write(struct ctx *c, const struct entity *e, cJSON *data, int64_t rowid,
    cJSON **out)
{
	cJSON *before = NULL, *after = NULL;
	int64_t id = 0;
	enum err rc;

	*out = NULL;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if (rowid && (before = crud_read(c, e, rowid)) == NULL) {
		rc = ERR_NOT_FOUND;
		goto fail;
	}
	if ((rc = resolve_refs(c, e, data)) != ERR_OK)
		goto fail;
	if (e->check_record && e->check_record(before, data, &c->ve) != 0) {
		rc = ERR_VALIDATION;
		goto fail;
	}
	if ((rc = write_record(c, e, data, rowid, &id)) != ERR_OK)
		goto fail;
	if ((after = crud_read(c, e, id)) == NULL) {
		rc = ERR_DB;
		goto fail;
	}
	if (e->after_write && (rc = e->after_write(c, before, after)) != ERR_OK)
		goto fail;
	if ((audit_wanted(c) || (e->audit_merchants && c->caller.role ==
	    ROLE_MERCHANT)) && (rc = audit_record(c, rowid ? "update" : "create", e,
	    id, cJSON_GetStringValue(cJSON_GetObjectItem(after, "documentId")),
	    before, after)) != ERR_OK)
		goto fail;
	if ((rc = db_commit(c->db)) != ERR_OK)
		goto fail_committed;
	cJSON_Delete(before);
	*out = after;
	return ERR_OK;
fail:
	db_rollback(c->db);
fail_committed:
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}

enum err
crud_prepare(struct ctx *c, const struct entity *e, const cJSON *data,
    int creating, cJSON **out)
{
	*out = NULL;
	if (valid_entity_body(e, data, creating, &c->ve) > 0)
		return ERR_VALIDATION;
	/* Fields only an admin may set. */
	if (c->caller.role != ROLE_ADMIN)
		for (size_t i = 0; i < e->nfields; i++)
			if ((e->fields[i].flags & F_ADMIN) &&
			    cJSON_GetObjectItemCaseSensitive(data, e->fields[i].name)) {
				ctx_error(c, "Only an admin may change %s",
				    e->fields[i].name);
				return ERR_FORBIDDEN;
			}
	cJSON *copy = cJSON_Duplicate(data, 1);
	/* Passwords are hashed here, before any transaction: argon2id is slow
	 * on purpose and must not hold the write lock. */
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		cJSON *v = cJSON_GetObjectItemCaseSensitive(copy, f->name);
		if (!(f->flags & F_PASSWORD) || !cJSON_IsString(v))
			continue;
		char hash[PASSWORD_HASH_MAX];
		if (password_hash(v->valuestring, hash) != 0) {
			cJSON_Delete(copy);
			return ERR_INTERNAL;
		}
		crypto_wipe(v->valuestring, strlen(v->valuestring));
		cJSON_ReplaceItemInObjectCaseSensitive(copy, f->name,
		    cJSON_CreateString(hash));
	}
	*out = copy;
	return ERR_OK;
}

/* Create and update share everything but the row id and the status. */
static enum err
save(struct ctx *c, int creating)
{
	const struct entity *e = c->route->entity;
	const cJSON *data = crud_body_data(c);
	cJSON *copy = NULL, *out = NULL;
	int64_t rowid = 0;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	if (!creating && (rc = crud_resolve(c, e, c->id, &rowid)) != ERR_OK)
		return rc;
	if ((rc = crud_prepare(c, e, data, creating, &copy)) != ERR_OK)
		return rc;
	rc = crud_write(c, e, copy, rowid, &out);
	cJSON_Delete(copy);
	if (rc != ERR_OK)
		return rc;
	crud_restrict(e, c->fields, out);
	json_send_data(c->resp, creating ? 201 : 200, out, NULL);
	return ERR_OK;
}

enum err
h_crud_create(struct ctx *c)
{
	return save(c, 1);
}

enum err
h_crud_update(struct ctx *c)
{
	return save(c, 0);
}

enum err
h_crud_delete(struct ctx *c)
{
	const struct entity *e = c->route->entity;
	cJSON *before = NULL;
	int64_t rowid;
	enum err rc;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = crud_resolve(c, e, c->id, &rowid)) != ERR_OK)
		goto fail;
	if ((before = crud_read(c, e, rowid)) == NULL) {
		rc = ERR_NOT_FOUND;
		goto fail;
	}
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", e->table);
	sqlite3_stmt *st = db_query(c->db, sql);
	rc = ERR_DB;
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, rowid);
	enum db_rc r = db_step(c->db, st);
	db_query_done(c->db, st);
	if (r == DB_CONSTRAINT) {
		c->err_msg = "The record is still referenced by other records";
		rc = ERR_CONFLICT;
		goto fail;
	}
	if (r != DB_DONE)
		goto fail;
	if (audit_wanted(c) && (rc = audit_record(c, "delete", e, rowid,
	    cJSON_GetStringValue(cJSON_GetObjectItem(before, "documentId")),
	    before, NULL)) != ERR_OK)
		goto fail;
	if ((rc = db_commit(c->db)) != ERR_OK) {
		cJSON_Delete(before);
		return rc;
	}
	cJSON_Delete(before);
	c->resp->status = 204;
	c->resp->content_type = NULL;
	buf_reset(&c->resp->body);
	return ERR_OK;
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}
