/*
 * The standard routes of a content type (find, findOne, create, update,
 * delete), driven by its entity table, and the helpers domain files use
 * to read and write records.
 */
#ifndef CRUD_H
#define CRUD_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "app.h"
#include "entity.h"

/* GET /api/<type>: filters, sort, pagination, fields. */
enum err	 h_crud_find(struct ctx *c);
/* GET /api/<type>/:id */
enum err	 h_crud_find_one(struct ctx *c);
/* POST /api/<type> */
enum err	 h_crud_create(struct ctx *c);
/* PUT /api/<type>/:id */
enum err	 h_crud_update(struct ctx *c);
/* DELETE /api/<type>/:id */
enum err	 h_crud_delete(struct ctx *c);

/* Lists e's records matching the request's query, within the extra SQL
 * condition base (static text, may be NULL), as a Strapi list answer. */
enum err	 crud_list(struct ctx *c, const struct entity *e, const char *base);
/* The same, base holding one '?' bound to the text bind (static SQL). */
enum err	 crud_list_bind(struct ctx *c, const struct entity *e,
		    const char *base, const char *bind);
/* Resolves a relation value (an integer id or a documentId) to the id of
 * a record of table (a static table name); 0 when it names none. */
int64_t		 crud_ref_id(struct ctx *c, const char *table, const cJSON *v);
/* Finds the record named by the URL id (integer or documentId); sets
 * *rowid. Returns ERR_OK or ERR_NOT_FOUND. */
enum err	 crud_resolve(struct ctx *c, const struct entity *e,
		    const char *id, int64_t *rowid);
/* Reads record rowid as a JSON object (NULL if absent), as the caller
 * sees it (a merchant through the content type's merchant view). */
cJSON		*crud_read(struct ctx *c, const struct entity *e, int64_t rowid);
/* Answers record rowid of e as the caller reads it (404 when it cannot),
 * with status, shaped by the request's fields[] and populate (bad ones
 * are a 400 that names them). */
enum err	 crud_send_one(struct ctx *c, const struct entity *e, int64_t rowid,
		    int status);
/* Turns the current row of st (columns as query_columns wrote them)
 * into a JSON object (caller deletes); e's computed members only when
 * fields holds them all. */
cJSON		*crud_row_json(const struct entity *e, uint64_t fields,
		    sqlite3_stmt *st);
/* Appends the same object as text, byte for byte what crud_row_json's
 * tree prints, e's computed members aside (it never has them). */
void		 crud_row_write(const struct entity *e, uint64_t fields,
		    sqlite3_stmt *st, struct buf *b);
/* Checks a create (creating = 1) or update body for the caller: types,
 * admin-only fields (403), then returns in *out a copy with passwords
 * hashed (caller deletes). */
enum err	 crud_prepare(struct ctx *c, const struct entity *e,
		    const cJSON *data, int creating, cJSON **out);
/* Writes prepared data into record rowid (0: a new record) in one
 * transaction: references resolved, record checks, unique checks, the
 * audit entry. On success *out is the stored record (caller deletes). */
enum err	 crud_write(struct ctx *c, const struct entity *e, cJSON *data,
		    int64_t rowid, cJSON **out);
/* Refuses values of e's unique fields in data that a record other than
 * self (0: none) already has: each one added to c->ve. Returns ERR_OK,
 * ERR_VALIDATION or ERR_DB. */
enum err	 crud_check_unique(struct ctx *c, const struct entity *e,
		    const cJSON *data, int64_t self);
/* Records in the audit log, inside the caller's transaction, that the
 * caller did action ("create" or "update") to record id of e, which was
 * before (NULL on create; not taken) and is now as read back. Nothing for
 * callers whose changes are not audited. Returns ERR_OK or ERR_DB. */
enum err	 crud_audit(struct ctx *c, const char *action,
		    const struct entity *e, int64_t id, const cJSON *before);
/* The fields[] of the request's query, for one record's answer: its mask
 * into *mask (0: all). ERR_VALIDATION, the error set, for a field that is
 * not e's. (Writes have it in c->fields, checked before their handler.) */
enum err	 crud_fields(struct ctx *c, const struct entity *e, uint64_t *mask);
/* Leaves in o (a record of e) only the fields of mask, id and documentId
 * always; nothing for mask 0. */
void		 crud_restrict(const struct entity *e, uint64_t mask, cJSON *o);
/* Returns the "data" object of the request body, or sets the Strapi
 * error ('Missing "data" payload') and returns NULL. */
const cJSON	*crud_body_data(struct ctx *c);

#endif
