/* The JSON body reader and the content types' validation, through the
 * dispatcher: a merchant opens a ticket, an admin writes a plan (the
 * first byte picks), with the fuzzer's bytes as the body. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int admin = data[0] & 1;
	const char *headers[] = { "authorization", admin ? fuzz_admin : fuzz_merchant,
	    "content-type", "application/json", NULL };
	fuzz_serve(admin ? METHOD_PUT : METHOD_POST, admin ? "/api/subscription-plans/1" :
	    "/api/support-tickets", "", headers, (const char *)data + 1, size - 1);
	return 0;
}
