/* The FastCGI body reader (lib/core/http.c, which fcgi/serve.c calls): a
 * CONTENT_LENGTH header or none (a chunked request), a limit, and the body
 * arriving in pieces of the sizes the fuzzer picks. The body read is
 * exactly what came, or the request is refused as too large when more
 * than the limit is announced or comes; a length that is no number is a
 * bad request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "mem.h"

struct feed {
	const uint8_t	*data;
	size_t		 size, at;
	const uint8_t	*pieces;	/* piece sizes, cycled */
	size_t		 npieces, k;
};

static int
feed_read(void *arg, char *buf, int n)
{
	struct feed *f = arg;
	if (f->at >= f->size || n <= 0)
		return 0;
	size_t piece = f->npieces ? (size_t)f->pieces[f->k++ % f->npieces] + 1 : 4096;
	if (piece > (size_t)n)
		piece = (size_t)n;
	if (piece > f->size - f->at)
		piece = f->size - f->at;
	memcpy(buf, f->data + f->at, piece);
	f->at += piece;
	return (int)piece;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* [limit byte][length kind][4 piece sizes][the length text up to ';'][body] */
	if (size < 6)
		return 0;
	size_t max = (size_t)data[0] * 16;
	int kind = data[1] % 3;		/* none, its true length, the text given */
	struct feed f = { 0 };
	f.pieces = data + 2;
	f.npieces = 4;
	const uint8_t *rest = data + 6;
	size_t nrest = size - 6;
	char length[64] = "";
	if (kind == 2) {
		const uint8_t *semi = memchr(rest, ';', nrest < 40 ? nrest : 40);
		size_t l = semi ? (size_t)(semi - rest) : 0;
		memcpy(length, rest, l);
		length[l] = '\0';
		if (semi) {
			nrest -= l + 1;
			rest = semi + 1;
		}
	}
	f.data = rest;
	f.size = nrest;
	if (kind == 1)
		snprintf(length, sizeof(length), "%zu", nrest);
	struct arena a = { 0 };
	const char *body = NULL;
	size_t len = 0;
	enum err e = http_read_body(feed_read, &f, kind ? length : NULL, max, &a, &body,
	    &len);
	if (e == ERR_OK) {
		if (len != nrest || memcmp(body, rest, len) != 0 || body[len] != '\0' ||
		    len > max)
			abort();
	} else if (e == ERR_TOO_LARGE) {
		if (nrest <= max && kind != 2)
			abort();
	} else if (e != ERR_BAD_REQUEST || kind != 2)
		abort();
	arena_free(&a);
	return 0;
}
