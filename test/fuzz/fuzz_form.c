/* The urlencoded decoder (query strings and forms): every pair it gives is
 * a NUL-terminated key and value no longer than the input, and never more
 * pairs than HTTP_MAX_QUERY_PARAMS. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "mem.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { 0 };
	struct kv *kv = NULL;
	size_t n = 0;
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (http_parse_pairs(&a, text, &kv, &n) == 0) {
		if (n > HTTP_MAX_QUERY_PARAMS)
			abort();
		for (size_t i = 0; i < n; i++)
			if (strlen(kv[i].key) > size || strlen(kv[i].val) > size)
				abort();
	}
	arena_free(&a);
	free(text);
	return 0;
}
