/* The message catalogues (the files of lang/, through lib/core/msg.c): the same keys
 * in every language, one fallback rule, every key the code and templates
 * use exists and every key is used, money and dates per language. */
#include "unit.h"
#include "backends.h"
#include "invoices.h"
#include "merchants.h"
#include "plans.h"
#include "subscriptions.h"
#include "tickets.h"
#include <ctype.h>
#include "msg.h"
#include "shop.h"

#include <dirent.h>
#include <regex.h>

static int
use_platform(void **state)
{
	char why[200];
	(void)state;
	if (msg_use(platform_langs, platform_nlangs, why, sizeof(why)) != 0) {
		fprintf(stderr, "catalogue refused: %s\n", why);
		return -1;
	}
	return 0;
}

static void
msg_should_hold_the_same_keys_in_every_language(void **state)
{
	char why[200] = "";
	(void)state;
	assert_int_equal(msg_use(platform_langs, platform_nlangs, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_string_equal(platform_langs[0].code, "en");
	assert_string_equal(platform_langs[1].code, "fr");
}

static void
msg_use_should_refuse_a_catalogue_with_a_gap(void **state)
{
	static const struct { const char *en, *fr, *why; } bad[] = {
		{ "A = a\nB = b\n", "A = x\n", "fr lacks B" },
		{ "A = a\n", "A = x\nC = y\n", "fr has C, which en lacks" },
		{ "A = a\n", "A: x\n", "fr line 1: not \"KEY = text\"" },
		{ "# c\nA = a\nA = b\n", "A = x\n", "en: A given twice" },
		{ "A = a\nlower = b\n", "A = x\n", "en line 2: not \"KEY = text\"" },
	};
	char why[200];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct msg_lang l[2] = { { "en", bad[i].en }, { "fr", bad[i].fr } };
		assert_int_equal(msg_use(l, 2, why, sizeof(why)), -1);
		assert_string_equal(why, bad[i].why);
	}
	struct msg_lang only_fr[1] = { { "fr", "A = x\n" } };
	assert_int_equal(msg_use(only_fr, 1, why, sizeof(why)), -1);
	assert_string_equal(why, "no catalogue for the reference language (en)");
	/* A refused catalogue leaves the one in use. */
	assert_string_equal(msg("fr", "NAV_PRICING"), "Tarifs");
}

static void
msg_should_fall_back_to_english(void **state)
{
	(void)state;
	assert_string_equal(msg("fr", "NAV_PRICING"), "Tarifs");
	assert_string_equal(msg("en", "NAV_PRICING"), "Pricing");
	assert_string_equal(msg("de", "NAV_PRICING"), "Pricing");
	assert_string_equal(msg(NULL, "NAV_PRICING"), "Pricing");
	assert_string_equal(msg_lang("de"), "en");
	assert_string_equal(msg_lang("fr"), "fr");
	assert_string_equal(msg("fr", "NO_SUCH_KEY"), "NO_SUCH_KEY");
	struct buf b = { 0 };
	msg_printf(&b, "fr", "MAIL_TICKET_REPLY_SUBJECT", "TCK-000001", "Export", NULL);
	assert_string_equal(buf_str(&b), "[TCK-000001] Réponse à votre demande : Export");
	buf_reset(&b);
	msg_printf(&b, "en", "MAIL_TICKET_RESOLVED_BODY", "TCK-000002", NULL);
	assert_string_equal(buf_str(&b), "Hello,\n\nYour request TCK-000002 is resolved. "
	    "Reply if it is not; without a reply it closes in 7 days.\n");
	buf_free(&b);
}

static void
msg_should_write_money_and_dates_per_language(void **state)
{
	char out[64];
	(void)state;
	msg_money("fr", 123456, "EUR", out, sizeof(out));
	assert_string_equal(out, "1 234,56 €");
	msg_money("en", 123456, "EUR", out, sizeof(out));
	assert_string_equal(out, "€1,234.56");
	msg_money("fr", -480, "EUR", out, sizeof(out));
	assert_string_equal(out, "-4,80 €");
	msg_money("en", -480, "EUR", out, sizeof(out));
	assert_string_equal(out, "-€4.80");
	msg_money("fr", 1200, "USD", out, sizeof(out));
	assert_string_equal(out, "12,00 USD");
	msg_money("en", 100000000, "USD", out, sizeof(out));
	assert_string_equal(out, "USD 1,000,000.00");
	msg_number("fr", 2000, out, sizeof(out));
	assert_string_equal(out, "20,00");
	msg_date("fr", "2026-11-27T19:00:00.000Z", out, sizeof(out));
	assert_string_equal(out, "27/11/2026");
	msg_date("en", "2026-11-27T19:00:00.000Z", out, sizeof(out));
	assert_string_equal(out, "27 Nov 2026");
	msg_date("en", "garbage", out, sizeof(out));
	assert_string_equal(out, "");
}

/* Every catalogue-looking word of the code and the templates. */
static void
collect(const char *dir, const char *pattern, struct buf *found)
{
	regex_t re;
	regmatch_t m[2];
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED), 0);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		char line[4096];
		while (fgets(line, sizeof(line), f)) {
			const char *p = line;
			while (regexec(&re, p, 2, m, 0) == 0) {
				buf_printf(found, "%.*s\n", (int)(m[1].rm_eo - m[1].rm_so),
				    p + m[1].rm_so);
				p += m[0].rm_eo;
			}
		}
		fclose(f);
	}
	closedir(d);
	regfree(&re);
}

static void
check_key(void *arg, const char *key, const char *text)
{
	(void)text;
	const char *used = buf_str(arg);
	char probe[96];
	snprintf(probe, sizeof(probe), "\n%s\n", key);
	if (strstr(used, probe) == NULL)
		fail_msg("%s is in the catalogue but nothing uses it", key);
}

/* Every key in used (one a line, after a first new line) is in the
 * catalogue in use, and every key of it is in used. */
static void
check_catalogue(const struct buf *used)
{
	const char *p = buf_str(used) + 1;
	while (*p) {
		const char *end = strchr(p, '\n');
		char key[96];
		snprintf(key, sizeof(key), "%.*s", (int)(end - p), p);
		if (strcmp(msg("en", key), key) == 0)
			fail_msg("%s is used but not in the catalogue", key);
		p = end + 1;
	}
	msg_each("en", check_key, (void *)used);
}

static void
msg_keys_should_exist_and_be_used(void **state)
{
	struct buf used = { 0 };
	(void)state;
	buf_putc(&used, '\n');
	/* Code: "KEY" literals of the catalogue's families. */
	const char *code = "\"((NAV|PLANS|LOGIN|ACCOUNT|ROLE|DOC|MAIL|BILLING|PDF|SITE|INVOICE|TAX|SIGNUP|DEPLOY|"
	    "ADMIN|TAB|KPI|CHART|COL|TABLE|ACTION|TICKET|PLAN|FLASH|MERCHANT|TESTER)_[A-Z0-9_]+)\"";
	collect("lib/platform", code, &used);
	collect("lib/web", code, &used);
	/* Templates: {{KEY}} of the same families. */
	collect("templates", "\\{\\{((NAV|PLANS|LOGIN|ACCOUNT|ROLE|SITE|SIGNUP|DEPLOY|ADMIN|TAB|KPI|"
	    "CHART|COL|TABLE|ACTION|TICKET|PLAN|FLASH|MERCHANT|TESTER)_[A-Z0-9_]+)\\}\\}", &used);
	/* Templates: the FLASH_ messages forms name (_ok). */
	collect("templates", "value=\"(FLASH_[A-Z0-9_]+)\"", &used);
	/* States: one word for each state of the content types' enumerations
	 * (view_cell() names them STATE_<STATE>), and for a withdrawn plan. */
	buf_puts(&used, "STATE_INACTIVE\n");
	static const struct { const struct entity *e; const char *field; } shown[] = {
		{ &merchants_entity, "status" }, { &subscriptions_entity, "status" },
		{ &invoices_entity, "status" }, { &tickets_entity, "status" },
		{ &tickets_entity, "priority" }, { &tickets_entity, "category" },
		{ &backends_entity, "status" }, { &backends_entity, "health" },
		{ &plans_entity, "interval" },
	};
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		int f = entity_field(shown[i].e, shown[i].field);
		assert_true(f >= 0);
		for (const char *const *v = shown[i].e->fields[f].enums; *v; v++) {
			buf_puts(&used, "STATE_");
			for (const char *p = *v; *p; p++)
				buf_putc(&used, (char)toupper((unsigned char)*p));
			buf_putc(&used, '\n');
		}
	}
	check_catalogue(&used);
	buf_free(&used);
}

/* The shop's catalogues, the same way: its keys in both languages, every
 * one used by lib/shop or templates/shop, every one used there present. */
static void
shop_msg_keys_should_exist_and_be_used(void **state)
{
	char why[200];
	struct buf used = { 0 };
	(void)state;
	assert_int_equal(msg_use(shop_langs, shop_nlangs, why, sizeof(why)), 0);
	buf_putc(&used, '\n');
	collect("lib/shop", "\"((STORE|NAV)_[A-Z0-9_]+)\"", &used);
	collect("templates/shop", "\\{\\{((STORE|NAV)_[A-Z0-9_]+)\\}\\}", &used);
	check_catalogue(&used);
	assert_string_equal(msg("fr", "STORE_SOLD_OUT"), "Épuisé");
	buf_free(&used);
	assert_int_equal(msg_use(platform_langs, platform_nlangs, why, sizeof(why)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msg_should_hold_the_same_keys_in_every_language),
		cmocka_unit_test(msg_use_should_refuse_a_catalogue_with_a_gap),
		cmocka_unit_test(msg_should_fall_back_to_english),
		cmocka_unit_test(msg_should_write_money_and_dates_per_language),
		cmocka_unit_test(msg_keys_should_exist_and_be_used),
		cmocka_unit_test(shop_msg_keys_should_exist_and_be_used),
	};
	return cmocka_run_group_tests(tests, use_platform, NULL);
}
