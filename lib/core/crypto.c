#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "crypto.h"

void
crypto_sha256(const void *data, size_t len, unsigned char out[32])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

void
crypto_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[32];
	crypto_sha256(data, len, d);
	crypto_hex(d, 32, out);
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, keylen,
	    data, len, out);
}

void
crypto_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int
crypto_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
crypto_unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = crypto_hexval(hex[2 * i]);
		int lo = hi < 0 ? -1 : crypto_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
crypto_b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

long
crypto_b64url_decode(const char *in, size_t n, unsigned char *out, size_t max)
{
	size_t o = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		size_t k;
		for (k = 0; k < 4 && i + k < n; k++) {
			int d = b64val(in[i + k]);
			if (d < 0)
				return -1;
			v |= (unsigned)d << (18 - 6 * k);
		}
		size_t bytes = k - 1;
		/* Bits beyond the last byte must be zero (canonical form). */
		if (bytes == 1 && (v & 0xffff) != 0)
			return -1;
		if (bytes == 2 && (v & 0xff) != 0)
			return -1;
		if (o + bytes > max)
			return -1;
		out[o++] = (unsigned char)(v >> 16);
		if (bytes > 1)
			out[o++] = (unsigned char)(v >> 8);
		if (bytes > 2)
			out[o++] = (unsigned char)v;
	}
	return (long)o;
}

int
crypto_ct_compare(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

void
crypto_wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}
