/*
 * Who is calling: credentials (a JWT or an API token as Bearer, or the
 * browser's session cookie) resolved into a caller, sign-in with growing
 * delays after failures, browser sessions and their CSRF tokens.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdint.h>

#include "err.h"
#include "jwt.h"

struct ctx;
struct db;

#define AUTH_SESSION_COOKIE	"mp_session"
#define AUTH_CSRF_COOKIE	"mp_csrf"
#define AUTH_SESSION_TTL_MS	(12LL * 3600 * 1000)
#define AUTH_LOCK_AFTER		5	/* failures before delays start */
#define AUTH_LOCK_MAX_S		900	/* the longest delay */

enum auth_via { AUTH_NONE, AUTH_JWT, AUTH_TOKEN, AUTH_SESSION };

/* The merchant's status, for the merchant role (what it may still do is
 * the dispatcher's: see ROUTE_SUSPENDED_OK and ROUTE_CLOSED_OK). */
enum merchant_state { MERCHANT_ACTIVE, MERCHANT_SUSPENDED, MERCHANT_CLOSED };

struct caller {
	unsigned	 role;		/* one ROLE_* bit; ROLE_ANON if nobody */
	enum auth_via	 via;
	int64_t		 user_id;	/* 0 for API tokens */
	int64_t		 merchant_id;	/* the merchant role's merchant */
	enum merchant_state merchant_state; /* and its status */
	int64_t		 token_id;	/* API tokens */
	int		 read_only;	/* read-only API token */
	char		 name[160];	/* e-mail, or "token:<name>" */
	char		 csrf[48];	/* session's CSRF token */
	char		 lang[8];	/* its merchant's language, or "" */
};

/* Resolves the request's credentials into c->caller. Returns ERR_OK (also
 * for anonymous requests) or ERR_UNAUTHORIZED for credentials that are
 * present but invalid, expired, or of a blocked or deleted user. */
enum err	 auth_resolve(struct ctx *c);
/* Checks the CSRF token of a state-changing request authenticated by the
 * session cookie (X-CSRF-Token header or _csrf form field). */
enum err	 auth_check_csrf(struct ctx *c, const char *form_token);
/* Returns the role bit of a role name ("admin"), or 0. */
unsigned	 auth_role_bit(const char *name);
/* Returns the name of a role bit. */
const char	*auth_role_name(unsigned bit);

/* Signs in: checks identifier (e-mail or username) and password and
 * records the attempt (every wrong password counts; after AUTH_LOCK_AFTER
 * the account waits 1 s, then 2, 4 ... up to AUTH_LOCK_MAX_S). An unknown
 * account, a wrong password, a blocked account and a waiting one get the
 * same answer in the same time: ERR_VALIDATION with "Invalid identifier or
 * password". On success fills *who (for auth_jwt_issue and
 * auth_session_open). Returns ERR_OK, ERR_VALIDATION or ERR_DB. */
enum err	 auth_sign_in(struct ctx *c, const char *identifier,
		    const char *password, struct jwt_subject *who);
/* Ends the wait after failed sign-ins of the user user_id, or (user_id 0)
 * of the user with this e-mail: an admin's unlock. Returns ERR_OK,
 * ERR_NOT_FOUND or ERR_DB. */
enum err	 auth_unlock(struct db *db, int64_t user_id, const char *email);
/* Issues a JWT for who into out (JWT_MAX_LEN), with the configured key
 * and lifetime. Returns 0, or -1 without a key. */
int		 auth_jwt_issue(const struct jwt_subject *who, char *out);
/* Opens a browser session for who, unless its credentials changed since
 * it signed in (then ERR_VALIDATION as a refused sign-in): sets the cookie
 * on the response. Returns ERR_OK, ERR_VALIDATION or ERR_DB. */
enum err	 auth_session_open(struct ctx *c, const struct jwt_subject *who);
/* Closes the caller's browser session and clears the cookie. */
enum err	 auth_session_close(struct ctx *c);
/* A random token (32 bytes, base64url) for CSRF cookies and forms. */
void		 auth_random_token(char out[48]);
/* Returns the value of cookie name from the request, or NULL (copied into
 * the request arena). */
const char	*auth_cookie(const struct ctx *c, const char *name);

/* POST /api/auth/logout: ends the browser session. */
enum err	 h_auth_logout(struct ctx *c);

#endif
