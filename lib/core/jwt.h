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
#define JWT_DOC_LEN	24	/* a user's documentId */

/* Whom a JWT names: the user's id (Strapi's "id" claim), its documentId
 * ("sub") and its credentials version ("ver"). The id alone would do while
 * ids are never reused; the documentId keeps a token meaning one person
 * even across a restored backup, and the version ends every earlier token
 * when the password, role, merchant or blocked state changes. */
struct jwt_subject {
	int64_t	 user_id;
	char	 doc[JWT_DOC_LEN + 1];
	int64_t	 version;
};

/* Signs {"id","sub","ver","iat":now,"exp":now+ttl} for who into out
 * (JWT_MAX_LEN). Returns 0 or -1. */
int	 jwt_sign(const unsigned char *key, size_t keylen,
	    const struct jwt_subject *who, int64_t now, int64_t ttl, char *out);
/* Verifies token at time now (seconds); on success returns 0 and fills
 * *who, else returns -1 (a token without sub and ver included). */
int	 jwt_verify(const unsigned char *key, size_t keylen, const char *token,
	    int64_t now, struct jwt_subject *who);

#endif
