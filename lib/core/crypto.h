/*
 * Small cryptographic helpers over mbedTLS: SHA-256, HMAC-SHA256,
 * base64url, constant-time comparison, and hex.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>

/* SHA-256 of data into out (32 bytes). */
void	 crypto_sha256(const void *data, size_t len, unsigned char out[32]);
/* SHA-256 of data as 64 hex digits and a NUL. */
void	 crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256 of data under key into out (32 bytes). */
void	 crypto_hmac_sha256(const void *key, size_t keylen, const void *data,
	    size_t len, unsigned char out[32]);
/* Writes bytes as lower-case hex (2n digits and a NUL) into out. */
void	 crypto_hex(const unsigned char *bytes, size_t n, char *out);
/* Returns the value of a hex digit, or -1. */
int	 crypto_hexval(char c);
/* Parses 2n hex digits into n bytes; returns 0 or -1. */
int	 crypto_unhex(const char *hex, unsigned char *out, size_t n);
/* base64url without padding: out holds 4 * ceil(n / 3) + 1 bytes. */
void	 crypto_b64url_encode(const unsigned char *in, size_t n, char *out);
/* Decodes base64url (no padding); returns the length, or -1 if malformed
 * or longer than max. */
long	 crypto_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t max);
/* Compares n bytes in constant time; returns 0 when equal. */
int	 crypto_ct_compare(const void *a, const void *b, size_t n);
/* Clears memory in a way the compiler keeps. */
void	 crypto_wipe(void *p, size_t n);

#endif
