#include "unit.h"
#include "crypto.h"
#include "jwt.h"
#include "password.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const int64_t now = 1795625263;
static const struct jwt_subject user42 = { 42, "k3v9q2m7x1c8b4n6z0w5r2t8", 3 };

/* Builds a token from raw header and payload JSON, signed with HS256. */
static void
forge(const char *header, const char *payload, char *out)
{
	char h[512], p[512];
	unsigned char mac[32];
	crypto_b64url_encode((const unsigned char *)header, strlen(header), h);
	crypto_b64url_encode((const unsigned char *)payload, strlen(payload), p);
	int n = snprintf(out, JWT_MAX_LEN, "%s.%s", h, p);
	crypto_hmac_sha256(key, sizeof(key), out, (size_t)n, mac);
	out[n] = '.';
	crypto_b64url_encode(mac, 32, out + n + 1);
}

static void
jwt_should_round_trip(void **state)
{
	char t[JWT_MAX_LEN];
	struct jwt_subject id;
	(void)state;
	assert_int_equal(jwt_sign(key, sizeof(key), &user42, now, 3600, t), 0);
	/* Strapi's header, three parts. */
	assert_int_equal(strncmp(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
	assert_int_equal(jwt_verify(key, sizeof(key), t, now + 10, &id), 0);
	assert_int_equal(id.user_id, 42);
	assert_string_equal(id.doc, "k3v9q2m7x1c8b4n6z0w5r2t8");
	assert_int_equal(id.version, 3);
}

static void
jwt_should_refuse_tampering(void **state)
{
	char t[JWT_MAX_LEN], bad[JWT_MAX_LEN];
	struct jwt_subject id;
	(void)state;
	assert_int_equal(jwt_sign(key, sizeof(key), &user42, now, 3600, t), 0);
	char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');

	/* Another payload (id 1) under the original signature. */
	char p[256];
	const char *other_payload = "{\"id\":1,\"sub\":\"k3v9q2m7x1c8b4n6z0w5r2t8\","
	    "\"ver\":3,\"iat\":1795625263,\"exp\":1795628863}";
	crypto_b64url_encode((const unsigned char *)other_payload,
	    strlen(other_payload), p);
	snprintf(bad, sizeof(bad), "%.*s.%s%s", (int)(d1 - t), t, p, d2);
	assert_int_equal(jwt_verify(key, sizeof(key), bad, now, &id), -1);

	/* One signature character changed. */
	strcpy(bad, t);
	char *last = bad + strlen(bad) - 2;
	*last = *last == 'A' ? 'B' : 'A';
	assert_int_equal(jwt_verify(key, sizeof(key), bad, now, &id), -1);

	/* Signature dropped. */
	snprintf(bad, sizeof(bad), "%.*s.", (int)(d2 - t), t);
	assert_int_equal(jwt_verify(key, sizeof(key), bad, now, &id), -1);

	/* Another key. */
	static const unsigned char other[32] = "ffffffffffffffffffffffffffffffff";
	assert_int_equal(jwt_verify(other, sizeof(other), t, now, &id), -1);
}

static void
jwt_should_refuse_other_algorithms(void **state)
{
	char t[JWT_MAX_LEN], h[128], p[256];
	struct jwt_subject id;
	(void)state;
	const char *payload = "{\"id\":1,\"sub\":\"k3v9q2m7x1c8b4n6z0w5r2t8\","
	    "\"ver\":1,\"iat\":1795625263,\"exp\":1895625263}";
	/* alg none, with and without a signature part. */
	crypto_b64url_encode((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 27, h);
	crypto_b64url_encode((const unsigned char *)payload, strlen(payload), p);
	snprintf(t, sizeof(t), "%s.%s.", h, p);
	assert_int_equal(jwt_verify(key, sizeof(key), t, now, &id), -1);
	snprintf(t, sizeof(t), "%s.%s", h, p);
	assert_int_equal(jwt_verify(key, sizeof(key), t, now, &id), -1);
	/* alg none signed anyway, alg HS512 and RS256 with an HS256 MAC. */
	static const char *const headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		"{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
		"{\"typ\":\"JWT\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"../../x\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		forge(headers[i], payload, t);
		if (jwt_verify(key, sizeof(key), t, now, &id) != -1)
			fail_msg("accepted header %s", headers[i]);
	}
	/* The same forging with HS256 is accepted: the checks above fail for
	 * the header alone. */
	forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, t);
	assert_int_equal(jwt_verify(key, sizeof(key), t, now, &id), 0);
}

static void
jwt_should_refuse_expired_and_malformed_claims(void **state)
{
	char t[JWT_MAX_LEN];
	struct jwt_subject id;
	(void)state;
	assert_int_equal(jwt_sign(key, sizeof(key), &user42, now - 7200, 3600, t), 0);
	assert_int_equal(jwt_verify(key, sizeof(key), t, now, &id), -1);
	static const char *const payloads[] = {
		"{\"id\":1,\"iat\":1795625263}",			/* no exp */
		"{\"id\":1,\"exp\":\"1895625263\"}",			/* exp text */
		"{\"id\":0,\"exp\":1895625263}",			/* id 0 */
		"{\"id\":-3,\"exp\":1895625263}",
		"{\"id\":1.5,\"exp\":1895625263}",
		"{\"id\":\"1\",\"exp\":1895625263}",
		"{\"exp\":1895625263}",
		"{\"id\":1,\"iat\":1895625263,\"exp\":1995625263}",	/* from the future */
		/* Strapi's bare {id, iat, exp}: no documentId, no version. */
		"{\"id\":1,\"iat\":1795625263,\"exp\":1895625263}",
		"{\"id\":1,\"sub\":\"k3v9q2m7x1c8b4n6z0w5r2t8\",\"exp\":1895625263}",
		"{\"id\":1,\"ver\":1,\"exp\":1895625263}",
		"{\"id\":1,\"sub\":\"short\",\"ver\":1,\"exp\":1895625263}",
		"{\"id\":1,\"sub\":7,\"ver\":1,\"exp\":1895625263}",
		"{\"id\":1,\"sub\":\"k3v9q2m7x1c8b4n6z0w5r2t8\",\"ver\":0,"
		    "\"exp\":1895625263}",
		"{\"id\":1,\"sub\":\"k3v9q2m7x1c8b4n6z0w5r2t8\",\"ver\":\"1\","
		    "\"exp\":1895625263}",
		"[1]",
		"not json",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payloads[i], t);
		if (jwt_verify(key, sizeof(key), t, now, &id) != -1)
			fail_msg("accepted payload %s", payloads[i]);
	}
	static const char *const shapes[] = { "", ".", "..", "a.b.c.d", "a.b",
	    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.e30.xx", "!!.!!.!!" };
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		assert_int_equal(jwt_verify(key, sizeof(key), shapes[i], now, &id), -1);
	char *huge = xmalloc(JWT_MAX_LEN + 100);
	memset(huge, 'a', JWT_MAX_LEN + 99);
	huge[JWT_MAX_LEN + 99] = '\0';
	huge[10] = '.';
	huge[20] = '.';
	assert_int_equal(jwt_verify(key, sizeof(key), huge, now, &id), -1);
	free(huge);
}

static void
passwords_should_hash_with_argon2id_at_owasp_cost(void **state)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	(void)state;
	assert_int_equal(password_hash("correct horse battery", h1), 0);
	assert_int_equal(password_hash("correct horse battery", h2), 0);
	assert_int_equal(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_string_not_equal(h1, h2);	/* salted */
	assert_true(password_verify("correct horse battery", h1));
	assert_false(password_verify("correct horse batterY", h1));
	assert_false(password_verify("", h1));
	assert_false(password_verify("correct horse battery", NULL));
	assert_false(password_verify("correct horse battery", "plain-text"));
}

static void
passwords_should_be_long_enough(void **state)
{
	(void)state;
	assert_non_null(password_weak("short"));
	assert_non_null(password_weak("ten\nchars!!"));
	assert_null(password_weak("demo-password"));
}

static void
base64url_should_be_strict(void **state)
{
	unsigned char out[16];
	(void)state;
	assert_int_equal(crypto_b64url_decode("aGk", 3, out, sizeof(out)), 2);
	assert_int_equal(memcmp(out, "hi", 2), 0);
	assert_int_equal(crypto_b64url_decode("aGl", 3, out, sizeof(out)), -1);
	assert_int_equal(crypto_b64url_decode("aGk=", 4, out, sizeof(out)), -1);
	assert_int_equal(crypto_b64url_decode("a+k", 3, out, sizeof(out)), -1);
	assert_int_equal(crypto_b64url_decode("a", 1, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jwt_should_round_trip),
		cmocka_unit_test(jwt_should_refuse_tampering),
		cmocka_unit_test(jwt_should_refuse_other_algorithms),
		cmocka_unit_test(jwt_should_refuse_expired_and_malformed_claims),
		cmocka_unit_test(passwords_should_hash_with_argon2id_at_owasp_cost),
		cmocka_unit_test(passwords_should_be_long_enough),
		cmocka_unit_test(base64url_should_be_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
