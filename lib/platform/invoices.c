#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "config.h"
#include "msg.h"
#include "id.h"
#include "invoices.h"
#include "outbox.h"
#include "valid.h"
#include "merchants.h"
#include "subscriptions.h"

static const char *const statuses[] = { "draft", "open", "paid", "void",
    "uncollectible", NULL };
static const char *const kinds[] = { "invoice", "credit_note", NULL };

static const struct field invoice_fields[] = {
	ENTITY_STD_FIELDS,
	{ "number", "number", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "kind", "kind", FT_ENUM, F_FILTER | F_SORT, 0, 0, kinds, NULL, NULL },
	{ "merchant", "merchant_id", FT_REF, F_FILTER, 0, 0, NULL, NULL, "merchants" },
	{ "subscription", "subscription_id", FT_REF, F_FILTER | F_NULLABLE, 0, 0,
	    NULL, NULL, "subscriptions" },
	{ "status", "status", FT_ENUM, F_FILTER | F_SORT, 0, 0, statuses, NULL, NULL },
	{ "lines", "lines", FT_JSON, 0, 0, 0, NULL, NULL, NULL },
	{ "subtotalCents", "subtotal_cents", FT_INT, F_FILTER | F_SORT, 0, 0,
	    NULL, NULL, NULL },
	{ "taxRate", "tax_rate_bps", FT_INT, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "taxCents", "tax_cents", FT_INT, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "totalCents", "total_cents", FT_INT, F_FILTER | F_SORT, 0, 0, NULL, NULL,
	    NULL },
	{ "currency", "currency", FT_STRING, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "taxNote", "tax_note", FT_STRING, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "seller", "seller", FT_JSON, 0, 0, 0, NULL, NULL, NULL },
	{ "buyer", "buyer", FT_JSON, 0, 0, 0, NULL, NULL, NULL },
	{ "periodStart", "period_start", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "periodEnd", "period_end", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "issuedAt", "issued_at", FT_DATETIME, F_FILTER | F_SORT, 0, 0, NULL,
	    NULL, NULL },
	{ "dueAt", "due_at", FT_DATETIME, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "paidAt", "paid_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE, 0, 0,
	    NULL, NULL, NULL },
	{ "paymentAttempts", "payment_attempts", FT_INT, F_FILTER | F_SORT, 0, 0,
	    NULL, NULL, NULL },
	{ "stripeInvoiceId", "stripe_invoice_id", FT_STRING, F_FILTER | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
};

static const struct relation invoice_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
	{ "subscription", &subscriptions_entity, "subscription_id", REL_ONE },
};

const struct entity invoices_entity = {
	.name = "invoices",
	.table = "invoices",
	.fields = invoice_fields,
	.nfields = sizeof(invoice_fields) / sizeof(invoice_fields[0]),
	.rels = invoice_rels,
	.nrels = sizeof(invoice_rels) / sizeof(invoice_rels[0]),
	.scope_col = "merchant_id",
};

void
seller_from_config(struct seller *s)
{
	const struct config *cfg = config();
	s->name = cfg->seller_name;
	s->address = cfg->seller_address;
	s->siren = cfg->seller_siren;
	s->vat = cfg->seller_vat;
	s->vat_rate_bps = cfg->vat_rate_bps;
}

int64_t
money_mul_div(int64_t a, int64_t b, int64_t c)
{
	__int128 p = (__int128)a * b;
	int neg = (p < 0) != (c < 0);
	if (p < 0)
		p = -p;
	if (c < 0)
		c = -c;
	__int128 q = (p * 2 + c) / (2 * c);
	return (int64_t)(neg ? -q : q);
}

enum stmt_inv {
	STMT_INV_MERCHANT,
	STMT_INV_NUMBER,
	STMT_INV_INSERT,
	STMT_INV_GET,
	STMT_INV_PAID,
	STMT_INV_FAILED,
	STMT_INV_TAX_OF,
	STMT_INV__MAX
};

static const char *const stmts[STMT_INV__MAX] = {
	[STMT_INV_MERCHANT] = "SELECT name, company, address, country, vat_number, "
	    "email, language FROM merchants WHERE id = ?",
	[STMT_INV_NUMBER] = "INSERT INTO invoice_counters (series, year, last) "
	    "VALUES (?, ?, 1) ON CONFLICT (series, year) DO UPDATE SET "
	    "last = last + 1 RETURNING last",
	[STMT_INV_INSERT] = "INSERT INTO invoices (document_id, number, kind, "
	    "merchant_id, subscription_id, status, lines, subtotal_cents, "
	    "tax_rate_bps, tax_cents, total_cents, currency, tax_note, seller, "
	    "buyer, period_start, period_end, issued_at, due_at, paid_at, "
	    "created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_INV_GET] = "SELECT i.status, i.number, i.total_cents, i.currency, "
	    "m.payment_method, m.email, m.id, m.language FROM invoices i JOIN "
	    "merchants m ON m.id = i.merchant_id WHERE i.id = ?",
	[STMT_INV_PAID] = "UPDATE invoices SET status = 'paid', paid_at = ?, "
	    "payment_attempts = payment_attempts + 1, updated_at = ? WHERE id = ?",
	[STMT_INV_FAILED] = "UPDATE invoices SET payment_attempts = "
	    "payment_attempts + 1, updated_at = ? WHERE id = ?",
	[STMT_INV_TAX_OF] = "SELECT country, coalesce(vat_number, '') FROM merchants "
	    "WHERE id = ?",
};

static const char eu[] = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU "
    "LV MT NL PL PT RO SE SI SK ";

static int
in_eu(const char *country)
{
	char code[4] = { country[0], country[1] ? country[1] : ' ', ' ', '\0' };
	const char *p = strstr(eu, code);
	return strlen(country) == 2 && p && (p - eu) % 3 == 0;
}

/* The VAT our rules ask of a buyer: France, and EU buyers without a VAT
 * number, pay French VAT; EU businesses elsewhere self-assess; outside the
 * EU, none. Sets *note (NULL or a catalogue text) and returns the rate. */
static int
vat_rule(const struct seller *sel, const char *country, int has_vat, const char **note)
{
	*note = NULL;
	if (strcmp(country, "FR") != 0 && in_eu(country) && has_vat) {
		*note = msg(INVOICE_LANG, "TAX_NOTE_REVERSE_CHARGE");
		return 0;
	}
	if (!in_eu(country)) {
		*note = msg(INVOICE_LANG, "TAX_NOTE_OUTSIDE_EU");
		return 0;
	}
	return sel->vat_rate_bps;
}

enum err
invoice_vat_rate(struct db *db, const struct seller *sel, int64_t merchant_id,
    int *rate_bps)
{
	char country[8] = "", vat[64] = "";
	const char *note;
	enum err rc = db_get(db, stmts[STMT_INV_TAX_OF], "i", "SS", merchant_id, country,
	    sizeof(country), vat, sizeof(vat));
	if (rc != ERR_OK)
		return rc;
	*rate_bps = vat_rule(sel, country, vat[0] != '\0', &note);
	return ERR_OK;
}

enum err
invoice_issue(struct db *db, const struct seller *sel, int64_t merchant_id,
    int64_t subscription_id, const char *kind, const struct invoice_line *lines,
    size_t nlines, const char *currency, int64_t period_start, int64_t period_end,
    int64_t now, int64_t *id, char number[32])
{
	return invoice_issue_charged(db, sel, merchant_id, subscription_id, kind, lines,
	    nlines, currency, period_start, period_end, now, NULL, id, number);
}

enum err
invoice_issue_charged(struct db *db, const struct seller *sel, int64_t merchant_id,
    int64_t subscription_id, const char *kind, const struct invoice_line *lines,
    size_t nlines, const char *currency, int64_t period_start, int64_t period_end,
    int64_t now, const struct invoice_charged *charged, int64_t *id, char number[32])
{
	char docid[DOCUMENT_ID_LEN + 1], issued[25], ps[25], pe[25];
	char email[256] = "", lang[4] = "fr";
	cJSON *buyer = cJSON_CreateObject(), *seller = cJSON_CreateObject();
	cJSON *jl = cJSON_CreateArray();
	char *buyer_s = NULL, *seller_s = NULL, *lines_s = NULL;
	enum err rc = ERR_DB;
	const char *tax_note = NULL;
	int rate;

	sqlite3_stmt *st = db_bind(db, stmts[STMT_INV_MERCHANT], "i", merchant_id);
	if (st == NULL)
		goto out;
	if (db_step(db, st) != DB_ROW) {
		db_done(st);
		rc = ERR_NOT_FOUND;
		goto out;
	}
	static const char *const bk[] = { "name", "company", "address", "country",
	    "vatNumber", "email" };
	for (int i = 0; i < 6; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			cJSON_AddNullToObject(buyer, bk[i]);
		else
			cJSON_AddStringToObject(buyer, bk[i], db_col_text(st, i));
	}
	const char *country = db_col_text(st, 3);
	int has_vat = sqlite3_column_type(st, 4) != SQLITE_NULL && db_col_text(st, 4)[0];
	snprintf(email, sizeof(email), "%s", db_col_text(st, 5));
	snprintf(lang, sizeof(lang), "%s", db_col_text(st, 6));
	rate = vat_rule(sel, country, has_vat, &tax_note);
	db_done(st);
	cJSON_AddStringToObject(seller, "name", sel->name);
	cJSON_AddStringToObject(seller, "address", sel->address);
	cJSON_AddStringToObject(seller, "siren", sel->siren);
	cJSON_AddStringToObject(seller, "vatNumber", sel->vat);

	int64_t subtotal = 0;
	for (size_t i = 0; i < nlines; i++) {
		cJSON *l = cJSON_CreateObject();
		int64_t amount = lines[i].quantity * lines[i].unit_cents;
		cJSON_AddStringToObject(l, "description", lines[i].description);
		cJSON_AddNumberToObject(l, "quantity", (double)lines[i].quantity);
		cJSON_AddNumberToObject(l, "unitPriceCents", (double)lines[i].unit_cents);
		cJSON_AddNumberToObject(l, "amountCents", (double)amount);
		cJSON_AddItemToArray(jl, l);
		subtotal += amount;
	}
	int64_t tax = money_mul_div(subtotal, rate, 10000), total = subtotal + tax;
	if (charged) {
		/* What was charged, to the cent. Stripe rounds the tax of each
		 * line: within a cent a line, the rate is still ours; otherwise
		 * the document says the rate that was charged. */
		int64_t diff = charged->tax_cents - tax;
		if (diff < -(int64_t)nlines || diff > (int64_t)nlines) {
			fprintf(stderr, "invoices: charged %lld of tax on %lld, our rules "
			    "say %lld (%d bps)\n", (long long)charged->tax_cents,
			    (long long)subtotal, (long long)tax, rate);
			rate = subtotal ? (int)money_mul_div(charged->tax_cents, 10000,
			    subtotal) : 0;
			if (rate != 0)
				tax_note = NULL;
		}
		tax = charged->tax_cents;
		total = charged->total_cents;
	}

	/* The number: the next of this series and year, in this transaction. */
	int year = clock_year(now);
	const char *series = strcmp(kind, "credit_note") == 0 ? "A" : "F";
	if ((st = db_bind(db, stmts[STMT_INV_NUMBER], "si", series, (int64_t)year)) ==
	    NULL)
		goto out;
	if (db_step(db, st) != DB_ROW) {
		db_done(st);
		goto out;
	}
	snprintf(number, 32, "%s-%04d-%06lld", series, year,
	    (long long)sqlite3_column_int64(st, 0));
	db_done(st);

	if (id_document_new(docid) != 0) {
		rc = ERR_INTERNAL;
		goto out;
	}
	clock_format_ms(now, issued);
	clock_format_ms(period_start, ps);
	clock_format_ms(period_end, pe);
	buyer_s = cJSON_PrintUnformatted(buyer);
	seller_s = cJSON_PrintUnformatted(seller);
	lines_s = cJSON_PrintUnformatted(jl);
	/* A credit note is settled when issued: it owes nothing; invoices are
	 * due on receipt. */
	int credit = strcmp(kind, "credit_note") == 0;
	if (db_exec(db, stmts[STMT_INV_INSERT], "sssirssiiiissssssssssss", docid, number,
	    kind, merchant_id, subscription_id, credit ? "paid" : "open", lines_s,
	    subtotal, (int64_t)rate, tax, total, currency, tax_note, seller_s,
	    buyer_s, period_start ? ps : NULL, period_end ? pe : NULL, issued, issued,
	    credit ? issued : NULL, issued, issued, issued) != ERR_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(db_handle(db));

	char amount[48], related[48];
	struct buf subject = { 0 }, body = { 0 };
	msg_money(lang, total, currency, amount, sizeof(amount));
	msg_printf(&subject, lang, "MAIL_INVOICE_SUBJECT", msg(lang, credit ?
	    "DOC_CREDIT_NOTE" : "DOC_INVOICE"), number, amount, NULL);
	msg_printf(&body, lang, "MAIL_INVOICE_BODY", msg(lang, credit ?
	    "DOC_CREDIT_NOTE_LOWER" : "DOC_INVOICE_LOWER"), number, amount, sel->name, NULL);
	snprintf(related, sizeof(related), "invoice:%lld", (long long)*id);
	rc = outbox_queue(db, "invoice_issued", email, buf_str(&subject), buf_str(&body),
	    merchant_id, related, now);
	buf_free(&subject);
	buf_free(&body);
out:
	cJSON_Delete(buyer);
	cJSON_Delete(seller);
	cJSON_Delete(jl);
	free(buyer_s);
	free(seller_s);
	free(lines_s);
	return rc;
}

enum err
invoice_collect(struct db *db, int64_t invoice_id, int64_t now, int *paid)
{
	char ts[25], number[32], cur[8], email[256], lang[4];
	*paid = 0;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_INV_GET], "i", invoice_id);
	if (st == NULL)
		return ERR_DB;
	if (db_step(db, st) != DB_ROW) {
		db_done(st);
		return ERR_NOT_FOUND;
	}
	int open = strcmp(db_col_text(st, 0), "open") == 0;
	int ok = strcmp(db_col_text(st, 4), "card") == 0;
	int64_t total = sqlite3_column_int64(st, 2);
	int64_t merchant = sqlite3_column_int64(st, 6);
	snprintf(number, sizeof(number), "%s", db_col_text(st, 1));
	snprintf(cur, sizeof(cur), "%s", db_col_text(st, 3));
	snprintf(email, sizeof(email), "%s", db_col_text(st, 5));
	snprintf(lang, sizeof(lang), "%s", db_col_text(st, 7));
	db_done(st);
	if (!open) {
		*paid = 1;	/* nothing left to collect */
		return ERR_OK;
	}
	clock_format_ms(now, ts);
	if ((ok ? db_exec(db, stmts[STMT_INV_PAID], "ssi", ts, ts, invoice_id) :
	    db_exec(db, stmts[STMT_INV_FAILED], "si", ts, invoice_id)) != ERR_OK)
		return ERR_DB;
	if (ok) {
		*paid = 1;
		return ERR_OK;
	}
	char amount[48], related[48];
	struct buf subject = { 0 }, body = { 0 };
	msg_money(lang, total, cur, amount, sizeof(amount));
	msg_printf(&subject, lang, "MAIL_PAYMENT_FAILED_SUBJECT", number, NULL);
	msg_printf(&body, lang, "MAIL_PAYMENT_FAILED_BODY", number, amount, NULL);
	snprintf(related, sizeof(related), "invoice:%lld", (long long)invoice_id);
	enum err rc = outbox_queue(db, "payment_failed", email, buf_str(&subject),
	    buf_str(&body), merchant, related, now);
	buf_free(&subject);
	buf_free(&body);
	return rc;
}
