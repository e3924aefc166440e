#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "crypto.h"
#include "shop.h"

enum err
shop_resolve(struct ctx *c)
{
	memset(&c->caller, 0, sizeof(c->caller));
	c->caller.role = ROLE_ANON;
	const char *h = http_header(c->req, "authorization");
	if (h == NULL)
		return ERR_OK;
	const struct config_key *k = &config()->shop_secret;
	unsigned char got[CONFIG_KEY_MAX];
	const char *t = h + 7;
	size_t n;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return ERR_UNAUTHORIZED;
	while (*t == ' ')
		t++;
	n = strlen(t);
	/* The key in hex, of the key's length, equal in constant time. */
	if (k->len < 32 || n != 2 * k->len || crypto_unhex(t, got, k->len) != 0 ||
	    crypto_ct_compare(got, k->bytes, k->len) != 0) {
		crypto_wipe(got, sizeof(got));
		return ERR_UNAUTHORIZED;
	}
	crypto_wipe(got, sizeof(got));
	c->caller.role = ROLE_ADMIN;
	c->caller.via = AUTH_TOKEN;
	c->caller.token_id = 1;	/* the one key: the scope of its Idempotency-Keys */
	snprintf(c->caller.name, sizeof(c->caller.name), "owner");
	return ERR_OK;
}
