/*
 * Password hashes: argon2id (libargon2) at or above OWASP's minimum
 * (19 MiB, 2 passes, 1 lane), in the PHC encoded form.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>

#define PASSWORD_MIN_LEN	10
#define PASSWORD_MAX_LEN	256
#define PASSWORD_HASH_MAX	128
#define PASSWORD_T_COST		2
#define PASSWORD_M_COST_KIB	19456
#define PASSWORD_LANES		1

/* Hashes pw into out (PASSWORD_HASH_MAX bytes) with a fresh random salt.
 * Returns 0, or -1 on failure. */
int	 password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Returns 1 when pw matches the encoded hash, else 0. With hash NULL it
 * still spends the time of a verification (for unknown accounts). */
int	 password_verify(const char *pw, const char *hash);
/* Returns NULL when pw is acceptable, else the reason. */
const char *password_weak(const char *pw);

#endif
