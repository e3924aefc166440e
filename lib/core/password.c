#include <string.h>

#include <argon2.h>

#include "id.h"
#include "password.h"
#include "valid.h"

int
password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[16];
	if (id_random(salt, sizeof(salt)) != 0)
		return -1;
	return argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST_KIB,
	    PASSWORD_LANES, pw, strlen(pw), salt, sizeof(salt), 32, out,
	    PASSWORD_HASH_MAX) == ARGON2_OK ? 0 : -1;
}

int
password_verify(const char *pw, const char *hash)
{
	static char dummy[PASSWORD_HASH_MAX];
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0) {
		/* Unknown account: spend the same time, then fail. */
		if (dummy[0] == '\0' && password_hash("dummy-password-x", dummy) != 0)
			return 0;
		(void)argon2id_verify(dummy, pw, strlen(pw));
		return 0;
	}
	return argon2id_verify(hash, pw, strlen(pw)) == ARGON2_OK;
}

const char *
password_weak(const char *pw)
{
	size_t n = strlen(pw);
	if (n < PASSWORD_MIN_LEN)
		return "password must be at least 10 characters";
	if (n > PASSWORD_MAX_LEN)
		return "password must be at most 256 characters";
	if (!valid_text(pw, 0))
		return "password contains invalid characters";
	return NULL;
}
