/*
 * The application: a program (its route table, schema and catalogues,
 * struct app_def) served under the process's configuration (config.h);
 * the per-request context handed to handlers, the route table type, and
 * the dispatcher that turns a request value into a response value. Knows
 * nothing of FastCGI, nor of any program's routes.
 */
#ifndef APP_H
#define APP_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "db.h"
#include "entity.h"
#include "err.h"
#include "http.h"
#include "auth.h"
#include "config.h"
#include "msg.h"
#include "valid.h"

/* Who may call a route (enforced with the accounts issue). */
#define ROLE_ANON	0x01u
#define ROLE_ADMIN	0x02u
#define ROLE_AGENT	0x04u
#define ROLE_MERCHANT	0x08u
#define ROLES_STAFF	(ROLE_ADMIN | ROLE_AGENT)
#define ROLES_SIGNED_IN	(ROLE_ADMIN | ROLE_AGENT | ROLE_MERCHANT)
#define ROLES_ALL	(ROLE_ANON | ROLES_SIGNED_IN)

/* Route flags. */
#define ROUTE_CACHE	0x01u	/* public GET whose answer depends only on
				 * the URL and the data: cached per worker */
#define ROUTE_BODY	0x02u	/* takes a JSON body */
#define ROUTE_PAGE	0x04u	/* an HTML page (cached per language with
				 * ROUTE_CACHE): anonymous callers who may not
				 * see it are sent to the sign-in page */
#define ROUTE_FORM	0x08u	/* takes an HTML form (urlencoded); its CSRF
				 * token is checked before the handler runs */
#define ROUTE_USERS_ONLY 0x20u	/* people only: API tokens are refused */
#define ROUTE_BODY_OPT	0x40u	/* takes a JSON body, which may be absent */
#define ROUTE_NO_IDEM	0x10u	/* answers carry secrets (tokens, JWTs): an
				 * Idempotency-Key is ignored, never stored */
/* What the users of a merchant that is not active may still change (they
 * may read all they could): a suspended one, routes flagged either way; a
 * closed one, ROUTE_CLOSED_OK only. */
#define ROUTE_SUSPENDED_OK 0x80u	/* support, cancelling its subscription */
#define ROUTE_CLOSED_OK	0x100u	/* signing in and out */
#define ROUTE_LOOPBACK	0x200u	/* anyone calling from this machine's loopback
				 * (127.0.0.1, ::1) may call it, whatever the
				 * roles say (/metrics) */
#define ROUTE_GROUP	0x400u	/* a write whose handler only reads and writes
				 * the database (no network, no password
				 * hashing, no files): waiting requests of such
				 * routes share one commit (app_handle_group) */

struct app;
struct ctx;

typedef enum err (*handler_fn)(struct ctx *);

struct route {
	enum http_method method;
	const char	*pattern;	/* "/api/x/:id" */
	unsigned	 roles;		/* ROLE_* allowed */
	unsigned	 flags;		/* ROUTE_* */
	handler_fn	 handler;
	const struct entity *entity;	/* for the generic handlers */
	const char	*summary;	/* one line, for docs and the API tester */
};

struct ctx {
	struct app	*app;
	struct db	*db;
	struct request	*req;
	struct response	*resp;
	const struct route *route;
	const char	*id;		/* the :id segment, or NULL */
	cJSON		*body;		/* parsed JSON body, or NULL */
	struct kv	*form;		/* parsed form body (ROUTE_FORM) */
	size_t		 nform;
	struct caller	 caller;	/* who is calling */
	struct verrs	 ve;		/* validation errors */
	const char	*err_msg;	/* error message override */
	cJSON		*err_details;	/* error details override (owned) */
	const char	*flash_error;	/* a form's error, shown by the page */
	/* fields[] of a write's query: the record answered holds only these
	 * (crud_restrict); 0 for all. Checked before the handler runs. */
	uint64_t	 fields;
	/* The answer depends on who asks, not only on the URL and the data
	 * (records reached through relations): never cached. */
	int		 personal;
};

/* A program served by the dispatcher: its route table (the single source
 * of truth for dispatch, roles, the route-matrix test and the API tester)
 * and the schema its database is migrated to. Static storage. */
struct app_def {
	const char	*name;		/* "platform", "shop" */
	const struct route *routes;
	size_t		 nroutes;
	const char	*schema;	/* the text of its schema.sql */
	const struct msg_lang *langs;	/* its message catalogues */
	size_t		 nlangs;
	/* Resolves the request's credentials into c->caller (auth_resolve:
	 * users, API tokens and sessions): ERR_OK, also for anonymous
	 * callers, or ERR_UNAUTHORIZED for credentials present but wrong. */
	enum err	(*resolve)(struct ctx *c);
	int		 sign_in;	/* it issues JWTs: a key is required */
};

/* Returns a form field of the request, or NULL. */
const char	*ctx_form(const struct ctx *c, const char *name);
/* Opens the program def (static storage) under the process's
 * configuration (config()): its database, migrated to def->schema.
 * Returns ERR_OK, ERR_INTERNAL (no JWT key: sign-in would be impossible)
 * or ERR_DB. Free with app_close(). */
enum err	 app_open(const struct app_def *def, struct app **out);
void		 app_close(struct app *app);
/* GET /health: the database answers and its schema is current. */
enum err	 h_health(struct ctx *c);
/* The program the application serves. */
const struct app_def *app_def(struct app *app);
/* The application's database connection. */
struct db	*app_db(struct app *app);
/* Handles one request: routing, body parsing, idempotency, the cache,
 * the handler, and the error envelope. Never fails: resp always holds an
 * answer. */
void		 app_handle(struct app *app, struct request *req,
		    struct response *resp);
/* Whether req (its method and path are enough) goes to a ROUTE_GROUP
 * route, so that it may share a commit with others. */
int		 app_groupable(struct app *app, const struct request *req);
/* A group commit. app_group_queue waits for this process's turn among
 * the processes that group writes (db_queue_enter), so that each takes
 * the requests waiting then, in their order; app_group_leave gives the
 * turn back unused. app_group_begin opens the transaction (BEGIN
 * IMMEDIATE) for the n requests reqs[] (each app_groupable) that
 * app_handle_group then handles as app_handle would, each request's own
 * transaction being a savepoint in it, and ends with one commit for all
 * their writes (one wait for the disk instead of n), which gives the turn
 * back. The answers stand only if that commit is made; if it is not (a
 * full disk, a transaction lost), every answer is replaced by the error
 * that says nothing was written. A request the transaction was lost
 * before is handled alone. app_group_begin returns ERR_OK or ERR_DB
 * (nothing begun, the turn given back: handle them alone);
 * app_handle_group must follow its ERR_OK, also for n = 0. resps[i]
 * receives reqs[i]'s answer. */
void		 app_group_queue(struct app *app);
void		 app_group_leave(struct app *app);
enum err	 app_group_begin(struct app *app);
void		 app_handle_group(struct app *app, struct request **reqs,
		    struct response **resps, size_t n);
/* Matches method and path against the table routes[n]. Returns the route
 * index, or -1 with *e set to ERR_NOT_FOUND or ERR_METHOD (and *allow to
 * a bit set of allowed methods). *id receives the :id segment. */
int		 router_match(const struct route *routes, size_t n,
		    enum http_method method, const char *path, char *id,
		    size_t idsz, enum err *e, unsigned *allow);

/* Whether the caller may call c->route (its roles, API tokens' limits,
 * a merchant's state): ERR_OK, ERR_FORBIDDEN or ERR_UNAUTHORIZED; a page
 * for signed-in people answers an anonymous caller 303 to the sign-in
 * page (resp set, ERR_OK). */
enum err	 app_authorize(struct ctx *c);

/* Sets an error's message (copied into the request arena). */
void		 ctx_error(struct ctx *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
