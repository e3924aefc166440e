#include "unit.h"
#include "json.h"
#include "merchants.h"
#include "plans.h"
#include "valid.h"

/* Validates a plan body; returns the errors as compact JSON (caller frees). */
static char *
check(const char *body, int creating)
{
	struct verrs ve = { 0 };
	char msg[512];
	cJSON *data = cJSON_Parse(body);
	assert_non_null(data);
	valid_entity_body(&plans_entity, data, creating, &ve);
	cJSON_Delete(data);
	cJSON *d = verr_take(&ve, msg, sizeof(msg));
	cJSON_AddStringToObject(d, "message", msg);
	char *s = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return s;
}

static void
valid_should_accept_a_good_plan(void **state)
{
	(void)state;
	char *s = check("{\"name\":\"Pro\",\"slug\":\"pro-2\",\"priceCents\":100,"
	    "\"interval\":\"year\",\"features\":[\"a\"],\"limits\":{\"maxStaff\":null,"
	    "\"customDomain\":true,\"supportLevel\":\"email\"},\"active\":false,"
	    "\"description\":null}", 1);
	assert_string_equal(s, "{\"errors\":[],\"message\":\"0 errors occurred\"}");
	free(s);
}

static void
valid_should_name_a_missing_required_field_like_strapi(void **state)
{
	(void)state;
	char *s = check("{\"slug\":\"x\",\"priceCents\":1}", 1);
	assert_string_equal(s, "{\"errors\":[{\"path\":[\"name\"],\"message\":"
	    "\"name must be defined.\",\"name\":\"ValidationError\"}],"
	    "\"message\":\"name must be defined.\"}");
	free(s);
	/* An update needs nothing. */
	s = check("{}", 0);
	assert_string_equal(s, "{\"errors\":[],\"message\":\"0 errors occurred\"}");
	free(s);
}

static void
valid_should_word_enum_errors_like_strapi(void **state)
{
	(void)state;
	char *s = check("{\"interval\":\"weekly\"}", 0);
	assert_string_equal(s, "{\"errors\":[{\"path\":[\"interval\"],\"message\":"
	    "\"interval must be one of the following values: month, year, \","
	    "\"name\":\"ValidationError\",\"value\":\"weekly\"}],\"message\":"
	    "\"interval must be one of the following values: month, year, \"}");
	free(s);
}

static void
valid_should_name_every_bad_field(void **state)
{
	static const struct { const char *body; const char *path; } bad[] = {
		{ "{\"name\":5}", "name" },
		{ "{\"name\":\"\"}", "name" },
		{ "{\"name\":\"a\\nb\"}", "name" },
		{ "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "name" },
		{ "{\"slug\":\"Has Space\"}", "slug" },
		{ "{\"slug\":\"-x\"}", "slug" },
		{ "{\"priceCents\":1.5}", "priceCents" },
		{ "{\"priceCents\":\"100\"}", "priceCents" },
		{ "{\"priceCents\":-1}", "priceCents" },
		{ "{\"priceCents\":1e300}", "priceCents" },
		{ "{\"trialDays\":366}", "trialDays" },
		{ "{\"active\":\"yes\"}", "active" },
		{ "{\"active\":null}", "active" },
		{ "{\"currency\":\"XXX\"}", "currency" },
		{ "{\"features\":\"a\"}", "features" },
		{ "{\"features\":[1]}", "features" },
		{ "{\"features\":[\"\"]}", "features" },
		{ "{\"limits\":[]}", "limits" },
		{ "{\"limits\":{\"maxStaff\":\"3\"}}", "limits" },
		{ "{\"limits\":{\"colour\":1}}", "limits" },
		{ "{\"limits\":{\"supportLevel\":\"phone\"}}", "limits" },
		{ "{\"id\":3}", "id" },
		{ "{\"documentId\":\"x\"}", "documentId" },
		{ "{\"stripePriceId\":\"price_1\"}", "stripePriceId" },
		{ "{\"createdAt\":\"2026-01-01T00:00:00Z\"}", "createdAt" },
		{ "{\"bogus\":1}", "bogus" },
		{ "{\"name\":\"a\",\"name\":\"b\"}", "name" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = check(bad[i].body, 0);
		char want[128];
		snprintf(want, sizeof(want), "\"path\":[\"%s\"", bad[i].path);
		if (strstr(s, want) == NULL)
			fail_msg("%s: %s", bad[i].body, s);
		free(s);
	}
	char *s = check("{\"name\":1,\"slug\":2,\"bogus\":3}", 0);
	assert_non_null(strstr(s, "\"message\":\"3 errors occurred\""));
	free(s);
}

static void
valid_int_should_parse_strictly(void **state)
{
	static const char *const bad[] = { "", " 1", "1 ", "1a", "0x10", "+",
	    "99999999999999999999", "1.0", "-", "--1" };
	int64_t v;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(valid_int(bad[i], INT64_MIN, INT64_MAX, &v), 0);
	assert_int_equal(valid_int("-42", -100, 100, &v), 0);
	assert_int_equal(v, -42);
	assert_int_not_equal(valid_int("101", -100, 100, &v), 0);
}

static void
valid_datetime_should_take_only_utc_iso(void **state)
{
	(void)state;
	assert_true(valid_datetime("2026-11-25T16:47:42.559Z"));
	assert_true(valid_datetime("2026-11-25T16:47:42Z"));
	assert_false(valid_datetime("2026-11-25T16:47:42+01:00"));
	assert_false(valid_datetime("2026-13-25T16:47:42Z"));
	assert_false(valid_datetime("2026-11-25 16:47:42Z"));
	assert_false(valid_datetime("yesterday"));
	assert_false(valid_datetime("2026-11-25T16:47:42.Z"));
}

static void
json_should_refuse_bad_bodies(void **state)
{
	static const char *const bad[] = {
		"{", "{\"data\":}", "nul", "{\"a\":1} x", "{\"a\":\"b\\u0000c\"}",
		"\xff\xfe", "{\"a\":\"\xc3\x28\"}", "{\"a\":\"\xed\xa0\x80\"}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *o = NULL;
		const char *why = NULL;
		assert_int_equal(json_parse_body(bad[i], strlen(bad[i]), &o, &why),
		    ERR_BAD_REQUEST);
		assert_null(o);
		assert_non_null(why);
	}
	/* Deep nesting is refused before cJSON recurses. */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	cJSON *o = NULL;
	const char *why = NULL;
	assert_int_equal(json_parse_body(deep, sizeof(deep), &o, &why), ERR_BAD_REQUEST);
	assert_string_equal(why, "JSON nesting is too deep");
	/* Brackets inside strings do not count. */
	const char *ok = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}";
	assert_int_equal(json_parse_body(ok, strlen(ok), &o, &why), ERR_OK);
	cJSON_Delete(o);
	/* Accents are fine. */
	const char *fr = "{\"a\":\"Boutique Cl\xc3\xa0ra \xe2\x82\xac\"}";
	assert_int_equal(json_parse_body(fr, strlen(fr), &o, &why), ERR_OK);
	cJSON_Delete(o);
}

static void
json_should_write_strapi_envelopes(void **state)
{
	struct response r;
	(void)state;
	resp_init(&r);
	json_send_error(&r, ERR_NOT_FOUND, NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(buf_str(&r.body), "{\"data\":null,\"error\":{\"status\":404,"
	    "\"name\":\"NotFoundError\",\"message\":\"Not Found\",\"details\":{}}}");
	json_send_data(&r, 201, cJSON_CreateObject(), NULL);
	assert_int_equal(r.status, 201);
	assert_string_equal(buf_str(&r.body), "{\"data\":{},\"meta\":{}}");
	json_send_error(&r, ERR_TOO_LARGE, NULL, NULL);
	assert_string_equal(buf_str(&r.body), "{\"data\":null,\"error\":{\"status\":413,"
	    "\"name\":\"PayloadTooLargeError\",\"message\":\"request entity too large\","
	    "\"details\":{}}}");
	resp_free(&r);
}

static void
vat_numbers_should_have_their_countrys_shape(void **state)
{
	(void)state;
	static const char *const good[] = { "FR40303265045", "FRXX303265045",
	    "DE129273398", "ATU12345678", "BE0123456789", "BE1123456789",
	    "BG123456789", "BG1234567890", "CY12345678L", "CZ12345678",
	    "CZ1234567890", "DK12345678", "EE123456789", "EL123456789",
	    "ESX1234567X", "ESA12345678", "FI12345678", "HR12345678901",
	    "HU12345678", "IE1234567T", "IE1234567TW", "IE1A23456T",
	    "IT12345678901", "LT123456789", "LT123456789012", "LU12345678",
	    "LV12345678901", "MT12345678", "NL123456789B01", "PL1234567890",
	    "PT123456789", "RO12", "RO1234567890", "SE556677889901", "SI12345678",
	    "SK1234567890", "XI123456789", "GB123456789", "GBGD123",
	    "CHE123456789", "CHE123456789MWST", "NO123456789MVA", "US12345" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid_vat(good[i]))
			fail_msg("refused %s", good[i]);
	static const char *const bad[] = { "", "FR", "FR00303265045",
	    "FR4030326504", "DE12927339", "DE1292733980", "ATX12345678",
	    "AT12345678", "BE2123456789", "NL123456789C01", "SE556677889902",
	    "EL12345678", "GR123456789", "XX123456789", "IE12345678",
	    "RO1", "RO12345678901", "de129273398", "DE 129273398", "CHE12345678",
	    "NO12345678", "US12345678901234" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid_vat(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_true(valid_vat_country("FR40303265045", "FR"));
	assert_true(valid_vat_country("EL123456789", "GR"));
	assert_true(valid_vat_country("XI123456789", "GB"));
	assert_true(valid_vat_country("GB123456789", "GB"));
	assert_false(valid_vat_country("DE129273398", "FR"));
	assert_false(valid_vat_country("FR40303265045", "BE"));
	assert_false(valid_vat_country("EL123456789", "CY"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_should_accept_a_good_plan),
		cmocka_unit_test(valid_should_name_a_missing_required_field_like_strapi),
		cmocka_unit_test(valid_should_word_enum_errors_like_strapi),
		cmocka_unit_test(valid_should_name_every_bad_field),
		cmocka_unit_test(valid_int_should_parse_strictly),
		cmocka_unit_test(valid_datetime_should_take_only_utc_iso),
		cmocka_unit_test(json_should_refuse_bad_bodies),
		cmocka_unit_test(json_should_write_strapi_envelopes),
		cmocka_unit_test(vat_numbers_should_have_their_countrys_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
