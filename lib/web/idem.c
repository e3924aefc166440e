#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "clock.h"
#include "idem.h"

enum stmt_idem {
	STMT_IDEM_GET,
	STMT_IDEM_PUT,
	STMT_IDEM_EXPIRE,
	STMT_IDEM__MAX
};

static const char *const stmts[STMT_IDEM__MAX] = {
	[STMT_IDEM_GET] = "SELECT request_hash, status, content_type, body "
	    "FROM idempotency_keys WHERE scope = ? AND key = ? AND created_ms > ?",
	[STMT_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency_keys (scope, key, "
	    "method, path, request_hash, status, content_type, body, created_ms) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_IDEM_EXPIRE] = "DELETE FROM idempotency_keys WHERE created_ms <= ?",
};

int
idem_key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > IDEM_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
}

void
idem_hash(const struct request *req, char hex[65])
{
	unsigned char out[32];
	mbedtls_sha256_context ctx;
	const char *m = http_method_name(req->method);
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	mbedtls_sha256_update_ret(&ctx, (const unsigned char *)m, strlen(m) + 1);
	mbedtls_sha256_update_ret(&ctx, (const unsigned char *)req->path,
	    strlen(req->path) + 1);
	mbedtls_sha256_update_ret(&ctx, (const unsigned char *)req->query,
	    strlen(req->query) + 1);
	if (req->body_len)
		mbedtls_sha256_update_ret(&ctx, (const unsigned char *)req->body,
		    req->body_len);
	mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

enum err
idem_lookup(struct db *db, const char *scope, const char *key, const char *hash,
    struct response *resp, enum idem_state *state)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_IDEM_GET], "ssi", scope, key,
	    clock_now_ms() - IDEM_TTL_MS);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(db, st);
	if (r == DB_DONE) {
		*state = IDEM_NEW;
	} else if (r == DB_ROW) {
		if (strcmp(db_col_text(st, 0), hash) != 0) {
			*state = IDEM_MISMATCH;
		} else {
			*state = IDEM_REPLAY;
			resp->status = sqlite3_column_int(st, 1);
			/* Content types are our own static strings. */
			resp->content_type = sqlite3_column_type(st, 2) == SQLITE_NULL ?
			    NULL : "application/json; charset=utf-8";
			buf_reset(&resp->body);
			buf_append(&resp->body, sqlite3_column_blob(st, 3),
			    (size_t)sqlite3_column_bytes(st, 3));
			resp_header(resp, "Idempotent-Replayed", "true");
		}
	}
	db_done(st);
	return r == DB_ERROR || r == DB_CONSTRAINT ? ERR_DB : ERR_OK;
}

enum err
idem_store(struct db *db, const char *scope, const char *key,
    const struct request *req, const char *hash, const struct response *resp)
{
	int64_t now = clock_now_ms();
	if (db_exec(db, stmts[STMT_IDEM_EXPIRE], "i", now - IDEM_TTL_MS) != ERR_OK ||
	    db_exec(db, stmts[STMT_IDEM_PUT], "sssssisTi", scope, key,
	    http_method_name(req->method), req->path, hash, (int64_t)resp->status,
	    resp->content_type, buf_str(&resp->body), resp->body.len, now) != ERR_OK)
		return ERR_DB;
	return ERR_OK;
}
