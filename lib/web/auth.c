#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "crypto.h"
#include "id.h"
#include "json.h"
#include "jwt.h"
#include "password.h"

enum stmt_auth {
	STMT_AUTH_USER,
	STMT_AUTH_TOKEN,
	STMT_AUTH_TOKEN_USED,
	STMT_AUTH_SESSION,
	STMT_AUTH_SESSION_PUT,
	STMT_AUTH_SESSION_DEL,
	STMT_AUTH_SESSION_EXPIRE,
	STMT_AUTH_LOGIN_FIND,
	STMT_AUTH_LOGIN_FAIL,
	STMT_AUTH_LOGIN_OK,
	STMT_AUTH_UNLOCK,
	STMT_AUTH__MAX
};

static const char *const stmts[STMT_AUTH__MAX] = {
	[STMT_AUTH_USER] = "SELECT u.email, u.role, u.merchant_id, u.blocked, "
	    "m.status, u.document_id, u.credentials_version, m.language FROM users u "
	    "LEFT JOIN merchants m ON m.id = u.merchant_id WHERE u.id = ?",
	[STMT_AUTH_TOKEN] = "SELECT id, name, kind, expires_at, last_used_at "
	    "FROM api_tokens WHERE token_hash = ?",
	[STMT_AUTH_TOKEN_USED] = "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
	[STMT_AUTH_SESSION] = "SELECT s.user_id, s.csrf, s.expires_ms, u.email, "
	    "u.role, u.merchant_id, u.blocked, m.status, m.language FROM sessions s "
	    "JOIN users u ON u.id = s.user_id LEFT JOIN merchants m ON "
	    "m.id = u.merchant_id WHERE s.id_hash = ?",
	/* Only for the credentials signed in with: a change of password,
	 * role or blocked state in between leaves no session behind. */
	[STMT_AUTH_SESSION_PUT] = "INSERT INTO sessions (id_hash, user_id, csrf, "
	    "created_ms, expires_ms) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 "
	    "FROM users WHERE id = ?2 AND credentials_version = ?6 AND blocked = 0)",
	[STMT_AUTH_SESSION_DEL] = "DELETE FROM sessions WHERE id_hash = ?",
	[STMT_AUTH_SESSION_EXPIRE] = "DELETE FROM sessions WHERE expires_ms <= ?",
	[STMT_AUTH_LOGIN_FIND] = "SELECT id, password_hash, credentials_version "
	    "FROM users WHERE email = ?1 OR username = ?1",
	/* One statement counts the failure and sets the delay, so concurrent
	 * failures all count. */
	[STMT_AUTH_LOGIN_FAIL] = "UPDATE users SET failed_logins = failed_logins + 1, "
	    "locked_until_ms = CASE WHEN failed_logins + 1 < ?2 THEN locked_until_ms "
	    "ELSE ?3 + 1000 * min(?4, 1 << min(failed_logins + 1 - ?2, 20)) END "
	    "WHERE id = ?1",
	/* Succeeds only for an account that is neither blocked nor waiting,
	 * whose credentials did not change since the password was read. */
	[STMT_AUTH_LOGIN_OK] = "UPDATE users SET failed_logins = 0, "
	    "locked_until_ms = 0, last_login_at = ?1 WHERE id = ?2 AND blocked = 0 "
	    "AND locked_until_ms <= ?3 AND credentials_version = ?4 "
	    "RETURNING document_id",
	[STMT_AUTH_UNLOCK] = "UPDATE users SET failed_logins = 0, locked_until_ms = 0 "
	    "WHERE id = ?1 OR email = ?2",
};

static const struct { const char *name; unsigned bit; } roles_by_name[] = {
	{ "admin", ROLE_ADMIN }, { "agent", ROLE_AGENT }, { "merchant", ROLE_MERCHANT },
};

unsigned
auth_role_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(roles_by_name) / sizeof(roles_by_name[0]); i++)
		if (name && strcmp(name, roles_by_name[i].name) == 0)
			return roles_by_name[i].bit;
	return 0;
}

const char *
auth_role_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(roles_by_name) / sizeof(roles_by_name[0]); i++)
		if (roles_by_name[i].bit == bit)
			return roles_by_name[i].name;
	return "anonymous";
}

void
auth_random_token(char out[48])
{
	unsigned char r[32];
	if (id_random(r, sizeof(r)) != 0)
		abort();	/* no entropy: nothing safe can be done */
	crypto_b64url_encode(r, sizeof(r), out);
	crypto_wipe(r, sizeof(r));
}

const char *
auth_cookie(const struct ctx *c, const char *name)
{
	const char *h = http_header(c->req, "cookie");
	size_t n = strlen(name);
	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		const char *end = strchr(h, ';');
		size_t len = end ? (size_t)(end - h) : strlen(h);
		if (len > n && strncmp(h, name, n) == 0 && h[n] == '=')
			return arena_strndup(&c->req->arena, h + n + 1, len - n - 1);
		h = end;
	}
	return NULL;
}

/* Fills the caller from a user row; returns ERR_UNAUTHORIZED for a
 * blocked user. Columns: email, role, merchant_id, blocked, the merchant's
 * status from col; the merchant's language at column lang. */
static enum err
caller_from_user(struct caller *cl, sqlite3_stmt *st, int col, int lang, int64_t uid)
{
	snprintf(cl->lang, sizeof(cl->lang), "%s", db_col_text(st, lang));
	if (sqlite3_column_int(st, col + 3))
		return ERR_UNAUTHORIZED;
	cl->user_id = uid;
	cl->role = auth_role_bit(db_col_text(st, col + 1));
	cl->merchant_id = sqlite3_column_int64(st, col + 2);
	const char *status = db_col_text(st, col + 4);
	cl->merchant_state = strcmp(status, "suspended") == 0 ? MERCHANT_SUSPENDED :
	    strcmp(status, "closed") == 0 ? MERCHANT_CLOSED : MERCHANT_ACTIVE;
	snprintf(cl->name, sizeof(cl->name), "%s", db_col_text(st, col));
	return cl->role ? ERR_OK : ERR_UNAUTHORIZED;
}

/* A JWT names a user by id, documentId and credentials version: all three
 * must match the user as it is now. */
static enum err
resolve_jwt(struct ctx *c, const char *token)
{
	const struct config *cfg = config();
	struct jwt_subject who;
	if (cfg->jwt.len == 0 || jwt_verify(cfg->jwt.bytes, cfg->jwt.len, token,
	    clock_now_ms() / 1000, &who) != 0)
		return ERR_UNAUTHORIZED;
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_AUTH_USER], "i", who.user_id);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(c->db, st);
	enum err rc = r == DB_DONE ? ERR_UNAUTHORIZED : ERR_DB;	/* deleted user */
	if (r == DB_ROW) {
		if (strcmp(db_col_text(st, 5), who.doc) != 0 ||
		    sqlite3_column_int64(st, 6) != who.version)
			rc = ERR_UNAUTHORIZED;
		else
			rc = caller_from_user(&c->caller, st, 0, 7, who.user_id);
	}
	db_done(st);
	if (rc == ERR_OK)
		c->caller.via = AUTH_JWT;
	return rc;
}

static enum err
resolve_token(struct ctx *c, const char *token)
{
	char hash[65], now[25];
	if (strlen(token) > 200)
		return ERR_UNAUTHORIZED;
	crypto_sha256_hex(token, strlen(token), hash);
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_AUTH_TOKEN], "s", hash);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(c->db, st);
	if (r != DB_ROW) {
		db_done(st);
		return r == DB_DONE ? ERR_UNAUTHORIZED : ERR_DB;
	}
	int64_t now_ms = clock_now_ms();
	clock_format_ms(now_ms, now);
	int64_t id = sqlite3_column_int64(st, 0);
	int expired = sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    strcmp(db_col_text(st, 3), now) <= 0;
	/* last_used_at is refreshed at most once an hour: no write per read. */
	char stale[25];
	clock_format_ms(now_ms - 3600 * 1000, stale);
	int touch = sqlite3_column_type(st, 4) == SQLITE_NULL ||
	    strcmp(db_col_text(st, 4), stale) < 0;
	struct caller *cl = &c->caller;
	cl->role = ROLE_ADMIN;
	cl->via = AUTH_TOKEN;
	cl->token_id = id;
	cl->read_only = strcmp(db_col_text(st, 2), "read-only") == 0;
	snprintf(cl->name, sizeof(cl->name), "token:%s", db_col_text(st, 1));
	db_done(st);
	if (expired) {
		memset(cl, 0, sizeof(*cl));
		cl->role = ROLE_ANON;
		return ERR_UNAUTHORIZED;
	}
	if (touch)
		db_exec(c->db, stmts[STMT_AUTH_TOKEN_USED], "si", now, id);
	return ERR_OK;
}

static enum err
resolve_session(struct ctx *c, const char *sid)
{
	char hash[65];
	if (strlen(sid) > 100)
		return ERR_OK;
	crypto_sha256_hex(sid, strlen(sid), hash);
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_AUTH_SESSION], "s", hash);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(c->db, st);
	if (r == DB_ROW && sqlite3_column_int64(st, 2) > clock_now_ms()) {
		struct caller cl = { .role = ROLE_ANON };
		if (caller_from_user(&cl, st, 3, 8, sqlite3_column_int64(st, 0)) == ERR_OK) {
			cl.via = AUTH_SESSION;
			snprintf(cl.csrf, sizeof(cl.csrf), "%s", db_col_text(st, 1));
			c->caller = cl;
		}
	}
	db_done(st);
	/* A stale or unknown cookie is no credential: the caller stays
	 * anonymous (public pages keep working). */
	return r == DB_ERROR ? ERR_DB : ERR_OK;
}

enum err
auth_resolve(struct ctx *c)
{
	memset(&c->caller, 0, sizeof(c->caller));
	c->caller.role = ROLE_ANON;
	const char *h = http_header(c->req, "authorization");
	if (h) {
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return ERR_UNAUTHORIZED;
		const char *t = h + 7;
		while (*t == ' ')
			t++;
		if (*t == '\0')
			return ERR_UNAUTHORIZED;
		const char *d1 = strchr(t, '.');
		enum err rc = d1 && strchr(d1 + 1, '.') ? resolve_jwt(c, t) :
		    resolve_token(c, t);
		if (rc != ERR_OK) {
			memset(&c->caller, 0, sizeof(c->caller));
			c->caller.role = ROLE_ANON;
		}
		return rc;
	}
	const char *sid = auth_cookie(c, AUTH_SESSION_COOKIE);
	return sid ? resolve_session(c, sid) : ERR_OK;
}

enum err
auth_check_csrf(struct ctx *c, const char *form_token)
{
	const char *want = NULL;
	const char *got = http_header(c->req, "x-csrf-token");
	if (got == NULL)
		got = form_token;
	if (c->caller.via == AUTH_SESSION)
		want = c->caller.csrf;
	else if (c->caller.via == AUTH_NONE)
		want = auth_cookie(c, AUTH_CSRF_COOKIE);	/* double submit */
	else
		return ERR_OK;	/* Bearer credentials are not sent by browsers */
	if (want == NULL || got == NULL || strlen(want) < 32 ||
	    strlen(got) != strlen(want) ||
	    crypto_ct_compare(want, got, strlen(want)) != 0) {
		c->err_msg = "Invalid or missing CSRF token";
		return ERR_FORBIDDEN;
	}
	return ERR_OK;
}

/* The one answer to every refused sign-in: an unknown account, a wrong
 * password, a blocked account and one waiting after failures look alike. */
static enum err
refuse_sign_in(struct ctx *c)
{
	c->err_msg = "Invalid identifier or password";
	return ERR_VALIDATION;
}

enum err
auth_sign_in(struct ctx *c, const char *identifier, const char *password,
    struct jwt_subject *who)
{
	char hash[PASSWORD_HASH_MAX] = "", ts[25];
	int64_t uid = 0, version = 0, now = clock_now_ms();
	enum err e = db_get(c->db, stmts[STMT_AUTH_LOGIN_FIND], "s", "ISI", identifier,
	    &uid, hash, sizeof(hash), &version);
	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return ERR_DB;
	/* Always verified (against a dummy hash for an unknown account), and
	 * outside any transaction: argon2id takes tens of ms. */
	int ok = password_verify(password, uid ? hash : NULL);
	crypto_wipe(hash, sizeof(hash));
	if (db_begin(c->db) != ERR_OK)
		return ERR_DB;
	if (!ok) {
		/* Every wrong password counts, even while the account waits. An
		 * unknown account runs the same statements, on no row, so that it
		 * takes the same time: nobody learns which accounts exist. */
		if (db_exec(c->db, stmts[STMT_AUTH_LOGIN_FAIL], "iiii", uid,
		    (int64_t)AUTH_LOCK_AFTER, now, (int64_t)AUTH_LOCK_MAX_S) != ERR_OK ||
		    db_commit(c->db) != ERR_OK)
			goto fail;
		return refuse_sign_in(c);
	}
	clock_format_ms(now, ts);
	e = db_get(c->db, stmts[STMT_AUTH_LOGIN_OK], "siii", "S", ts, uid, now, version,
	    who->doc, sizeof(who->doc));
	if (e == ERR_NOT_FOUND) {
		/* Blocked, waiting, or changed meanwhile. */
		db_rollback(c->db);
		return refuse_sign_in(c);
	}
	if (e != ERR_OK || db_commit(c->db) != ERR_OK)
		goto fail;
	who->user_id = uid;
	who->version = version;
	return ERR_OK;
fail:
	db_rollback(c->db);
	return ERR_DB;
}

enum err
auth_unlock(struct db *db, int64_t user_id, const char *email)
{
	if (db_exec(db, stmts[STMT_AUTH_UNLOCK], "is", user_id, user_id ? NULL : email) !=
	    ERR_OK)
		return ERR_DB;
	return sqlite3_changes(db_handle(db)) ? ERR_OK : ERR_NOT_FOUND;
}

int
auth_jwt_issue(const struct jwt_subject *who, char *out)
{
	const struct config *cfg = config();
	if (cfg->jwt.len == 0)
		return -1;
	return jwt_sign(cfg->jwt.bytes, cfg->jwt.len, who, clock_now_ms() / 1000,
	    cfg->jwt_ttl, out);
}

enum err
auth_session_open(struct ctx *c, const struct jwt_subject *who)
{
	char sid[48], csrf[48], hash[65], cookie[200];
	int64_t now = clock_now_ms();
	auth_random_token(sid);
	auth_random_token(csrf);
	crypto_sha256_hex(sid, strlen(sid), hash);
	if (db_begin(c->db) != ERR_OK)
		return ERR_DB;
	if (db_exec(c->db, stmts[STMT_AUTH_SESSION_EXPIRE], "i", now) != ERR_OK ||
	    db_exec(c->db, stmts[STMT_AUTH_SESSION_PUT], "sisiii", hash, who->user_id, csrf,
	    now, now + AUTH_SESSION_TTL_MS, who->version) != ERR_OK)
		goto fail;
	if (sqlite3_changes(db_handle(c->db)) == 0) {
		db_rollback(c->db);
		return refuse_sign_in(c);
	}
	if (db_commit(c->db) != ERR_OK)
		goto fail;
	snprintf(cookie, sizeof(cookie), AUTH_SESSION_COOKIE "=%s; Path=/; "
	    "Max-Age=%lld; HttpOnly; Secure; SameSite=Lax", sid,
	    (long long)(AUTH_SESSION_TTL_MS / 1000));
	resp_header(c->resp, "Set-Cookie", cookie);
	crypto_wipe(sid, sizeof(sid));
	return ERR_OK;
fail:
	db_rollback(c->db);
	return ERR_DB;
}

enum err
auth_session_close(struct ctx *c)
{
	const char *sid = auth_cookie(c, AUTH_SESSION_COOKIE);
	resp_header(c->resp, "Set-Cookie", AUTH_SESSION_COOKIE "=; Path=/; "
	    "Max-Age=0; HttpOnly; Secure; SameSite=Lax");
	if (sid == NULL)
		return ERR_OK;
	char hash[65];
	crypto_sha256_hex(sid, strlen(sid), hash);
	return db_exec(c->db, stmts[STMT_AUTH_SESSION_DEL], "s", hash) == ERR_OK ? ERR_OK :
	    ERR_DB;
}

enum err
h_auth_logout(struct ctx *c)
{
	enum err rc = auth_session_close(c);
	if (rc != ERR_OK)
		return rc;
	c->resp->status = 204;
	c->resp->content_type = NULL;
	return ERR_OK;
}
