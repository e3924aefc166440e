/*
 * Content types described as tables of fields. The query compiler, the
 * validator and the generic handlers all read these tables, so a column
 * name reaches SQL only from here, never from a request.
 */
#ifndef ENTITY_H
#define ENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"

struct ctx;
struct verrs;

enum ftype {
	FT_ID,		/* integer primary key */
	FT_DOCID,	/* documentId */
	FT_STRING,	/* one line of text */
	FT_TEXT,	/* text with line breaks */
	FT_INT,		/* 64-bit integer */
	FT_BOOL,
	FT_ENUM,	/* one of enums[] */
	FT_DATETIME,	/* ISO 8601 UTC text */
	FT_JSON,	/* JSON text, checked by check() */
	FT_REF,		/* a relation: another record's id or documentId in
			 * requests, its integer id in the column and answers */
};

#define F_REQUIRED	0x01u	/* must be given on create */
#define F_WRITABLE	0x02u	/* clients may set it */
#define F_FILTER	0x04u	/* may appear in filters[] */
#define F_SORT		0x08u	/* may appear in sort */
#define F_UNIQUE	0x10u	/* unique among records */
#define F_NULLABLE	0x20u	/* null is a value */
#define F_PRIVATE	0x40u	/* never serialised nor queried */
#define F_ADMIN		0x80u	/* only an admin may write it */
#define F_PASSWORD	0x100u	/* a password: stored as its argon2id hash */

struct field {
	const char	*name;		/* JSON name (camelCase) */
	const char	*col;		/* SQL column (snake_case) */
	enum ftype	 type;
	unsigned	 flags;
	int64_t		 min, max;	/* ints: range; strings: length */
	const char *const *enums;	/* FT_ENUM: NULL-terminated */
	/* Further checks of a well-typed value (FT_JSON: the only check):
	 * adds errors under name to ve; returns 0 if ok. */
	int		(*check)(const cJSON *v, const char *name, struct verrs *ve);
	const char	*ref_table;	/* FT_REF: the table referred to */
};

/* How a relation stands on its column. */
enum rel_kind {
	REL_ONE,	/* to one: this type's column col holds the related
			 * record's id, and a field of the same name (FT_REF) */
	REL_MANY,	/* to many, the other side of the target's REL_ONE: the
			 * target's column col holds this record's id */
	REL_FIRST,	/* to one, from that other side: the first record, by
			 * id, of those REL_MANY would give (a merchant's owner:
			 * its first user) */
};

/* A relation of a content type to another, by name in populate and in
 * filters. */
struct relation {
	const char	*name;		/* "ticket", "responses" */
	const struct entity *target;
	const char	*col;		/* see enum rel_kind */
	enum rel_kind	 kind;
};

struct entity {
	const char	*name;		/* REST name: "subscription-plans" */
	const char	*table;		/* SQL table */
	const struct field *fields;
	size_t		 nfields;
	const struct relation *rels;
	size_t		 nrels;
	/* The column holding the owning merchant's id ("id" for merchants
	 * themselves): a merchant caller sees only rows where it equals its
	 * merchant. NULL: merchants never see these rows. */
	const char	*scope_col;
	/* What a merchant caller reads instead of table (a view of it with
	 * the same columns, hiding what it may not see), or NULL. */
	const char	*merchant_view;
	/* Holds no merchant's data: every role that may call its routes reads
	 * all of it (the plans). Otherwise a content type without scope_col is
	 * never shown to merchants. */
	int		 shared;
	/* Checks a whole record before it is written: before is the stored
	 * record (NULL on create), data the validated changes. Adds errors to
	 * ve; returns 0 if ok. */
	int		(*check_record)(const cJSON *before, const cJSON *data,
			    struct verrs *ve);
	/* Adds computed members to each record's JSON (may be NULL). */
	void		(*decorate)(cJSON *record);
	/* Runs inside the transaction of a generic write once the record is
	 * stored: before is the record as it was (NULL on create), after as
	 * it is. An error undoes the write. May be NULL. */
	enum err	(*after_write)(struct ctx *c, const cJSON *before,
			    const cJSON *after);
	/* Changes by merchant callers are audited too, not only staff's. */
	int		 audit_merchants;
};

/* The fields every content type starts with, in this order. */
#define ENTITY_STD_FIELDS \
	{ "id", "id", FT_ID, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL }, \
	{ "documentId", "document_id", FT_DOCID, F_FILTER, 0, 0, NULL, NULL, NULL }, \
	{ "createdAt", "created_at", FT_DATETIME, F_FILTER | F_SORT, 0, 0, NULL, NULL, \
	    NULL }, \
	{ "updatedAt", "updated_at", FT_DATETIME, F_FILTER | F_SORT, 0, 0, NULL, NULL, \
	    NULL }, \
	{ "publishedAt", "published_at", FT_DATETIME, F_FILTER | F_SORT, 0, 0, NULL, \
	    NULL, NULL }

/* Returns the index of the field called name, or -1. */
int		 entity_field(const struct entity *e, const char *name);
/* Returns the relation of e called name, or NULL. */
const struct relation *entity_relation(const struct entity *e, const char *name);

#endif
