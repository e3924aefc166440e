#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crypto.h"
#include "json.h"
#include "jwt.h"

/* {"alg":"HS256","typ":"JWT"} */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

int
jwt_sign(const unsigned char *key, size_t keylen, const struct jwt_subject *who,
    int64_t now, int64_t ttl, char *out)
{
	char payload[256], p64[360];
	unsigned char mac[32];
	if (strlen(who->doc) != JWT_DOC_LEN || strspn(who->doc,
	    "abcdefghijklmnopqrstuvwxyz0123456789") != JWT_DOC_LEN)
		return -1;
	int n = snprintf(payload, sizeof(payload), "{\"id\":%lld,\"sub\":\"%s\","
	    "\"ver\":%lld,\"iat\":%lld,\"exp\":%lld}", (long long)who->user_id,
	    who->doc, (long long)who->version, (long long)now, (long long)(now + ttl));
	if (n < 0 || (size_t)n >= sizeof(payload))
		return -1;
	crypto_b64url_encode((const unsigned char *)payload, (size_t)n, p64);
	int m = snprintf(out, JWT_MAX_LEN, "%s.%s", header_b64, p64);
	if (m < 0 || m >= JWT_MAX_LEN - 50)
		return -1;
	crypto_hmac_sha256(key, keylen, out, (size_t)m, mac);
	out[m] = '.';
	crypto_b64url_encode(mac, sizeof(mac), out + m + 1);
	return 0;
}

/* Decodes a base64url JSON part; caller deletes. */
static cJSON *
part_json(const char *s, size_t n)
{
	unsigned char buf[JWT_MAX_LEN];
	long len = crypto_b64url_decode(s, n, buf, sizeof(buf) - 1);
	if (len <= 0)
		return NULL;
	return cJSON_ParseWithLength((const char *)buf, (size_t)len);
}

int
jwt_verify(const unsigned char *key, size_t keylen, const char *token,
    int64_t now, struct jwt_subject *who)
{
	size_t len = strnlen(token, JWT_MAX_LEN + 1);
	if (len == 0 || len > JWT_MAX_LEN)
		return -1;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.'))
		return -1;
	int rc = -1;
	cJSON *h = part_json(token, (size_t)(d1 - token));
	cJSON *p = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
	unsigned char sig[64], mac[32];
	long siglen = crypto_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token),
	    sig, sizeof(sig));
	if (h == NULL || p == NULL || siglen != 32)
		goto out;
	/* The header names HS256 and nothing else we would act on. */
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
		goto out;
	if (typ && (!cJSON_IsString(typ) || strcmp(typ->valuestring, "JWT") != 0))
		goto out;
	if (cJSON_GetObjectItemCaseSensitive(h, "crit") ||
	    cJSON_GetObjectItemCaseSensitive(h, "jku") ||
	    cJSON_GetObjectItemCaseSensitive(h, "jwk") ||
	    cJSON_GetObjectItemCaseSensitive(h, "kid"))
		goto out;
	crypto_hmac_sha256(key, keylen, token, (size_t)(d2 - token), mac);
	if (crypto_ct_compare(mac, sig, 32) != 0)
		goto out;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(p, "sub");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(p, "ver");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	const cJSON *iat = cJSON_GetObjectItemCaseSensitive(p, "iat");
	if (!json_integral(id, 1, 9007199254740991.0) || !json_integral(exp, 0, 1e13) ||
	    !json_integral(ver, 1, 9007199254740991.0) || !cJSON_IsString(sub) ||
	    strlen(sub->valuestring) != JWT_DOC_LEN)
		goto out;
	if ((int64_t)exp->valuedouble <= now)
		goto out;
	if (iat && (!json_integral(iat, 0, 1e13) || (int64_t)iat->valuedouble > now + 60))
		goto out;
	who->user_id = (int64_t)id->valuedouble;
	who->version = (int64_t)ver->valuedouble;
	memcpy(who->doc, sub->valuestring, JWT_DOC_LEN + 1);
	rc = 0;
out:
	cJSON_Delete(h);
	cJSON_Delete(p);
	return rc;
}
