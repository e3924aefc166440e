/* The query string parser and the Strapi query compiler, through the
 * dispatcher: GET lists of tickets (the merchant's scope, relations,
 * populate) and plans (public), as a merchant and as an admin. The first
 * byte picks the list and the caller. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/api/support-tickets",
	    "/api/subscription-plans", "/api/merchants", "/api/ticket-responses" };
	if (size < 1)
		return 0;
	char *q = fuzz_text(data + 1, size - 1);
	const char *headers[] = { "authorization", data[0] & 4 ? fuzz_admin : fuzz_merchant,
	    NULL };
	fuzz_serve(METHOD_GET, paths[data[0] & 3], q, headers, NULL, 0);
	free(q);
	return 0;
}
