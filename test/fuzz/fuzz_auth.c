/* Credentials: the Authorization header (Bearer JWTs, API tokens) and the
 * Cookie header (session and CSRF cookies), split at the first newline,
 * on a signed-in route and on a form (CSRF checked). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *nl = strchr(text, '\n');
	const char *cookie = "";
	if (nl) {
		*nl = '\0';
		cookie = nl + 1;
	}
	const char *headers[] = { "authorization", text, "cookie", cookie, NULL };
	fuzz_serve(METHOD_GET, "/api/users/me", "", headers, NULL, 0);
	const char *form[] = { "cookie", cookie, "content-type",
	    "application/x-www-form-urlencoded", NULL };
	fuzz_serve(METHOD_POST, "/marketplace/act", "", form, text, strlen(text));
	free(text);
	return 0;
}
