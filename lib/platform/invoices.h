/*
 * Invoices and credit notes, as French law asks: numbers gapless per year
 * and series (F-2026-000001 for invoices, A-2026-000001 for credit notes)
 * allocated in the transaction that issues the document, seller and buyer
 * identity, lines before tax, VAT rate and amount, totals, dates. An issued
 * document is never edited; corrections are credit notes.
 */
#ifndef INVOICES_H
#define INVOICES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "entity.h"
#include "err.h"

extern const struct entity invoices_entity;

/* The seller's identity and VAT rate (PLATFORM_SELLER_*, PLATFORM_VAT_RATE_BPS). */
/* The language of invoices, credit notes and their PDFs, whatever the
 * merchant's: they are the legal document French law asks for. */
#define INVOICE_LANG	"fr"

struct seller {
	const char	*name, *address, *siren, *vat;
	int		 vat_rate_bps;	/* 2000 = 20 % */
};

struct invoice_line {
	const char	*description;
	int64_t		 quantity;
	int64_t		 unit_cents;	/* before tax */
};

/* The seller of the configuration (PLATFORM_SELLER_*; the strings belong
 * to it). */
void		 seller_from_config(struct seller *s);
/* Rounds a * b / c half away from zero, in integers. */
int64_t		 money_mul_div(int64_t a, int64_t b, int64_t c);

/* Issues a document inside the caller's transaction: kind "invoice" or
 * "credit_note"; period bounds may be 0. Allocates the next number of its
 * series and year, snapshots seller and buyer, computes VAT (20 % in
 * France and for buyers without an EU VAT number; reverse charge for EU
 * businesses outside France; none outside the EU), queues the "invoice
 * issued" e-mail. Sets *id and number (32 bytes). */
enum err	 invoice_issue(struct db *db, const struct seller *seller,
		    int64_t merchant_id, int64_t subscription_id, const char *kind,
		    const struct invoice_line *lines, size_t nlines,
		    const char *currency, int64_t period_start, int64_t period_end,
		    int64_t now, int64_t *id, char number[32]);
/* What another provider charged (Stripe), in hundredths: a document
 * issued with it mirrors it to the cent. */
struct invoice_charged {
	int64_t		 tax_cents, total_cents;
};
/* invoice_issue, for what was charged elsewhere: the lines are the
 * provider's, the tax and total are charged's (the rate ours when the tax
 * is ours within a cent a line, else the rate charged, logged). charged
 * may be NULL: then it is invoice_issue. */
enum err	 invoice_issue_charged(struct db *db, const struct seller *seller,
		    int64_t merchant_id, int64_t subscription_id, const char *kind,
		    const struct invoice_line *lines, size_t nlines,
		    const char *currency, int64_t period_start, int64_t period_end,
		    int64_t now, const struct invoice_charged *charged, int64_t *id,
		    char number[32]);
/* The VAT rate our rules ask of a merchant (0 for reverse charge and
 * outside the EU), into *rate_bps. ERR_NOT_FOUND without the merchant. */
enum err	 invoice_vat_rate(struct db *db, const struct seller *seller,
		    int64_t merchant_id, int *rate_bps);
/* Tries to collect an open invoice with the merchant's payment method
 * (the built-in provider), inside the caller's transaction. Sets *paid.
 * A refusal queues the "payment failed" e-mail. */
enum err	 invoice_collect(struct db *db, int64_t invoice_id, int64_t now,
		    int *paid);

#endif
