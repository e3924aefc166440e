#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "clock.h"
#include "id.h"

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pid_t seeded_pid;

static int
seed(void)
{
	/* A forked child must not share its parent's generator state. */
	if (seeded_pid == getpid())
		return 0;
	if (seeded_pid != 0) {
		mbedtls_ctr_drbg_free(&drbg);
		mbedtls_entropy_free(&entropy);
	}
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	static const char pers[] = "marketplace-platform";
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1) != 0) {
		seeded_pid = 0;
		return -1;
	}
	seeded_pid = getpid();
	return 0;
}

int
id_random(unsigned char *out, size_t n)
{
	if (seed() != 0)
		return -1;
	while (n > 0) {
		size_t k = n > MBEDTLS_CTR_DRBG_MAX_REQUEST ?
		    MBEDTLS_CTR_DRBG_MAX_REQUEST : n;
		if (mbedtls_ctr_drbg_random(&drbg, out, k) != 0)
			return -1;
		out += k;
		n -= k;
	}
	return 0;
}

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
/* In the order of their bytes, so that the time prefix sorts as time. */
static const char digits36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

int
id_document_new(char out[DOCUMENT_ID_LEN + 1])
{
	/* The creation time in milliseconds, 9 base-36 digits (to the year
	 * 5138), then 15 random characters (77 bits): a new record's id goes
	 * after the others in every index on it, where a random one would
	 * dirty a page of the index anywhere at each insert. */
	int64_t now = clock_now_ms();
	uint64_t ms = now > 0 ? (uint64_t)now : 0;
	for (int k = DOCUMENT_ID_TIME - 1; k >= 0; k--, ms /= 36)
		out[k] = digits36[ms % 36];
	size_t i = DOCUMENT_ID_TIME;
	while (i < DOCUMENT_ID_LEN) {
		unsigned char r[32];
		if (id_random(r, sizeof(r)) != 0)
			return -1;
		/* Rejection sampling: 252 = 7 * 36 keeps the draw uniform. */
		for (size_t k = 0; k < sizeof(r) && i < DOCUMENT_ID_LEN; k++)
			if (r[k] < 252)
				out[i++] = alphabet[r[k] % 36];
	}
	out[DOCUMENT_ID_LEN] = '\0';
	return 0;
}

int
id_is_document(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n == DOCUMENT_ID_LEN;
}

enum id_kind
id_parse(const char *s, int64_t *num)
{
	if (s == NULL || *s == '\0')
		return ID_INVALID;
	size_t n = strlen(s);
	if (n <= 18 && strspn(s, "0123456789") == n && s[0] != '0') {
		int64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		*num = v;
		return ID_INTEGER;
	}
	if (id_is_document(s))
		return ID_DOCUMENT;
	return ID_INVALID;
}
