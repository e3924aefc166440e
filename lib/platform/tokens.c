#include <string.h>

#include "clock.h"
#include "crud.h"
#include "crypto.h"
#include "json.h"
#include "tokens.h"

static const char *const kinds[] = { "read-only", "full-access", NULL };

static const struct field token_fields[] = {
	ENTITY_STD_FIELDS,
	{ "name", "name", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 1, 100, NULL, NULL, NULL },
	{ "description", "description", FT_TEXT, F_WRITABLE | F_NULLABLE,
	    0, 500, NULL, NULL, NULL },
	{ "kind", "kind", FT_ENUM, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, kinds, NULL, NULL },
	{ "expiresAt", "expires_at", FT_DATETIME, F_WRITABLE | F_NULLABLE |
	    F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "lastUsedAt", "last_used_at", FT_DATETIME, F_NULLABLE | F_FILTER | F_SORT,
	    0, 0, NULL, NULL, NULL },
	{ "createdBy", "created_by", FT_INT, F_NULLABLE | F_FILTER, 0, 0, NULL,
	    NULL, NULL },
	/* Written by the server only, never shown. */
	{ "tokenHash", "token_hash", FT_STRING, F_PRIVATE, 0, 0, NULL, NULL, NULL },
};

const struct entity tokens_entity = {
	.name = "api-tokens",
	.table = "api_tokens",
	.fields = token_fields,
	.nfields = sizeof(token_fields) / sizeof(token_fields[0]),
};

enum err
h_tokens_create(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	cJSON *copy = NULL, *out = NULL;
	char secret[64], hash[65], now[25];
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_prepare(c, &tokens_entity, data, 1, &copy)) != ERR_OK)
		return rc;
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(copy, "expiresAt");
	clock_format_ms(clock_now_ms(), now);
	if (cJSON_IsString(exp) && strcmp(exp->valuestring, now) <= 0) {
		verr_add(&c->ve, "expiresAt", "expiresAt must be in the future", exp);
		cJSON_Delete(copy);
		return ERR_VALIDATION;
	}
	memcpy(secret, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	auth_random_token(secret + sizeof(TOKEN_PREFIX) - 1);
	crypto_sha256_hex(secret, strlen(secret), hash);
	cJSON_AddStringToObject(copy, "tokenHash", hash);
	if (c->caller.user_id)
		cJSON_AddNumberToObject(copy, "createdBy", (double)c->caller.user_id);
	rc = crud_write(c, &tokens_entity, copy, 0, &out);
	cJSON_Delete(copy);
	if (rc != ERR_OK) {
		crypto_wipe(secret, sizeof(secret));
		return rc;
	}
	/* The only time the secret is shown, whatever fields[] say. */
	crud_restrict(&tokens_entity, c->fields, out);
	cJSON_AddStringToObject(out, "accessKey", secret);
	crypto_wipe(secret, sizeof(secret));
	json_send_data(c->resp, 201, out, NULL);
	return ERR_OK;
}
