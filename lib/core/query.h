/*
 * The Strapi v5 query language compiled into parameterised SQL: filters
 * as the tree their keys draw (fields and their operators, $and, $or and
 * $not nested), sort in its string and object forms, both pagination
 * styles, fields[] and populate. Field names come only from the
 * entity's table; values only ever become bound parameters.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "entity.h"
#include "err.h"
#include "http.h"
#include "mem.h"

/* The bounds of a query, whatever it asks: values bound, keys and values
 * of its filters (each $in value is one), nesting of $and, $or and $not. */
#define QUERY_MAX_BINDS		1000
#define QUERY_MAX_NODES		2000
#define QUERY_MAX_DEPTH		8
#define QUERY_MAX_TERMS		250	/* conditions: fields with an operator */
#define QUERY_FEW_BINDS		16
#define QUERY_MAX_SORT		5
#define QUERY_DEFAULT_PAGE_SIZE	25
#define QUERY_MAX_PAGE_SIZE	100
/* The bounds of populate: relations named, how deep they nest, the
 * records of a to-many relation under one record, records in an answer. */
#define QUERY_MAX_POPULATE	20
#define QUERY_MAX_POPULATE_DEPTH 4
#define QUERY_MAX_RELATED	100
#define QUERY_MAX_POPULATED	5000

/* How the caller reads a content type: the table or view its rows come
 * from, and the one merchant they are limited to. */
struct qsource {
	const char	*from;		/* static: a table or view */
	const char	*scope_col;	/* NULL: every row */
	int64_t		 scope_id;
};

/* Who is asking, for the records a query reaches through relations
 * (filters on them, populate): see() fills *src and returns 1 when the
 * caller may read e's records, 0 when it may not. */
struct qaccess {
	int		(*see)(void *arg, const struct entity *e, struct qsource *src);
	void		*arg;
};

/* A relation to populate, with its own fields[] and populate. Nodes live
 * in the request's arena. */
struct qpop {
	const struct relation *rel;
	struct qsource	 src;		/* how the caller reads its records */
	uint64_t	 fields;	/* of rel->target: 0 for all */
	struct qpop	*child;		/* populated in its records */
	struct qpop	*next;
};

struct qbind {
	int		 type;	/* SQLITE_INTEGER, SQLITE_TEXT or SQLITE_NULL */
	int64_t		 i;
	const char	*s;	/* in the request's arena */
};

struct query {
	struct buf	 where;		/* SQL condition, "" for none */
	struct buf	 order;		/* ORDER BY list, never empty */
	struct qbind	*binds;		/* few, or from the arena past them */
	struct qbind	 few[QUERY_FEW_BINDS];
	int		 nbinds, cap;
	struct arena	*arena;		/* the request's */
	int		 by_start;	/* start/limit rather than page/pageSize */
	int		 no_count;	/* pagination[withCount]=false: no total */
	int64_t		 page, page_size, start, limit;
	uint64_t	 fields;	/* bit i: field i is returned */
	struct qpop	*populate;	/* the relations to populate, or NULL */
	int		 npopulate;
};

/* The error of a bad query, in Strapi's details shape. */
struct qerror {
	char		 message[256];
	char		 key[128];
	const char	*param;		/* "filters", "sort", "pagination", ... */
};

/* Compiles req's query parameters against e into q, for the caller acc
 * describes (NULL: no relation may be reached). Returns ERR_OK, or
 * ERR_VALIDATION with qe filled: also for a relation the caller may not
 * read. Strings bound point into req's arena. Free q with query_free(). */
enum err	 query_compile(const struct entity *e, struct request *req,
		    const struct qaccess *acc, struct query *q, struct qerror *qe);
/* The fields[] of req's query alone (for a written record's answer): the
 * mask into *mask, 0 when it names none (all fields). ERR_VALIDATION with
 * qe for a field that is not e's. */
enum err	 query_fields(const struct entity *e, struct request *req,
		    uint64_t *mask, struct qerror *qe);
/* The fields[] and populate of req's query (for one record's answer),
 * other parameters left alone: into q as query_compile puts them (free it
 * with query_free()), its fields 0 when none are named. */
enum err	 query_one(const struct entity *e, struct request *req,
		    const struct qaccess *acc, struct query *q, struct qerror *qe);
/* Frees the buffers of q. */
void		 query_free(struct query *q);
/* Binds q's parameters to st starting at index first (1-based); returns
 * the next free index. */
int		 query_bind(const struct query *q, sqlite3_stmt *st, int first);
/* Returns 1 when field i of e is returned under the fields mask: never
 * private fields, always id and documentId. */
int		 query_returns(const struct entity *e, size_t i, uint64_t fields);
/* Appends the SELECT column list of e restricted to q->fields to b. */
void		 query_columns(const struct entity *e, uint64_t fields, struct buf *b);
/* Returns the Strapi details object of a query error. */
cJSON		*query_error_details(const struct qerror *qe);

#endif
