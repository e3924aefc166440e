/*
 * Idempotency keys (SPEC §4): a POST with an Idempotency-Key header runs
 * once; the same key with the same request replays the first answer for
 * 24 hours; the same key with another request is refused (409).
 */
#ifndef IDEM_H
#define IDEM_H

#include <stdint.h>

#include "db.h"
#include "err.h"
#include "http.h"

#define IDEM_TTL_MS	(24LL * 3600 * 1000)
#define IDEM_KEY_MAX	255

enum idem_state { IDEM_NEW, IDEM_REPLAY, IDEM_MISMATCH };

/* Returns 1 when key is acceptable: 1-255 visible ASCII characters. */
int	 idem_key_valid(const char *key);
/* Hashes the request (method, path, query, body) into hex (65 bytes). */
void	 idem_hash(const struct request *req, char hex[65]);
/* Looks the key up inside the caller's transaction. On IDEM_REPLAY, resp
 * holds the stored answer. Returns ERR_OK or ERR_DB. */
enum err idem_lookup(struct db *db, const char *scope, const char *key,
	    const char *hash, struct response *resp, enum idem_state *state);
/* Stores the answer for key inside the caller's transaction, and drops
 * keys older than the TTL. Returns ERR_OK or ERR_DB. */
enum err idem_store(struct db *db, const char *scope, const char *key,
	    const struct request *req, const char *hash,
	    const struct response *resp);

#endif
