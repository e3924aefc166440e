/* Stripe's webhook: the Stripe-Signature header (up to the first newline)
 * checked against the body (the rest), directly and through the route.
 * Nothing unsigned is ever applied. */
#include "fuzz.h"
#include "stripe.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *nl = strchr(text, '\n');
	const char *body = "";
	size_t len = 0;
	if (nl) {
		*nl = '\0';
		body = nl + 1;
		len = size - (size_t)(nl + 1 - text);
	}
	/* Without the secret's HMAC, no header passes. */
	if (stripe_verify("whsec_fuzz", text, body, len, clock_now_ms() / 1000) == 0 &&
	    strstr(text, "v1=") == NULL)
		abort();
	const char *headers[] = { "stripe-signature", text, "content-type",
	    "application/json", NULL };
	fuzz_serve(METHOD_POST, "/api/stripe/webhook", "", headers, body, len);
	free(text);
	return 0;
}
