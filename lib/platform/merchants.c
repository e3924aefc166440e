#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "msg.h"
#include "merchants.h"
#include "outbox.h"
#include "users.h"
#include "valid.h"
#include "backends.h"
#include "invoices.h"
#include "subscriptions.h"
#include "tickets.h"

/* ISO 3166-1 alpha-2, officially assigned codes. */
static const char countries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
    "BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
    "CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW ";

int
valid_country(const char *s)
{
	if (strlen(s) != 2 || !isupper((unsigned char)s[0]) ||
	    !isupper((unsigned char)s[1]))
		return 0;
	char code[4] = { s[0], s[1], ' ', '\0' };
	return strstr(countries, code) != NULL &&
	    (strstr(countries, code) - countries) % 3 == 0;
}

/*
 * VAT numbers by prefix: the shapes the EU's VIES documents for each member
 * state (EL is Greece, XI Northern Ireland), and a few neighbours'. A
 * pattern holds 'd' for a digit, 'o' for an optional one (trailing), 'l'
 * for a letter, 'x' for either, 'b' for 0 or 1, other characters as
 * themselves. Other prefixes: 2 to 13 letters or digits.
 */
static const struct { const char *prefix, *shapes[4]; } vat_shapes[] = {
	{ "AT", { "Udddddddd" } },
	{ "BE", { "bddddddddd" } },
	{ "BG", { "ddddddddd", "dddddddddd" } },
	{ "CH", { "Eddddddddd", "EdddddddddMWST", "EdddddddddTVA", "EdddddddddIVA" } },
	{ "CY", { "ddddddddl" } },
	{ "CZ", { "dddddddd", "ddddddddd", "dddddddddd" } },
	{ "DE", { "ddddddddd" } },
	{ "DK", { "dddddddd" } },
	{ "EE", { "ddddddddd" } },
	{ "EL", { "ddddddddd" } },
	{ "ES", { "xdddddddx" } },
	{ "FI", { "dddddddd" } },
	{ "FR", { "xxddddddddd" } },
	{ "GB", { "ddddddddd", "dddddddddddd", "GDddd", "HAddd" } },
	{ "GR", { NULL } },	/* Greek numbers are written EL */
	{ "HR", { "ddddddddddd" } },
	{ "HU", { "dddddddd" } },
	{ "IE", { "dddddddl", "dddddddll", "dldddddl" } },
	{ "IT", { "ddddddddddd" } },
	{ "LT", { "ddddddddd", "dddddddddddd" } },
	{ "LU", { "dddddddd" } },
	{ "LV", { "ddddddddddd" } },
	{ "MT", { "dddddddd" } },
	{ "NL", { "dddddddddBdd" } },
	{ "NO", { "ddddddddd", "dddddddddMVA" } },
	{ "PL", { "dddddddddd" } },
	{ "PT", { "ddddddddd" } },
	{ "RO", { "ddoooooooo" } },
	{ "SE", { "dddddddddd01" } },
	{ "SI", { "dddddddd" } },
	{ "SK", { "dddddddddd" } },
	{ "XI", { "ddddddddd", "dddddddddddd", "GDddd", "HAddd" } },
};

static int
shape_matches(const char *shape, const char *s)
{
	for (; *shape; shape++) {
		unsigned char c = (unsigned char)*s;
		if (*shape == 'o') {	/* an optional digit */
			s += isdigit(c) != 0;
			continue;
		}
		int ok = *shape == 'd' ? isdigit(c) : *shape == 'l' ? isupper(c) :
		    *shape == 'x' ? isdigit(c) || isupper(c) :
		    *shape == 'b' ? c == '0' || c == '1' : c == (unsigned char)*shape;
		if (!ok)
			return 0;
		s++;
	}
	return *s == '\0';
}

int
valid_vat(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 16 || !isupper((unsigned char)s[0]) ||
	    !isupper((unsigned char)s[1]))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	/* Greece uses EL, Northern Ireland XI; otherwise the prefix is a
	 * country. */
	char cc[3] = { s[0], s[1], '\0' };
	if (strcmp(cc, "EL") != 0 && strcmp(cc, "XI") != 0 && !valid_country(cc))
		return 0;
	for (size_t i = 0; i < sizeof(vat_shapes) / sizeof(vat_shapes[0]); i++) {
		if (strcmp(vat_shapes[i].prefix, cc) != 0)
			continue;
		int ok = 0;
		for (int k = 0; k < 4 && vat_shapes[i].shapes[k]; k++)
			ok |= shape_matches(vat_shapes[i].shapes[k], s + 2);
		if (!ok)
			return 0;
		if (strcmp(cc, "FR") == 0 && isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			/* FR + key + SIREN; a numeric key is (12 + 3 * (SIREN
			 * mod 97)) mod 97. */
			long siren = strtol(s + 4, NULL, 10);
			int key = (s[2] - '0') * 10 + (s[3] - '0');
			return key == (12 + 3 * (siren % 97)) % 97;
		}
		return 1;
	}
	return n <= 15;
}

int
valid_vat_country(const char *vat, const char *country)
{
	if (strcmp(country, "GR") == 0)
		return strncmp(vat, "EL", 2) == 0;
	if (strcmp(country, "GB") == 0)
		return strncmp(vat, "GB", 2) == 0 || strncmp(vat, "XI", 2) == 0;
	return strncmp(vat, country, 2) == 0;
}

static int
check_country(const cJSON *v, const char *name, struct verrs *ve)
{
	if (valid_country(v->valuestring))
		return 0;
	verr_addf(ve, name, v, "%s must be an ISO 3166-1 alpha-2 code (FR, DE, ...)",
	    name);
	return -1;
}

static int
check_vat(const cJSON *v, const char *name, struct verrs *ve)
{
	if (valid_vat(v->valuestring))
		return 0;
	verr_addf(ve, name, v, "%s must be a VAT number of its country's shape, "
	    "such as FR40303265045", name);
	return -1;
}


static int
check_phone(const cJSON *v, const char *name, struct verrs *ve)
{
	const char *s = v->valuestring;
	size_t digits = 0;
	for (const char *p = s; *p; p++)
		digits += isdigit((unsigned char)*p) != 0;
	if (strspn(s, "+0123456789 ().-") == strlen(s) && digits >= 4 && digits <= 15)
		return 0;
	verr_addf(ve, name, v, "%s must be a phone number such as +33 1 23 45 67 89",
	    name);
	return -1;
}


static const char *const statuses[] = { "active", "suspended", "closed", NULL };
static const char *const languages[] = { "fr", "en", NULL };
static const char *const payment_methods[] = { "card", "failing-card", NULL };

static const struct field merchant_fields[] = {
	ENTITY_STD_FIELDS,
	{ "name", "name", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    1, 200, NULL, NULL, NULL },
	{ "slug", "slug", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 1, 64, NULL, valid_check_slug, NULL },
	{ "email", "email", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 3, 254, NULL, valid_check_email, NULL },
	{ "phone", "phone", FT_STRING, F_WRITABLE | F_NULLABLE | F_FILTER,
	    0, 32, NULL, check_phone, NULL },
	{ "company", "company", FT_STRING, F_WRITABLE | F_NULLABLE | F_FILTER |
	    F_SORT, 0, 200, NULL, NULL, NULL },
	{ "vatNumber", "vat_number", FT_STRING, F_WRITABLE | F_NULLABLE | F_FILTER,
	    0, 16, NULL, check_vat, NULL },
	{ "country", "country", FT_STRING, F_WRITABLE | F_FILTER | F_SORT,
	    2, 2, NULL, check_country, NULL },
	{ "address", "address", FT_TEXT, F_WRITABLE | F_NULLABLE, 0, 500,
	    NULL, NULL, NULL },
	{ "status", "status", FT_ENUM, F_WRITABLE | F_ADMIN | F_FILTER | F_SORT,
	    0, 0, statuses, NULL, NULL },
	{ "signupDate", "signup_date", FT_DATETIME, F_WRITABLE | F_ADMIN |
	    F_NULLABLE | F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "stripeCustomerId", "stripe_customer_id", FT_STRING, F_WRITABLE |
	    F_ADMIN | F_NULLABLE | F_FILTER, 0, 255, NULL, NULL, NULL },
	/* The language of its e-mails and invoices' messages. */
	{ "language", "language", FT_ENUM, F_WRITABLE | F_FILTER, 0, 0, languages,
	    NULL, NULL },
	/* The built-in engine's payment method (a failing card shows dunning). */
	{ "paymentMethod", "payment_method", FT_ENUM, F_WRITABLE | F_ADMIN | F_FILTER,
	    0, 0, payment_methods, NULL, NULL },
};

/* The value of member k after a change (data) of record before. */
static const cJSON *
value_after(const cJSON *before, const cJSON *data, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, k);
	return v ? v : cJSON_GetObjectItemCaseSensitive(before, k);
}

/* The VAT number belongs to the country: checked when either changes. */
static int
check_merchant(const cJSON *before, const cJSON *data, struct verrs *ve)
{
	if (!cJSON_GetObjectItemCaseSensitive(data, "vatNumber") &&
	    !cJSON_GetObjectItemCaseSensitive(data, "country"))
		return 0;
	const char *vat = cJSON_GetStringValue(value_after(before, data, "vatNumber"));
	const char *country = cJSON_GetStringValue(value_after(before, data, "country"));
	if (country == NULL)
		country = "FR";	/* the column's default */
	if (vat == NULL || valid_vat_country(vat, country))
		return 0;
	verr_addf(ve, "vatNumber", value_after(before, data, "vatNumber"),
	    "vatNumber %s is not a VAT number of country %s", vat, country);
	return -1;
}

/* A change of the billing e-mail, country or VAT number is told to the
 * address the merchant had before, in its language: whoever made it, the
 * owner hears of it. */
static enum err
billing_changed(struct ctx *c, const cJSON *before, const cJSON *after)
{
	static const struct { const char *key, *label; } watched[] = {
		{ "email", "BILLING_FIELD_EMAIL" },
		{ "country", "BILLING_FIELD_COUNTRY" },
		{ "vatNumber", "BILLING_FIELD_VAT" },
	};
	if (before == NULL)
		return ERR_OK;
	const char *lang = msg_lang(cJSON_GetStringValue(cJSON_GetObjectItem(after,
	    "language")));
	const char *none = msg(lang, "BILLING_NONE");
	struct buf lines = { 0 };
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(before,
		    watched[i].key));
		const char *b = cJSON_GetStringValue(cJSON_GetObjectItem(after,
		    watched[i].key));
		if ((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0))
			continue;
		msg_printf(&lines, lang, "MAIL_BILLING_CHANGED_LINE", msg(lang,
		    watched[i].label), a ? a : none, b ? b : none, NULL);
	}
	if (lines.len == 0)
		return ERR_OK;
	char related[48];
	struct buf subject = { 0 }, body = { 0 };
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(after, "name"));
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(after, "id"));
	msg_printf(&subject, lang, "MAIL_BILLING_CHANGED_SUBJECT", NULL);
	msg_printf(&body, lang, "MAIL_BILLING_CHANGED_BODY", name ? name : "",
	    buf_str(&lines), NULL);
	buf_free(&lines);
	snprintf(related, sizeof(related), "merchant:%lld", (long long)id);
	enum err rc = outbox_queue(c->db, "billing_details_changed",
	    cJSON_GetStringValue(cJSON_GetObjectItem(before, "email")), buf_str(&subject),
	    buf_str(&body), id, related, clock_now_ms());
	buf_free(&subject);
	buf_free(&body);
	return rc;
}

static const struct relation merchant_rels[] = {
	{ "owner", &users_entity, "merchant_id", REL_FIRST },
	{ "users", &users_entity, "merchant_id", REL_MANY },
	{ "subscriptions", &subscriptions_entity, "merchant_id", REL_MANY },
	{ "invoices", &invoices_entity, "merchant_id", REL_MANY },
	{ "supportTickets", &tickets_entity, "merchant_id", REL_MANY },
	{ "backend", &backends_entity, "merchant_id", REL_FIRST },
	{ "backends", &backends_entity, "merchant_id", REL_MANY },
};

const struct entity merchants_entity = {
	.name = "merchants",
	.table = "merchants",
	.fields = merchant_fields,
	.nfields = sizeof(merchant_fields) / sizeof(merchant_fields[0]),
	.rels = merchant_rels,
	.nrels = sizeof(merchant_rels) / sizeof(merchant_rels[0]),
	.scope_col = "id",
	.check_record = check_merchant,
	.after_write = billing_changed,
	/* A merchant's own changes of its billing identity are kept too. */
	.audit_merchants = 1,
};

enum stmt_merchants {
	STMT_MERCHANTS_BY_SLUG,
	STMT_MERCHANTS_INSERT,
	STMT_MERCHANTS__MAX
};

static const char *const stmts[STMT_MERCHANTS__MAX] = {
	[STMT_MERCHANTS_BY_SLUG] = "SELECT id FROM merchants WHERE slug = ?",
	[STMT_MERCHANTS_INSERT] = "INSERT INTO merchants (document_id, name, slug, "
	    "email, company, vat_number, country, address, signup_date, "
	    "created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?)",
};

enum err
db_merchants_ensure(struct db *db, const char *name, const char *slug,
    const char *email, const char *company, const char *vat, const char *country,
    const char *address, int64_t *id)
{
	char docid[DOCUMENT_ID_LEN + 1], now[25];
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_MERCHANTS_BY_SLUG], "s", slug);
	if (st == NULL)
		goto fail;
	enum db_rc r = db_step(db, st);
	if (r == DB_ROW)
		*id = sqlite3_column_int64(st, 0);
	db_done(st);
	if (r == DB_ROW)
		return db_commit(db);
	if (r != DB_DONE || id_document_new(docid) != 0)
		goto fail;
	clock_format_ms(clock_now_ms(), now);
	if (db_exec(db, stmts[STMT_MERCHANTS_INSERT], "ssssssssssss", docid, name, slug,
	    email, company, vat, country, address, now, now, now, now) != ERR_OK)
		goto fail;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	return db_commit(db);
fail:
	db_rollback(db);
	return ERR_DB;
}
