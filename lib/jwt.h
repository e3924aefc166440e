/*
 * JSON Web Tokens, HS256 only (HMAC-SHA256 through mbedTLS). Anything else
 * is refused: another alg (none included), a bad signature, a malformed or
 * oversized token, an expired one.
 */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN	2048

/* Signs {"id":user_id,"iat":now,"exp":now+ttl} into out (JWT_MAX_LEN).
 * Returns 0 or -1. */
int	 jwt_sign(const unsigned char *key, size_t keylen, int64_t user_id,
	    int64_t now, int64_t ttl, char *out);
/* Verifies token at time now (seconds); on success returns 0 and sets
 * *user_id, else returns -1. */
int	 jwt_verify(const unsigned char *key, size_t keylen, const char *token,
	    int64_t now, int64_t *user_id);

#endif
