#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

#include "crud.h"
#include "invoices.h"
#include "pdf.h"

struct pdf_err {
	jmp_buf		 jb;
	HPDF_STATUS	 code;
};

static void
on_error(HPDF_STATUS code, HPDF_STATUS detail, void *arg)
{
	struct pdf_err *e = arg;
	(void)detail;
	e->code = code;
	longjmp(e->jb, 1);
}

/* "1 234,56 €" */
static void
money(int64_t cents, const char *cur, char *out, size_t n)
{
	char digits[32], grouped[48];
	int64_t a = cents < 0 ? -cents : cents;
	snprintf(digits, sizeof(digits), "%lld", (long long)(a / 100));
	size_t len = strlen(digits), w = 0;
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[w++] = ' ';
		grouped[w++] = digits[i];
	}
	grouped[w] = '\0';
	const char *sym = strcmp(cur, "EUR") == 0 ? "€" : cur;
	snprintf(out, n, "%s%s,%02lld %s", cents < 0 ? "-" : "", grouped,
	    (long long)(a % 100), sym);
}

/* "25/11/2026" from an ISO time, "" from NULL. */
static void
date_fr(const char *iso, char *out, size_t n)
{
	if (iso == NULL || strlen(iso) < 10) {
		snprintf(out, n, "%s", "");
		return;
	}
	snprintf(out, n, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

static const char *
str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return s ? s : "";
}

static int64_t
num(const cJSON *o, const char *k)
{
	return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

struct doc {
	HPDF_Doc	 pdf;
	HPDF_Page	 page;
	HPDF_Font	 regular, bold;
};

static void
text(struct doc *d, HPDF_Font f, float size, float x, float y, const char *s)
{
	HPDF_Page_BeginText(d->page);
	HPDF_Page_SetFontAndSize(d->page, f, size);
	HPDF_Page_TextOut(d->page, x, y, s);
	HPDF_Page_EndText(d->page);
}

static void
text_right(struct doc *d, HPDF_Font f, float size, float right, float y,
    const char *s)
{
	HPDF_Page_SetFontAndSize(d->page, f, size);
	float w = HPDF_Page_TextWidth(d->page, s);
	text(d, f, size, right - w, y, s);
}

/* Wraps s to width, drawing lines down from y; returns the y below. */
static float
paragraph(struct doc *d, HPDF_Font f, float size, float x, float y, float width,
    const char *s)
{
	char line[512];
	size_t start = 0, n = strlen(s);
	HPDF_Page_SetFontAndSize(d->page, f, size);
	while (start < n) {
		size_t best = 0, i = start;
		while (i <= n) {
			if (i == n || s[i] == ' ' || s[i] == '\n') {
				size_t len = i - start;
				if (len >= sizeof(line))
					break;
				memcpy(line, s + start, len);
				line[len] = '\0';
				if (HPDF_Page_TextWidth(d->page, line) > width && best)
					break;
				best = len;
				if (i == n || s[i] == '\n')
					break;
			}
			i++;
		}
		if (best == 0)
			best = n - start < sizeof(line) - 1 ? n - start : sizeof(line) - 1;
		memcpy(line, s + start, best);
		line[best] = '\0';
		text(d, f, size, x, y, line);
		y -= size * 1.35f;
		start += best;
		while (start < n && (s[start] == ' ' || s[start] == '\n'))
			start++;
	}
	return y;
}

enum err
pdf_invoice(const cJSON *inv, const char *font_dir, struct buf *out)
{
	struct pdf_err e;
	struct doc d;
	char path[512], path_b[512], tmp[256], a[64], b[64];
	volatile HPDF_Doc pdf = NULL;

	memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	snprintf(path, sizeof(path), "%s/DejaVuSans.ttf", font_dir);
	snprintf(path_b, sizeof(path_b), "%s/DejaVuSans-Bold.ttf", font_dir);
	pdf = HPDF_New(on_error, &e);
	if (pdf == NULL)
		return ERR_INTERNAL;
	if (setjmp(e.jb)) {
		fprintf(stderr, "pdf: libhpdf error 0x%04x\n", (unsigned)e.code);
		HPDF_Free(pdf);
		return ERR_INTERNAL;
	}
	d.pdf = pdf;
	HPDF_SetCompressionMode(d.pdf, HPDF_COMP_ALL);
	HPDF_UseUTFEncodings(d.pdf);
	HPDF_SetCurrentEncoder(d.pdf, "UTF-8");
	const char *fr = HPDF_LoadTTFontFromFile(d.pdf, path, HPDF_TRUE);
	const char *fb = HPDF_LoadTTFontFromFile(d.pdf, path_b, HPDF_TRUE);
	d.regular = HPDF_GetFont(d.pdf, fr, "UTF-8");
	d.bold = HPDF_GetFont(d.pdf, fb, "UTF-8");
	d.page = HPDF_AddPage(d.pdf);
	HPDF_Page_SetSize(d.page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);

	const float L = 50, R = 545;
	float y = 790;
	const cJSON *seller = cJSON_GetObjectItem(inv, "seller");
	const cJSON *buyer = cJSON_GetObjectItem(inv, "buyer");
	int credit = strcmp(str(inv, "kind"), "credit_note") == 0;

	/* Header: seller, then the document's title and number. */
	text(&d, d.bold, 16, L, y, str(seller, "name"));
	text_right(&d, d.bold, 18, R, y, credit ? "AVOIR" : "FACTURE");
	y -= 16;
	text(&d, d.regular, 9, L, y, str(seller, "address"));
	snprintf(tmp, sizeof(tmp), "N° %s", str(inv, "number"));
	text_right(&d, d.bold, 11, R, y, tmp);
	y -= 12;
	snprintf(tmp, sizeof(tmp), "SIREN %s - TVA %s", str(seller, "siren"),
	    str(seller, "vatNumber"));
	text(&d, d.regular, 9, L, y, tmp);
	date_fr(str(inv, "issuedAt"), a, sizeof(a));
	snprintf(tmp, sizeof(tmp), "Date d'émission : %s", a);
	text_right(&d, d.regular, 9, R, y, tmp);
	y -= 12;
	date_fr(str(inv, "dueAt"), a, sizeof(a));
	snprintf(tmp, sizeof(tmp), "Échéance : %s (à réception)", a);
	text_right(&d, d.regular, 9, R, y, tmp);

	/* The buyer. */
	y -= 34;
	text(&d, d.bold, 10, 330, y, "Client");
	y -= 14;
	text(&d, d.regular, 10, 330, y, str(buyer, "name"));
	y -= 13;
	if (*str(buyer, "company")) {
		text(&d, d.regular, 9, 330, y, str(buyer, "company"));
		y -= 12;
	}
	if (*str(buyer, "address"))
		y = paragraph(&d, d.regular, 9, 330, y, R - 330, str(buyer, "address"));
	snprintf(tmp, sizeof(tmp), "Pays : %s", str(buyer, "country"));
	text(&d, d.regular, 9, 330, y, tmp);
	y -= 12;
	if (*str(buyer, "vatNumber")) {
		snprintf(tmp, sizeof(tmp), "N° TVA : %s", str(buyer, "vatNumber"));
		text(&d, d.regular, 9, 330, y, tmp);
		y -= 12;
	}
	if (*str(inv, "periodStart")) {
		date_fr(str(inv, "periodStart"), a, sizeof(a));
		date_fr(str(inv, "periodEnd"), b, sizeof(b));
		snprintf(tmp, sizeof(tmp), "Période de service : du %s au %s", a, b);
		text(&d, d.regular, 9, L, y, tmp);
	}

	/* The lines, before tax. */
	y -= 30;
	HPDF_Page_SetLineWidth(d.page, 0.6f);
	text(&d, d.bold, 9, L, y, "Désignation");
	text_right(&d, d.bold, 9, 375, y, "Qté");
	text_right(&d, d.bold, 9, 460, y, "Prix unitaire HT");
	text_right(&d, d.bold, 9, R, y, "Montant HT");
	y -= 6;
	HPDF_Page_MoveTo(d.page, L, y);
	HPDF_Page_LineTo(d.page, R, y);
	HPDF_Page_Stroke(d.page);
	y -= 14;
	const char *cur = str(inv, "currency");
	const cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(inv, "lines")) {
		float top = y;
		y = paragraph(&d, d.regular, 9, L, y, 270, str(l, "description"));
		snprintf(tmp, sizeof(tmp), "%lld", (long long)num(l, "quantity"));
		text_right(&d, d.regular, 9, 375, top, tmp);
		money(num(l, "unitPriceCents"), cur, tmp, sizeof(tmp));
		text_right(&d, d.regular, 9, 460, top, tmp);
		money(num(l, "amountCents"), cur, tmp, sizeof(tmp));
		text_right(&d, d.regular, 9, R, top, tmp);
		y -= 4;
	}
	HPDF_Page_MoveTo(d.page, L, y);
	HPDF_Page_LineTo(d.page, R, y);
	HPDF_Page_Stroke(d.page);

	/* Totals. */
	y -= 18;
	money(num(inv, "subtotalCents"), cur, tmp, sizeof(tmp));
	text(&d, d.regular, 10, 360, y, "Total HT");
	text_right(&d, d.regular, 10, R, y, tmp);
	y -= 15;
	int64_t bps = num(inv, "taxRate");
	snprintf(a, sizeof(a), "TVA %lld,%02lld %%", (long long)(bps / 100),
	    (long long)(bps % 100));
	money(num(inv, "taxCents"), cur, tmp, sizeof(tmp));
	text(&d, d.regular, 10, 360, y, a);
	text_right(&d, d.regular, 10, R, y, tmp);
	y -= 17;
	money(num(inv, "totalCents"), cur, tmp, sizeof(tmp));
	text(&d, d.bold, 11, 360, y, "Total TTC");
	text_right(&d, d.bold, 11, R, y, tmp);
	y -= 20;
	if (*str(inv, "taxNote"))
		y = paragraph(&d, d.regular, 9, L, y, R - L, str(inv, "taxNote"));
	if (strcmp(str(inv, "status"), "paid") == 0 && *str(inv, "paidAt")) {
		date_fr(str(inv, "paidAt"), a, sizeof(a));
		snprintf(tmp, sizeof(tmp), credit ? "Avoir imputé le %s." :
		    "Payée le %s.", a);
		y = paragraph(&d, d.bold, 9, L, y, R - L, tmp);
	}

	/* The mentions French law asks of invoices between businesses. */
	y = 110;
	y = paragraph(&d, d.regular, 7.5f, L, y, R - L,
	    "Conditions de paiement : paiement à réception, par prélèvement sur le "
	    "moyen de paiement enregistré. Pas d'escompte pour paiement anticipé.");
	y = paragraph(&d, d.regular, 7.5f, L, y, R - L,
	    "En cas de retard de paiement, des pénalités de retard sont exigibles au "
	    "taux de trois fois le taux d'intérêt légal, ainsi qu'une indemnité "
	    "forfaitaire pour frais de recouvrement de 40 € (articles L441-10 et "
	    "D441-5 du Code de commerce).");
	snprintf(tmp, sizeof(tmp), "%s - %s - SIREN %s - TVA intracommunautaire %s",
	    str(seller, "name"), str(seller, "address"), str(seller, "siren"),
	    str(seller, "vatNumber"));
	paragraph(&d, d.regular, 7, L, y - 4, R - L, tmp);

	HPDF_SaveToStream(d.pdf);
	HPDF_UINT32 size = HPDF_GetStreamSize(d.pdf);
	buf_reset(out);
	buf_reserve(out, size);
	HPDF_UINT32 got = size;
	HPDF_ReadFromStream(d.pdf, (HPDF_BYTE *)out->data, &got);
	out->len = got;
	out->data[got] = '\0';
	HPDF_Free(d.pdf);
	return got == size ? ERR_OK : ERR_INTERNAL;
}

enum err
h_invoices_pdf(struct ctx *c)
{
	int64_t id;
	char disp[96];
	enum err rc = crud_resolve(c, &invoices_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	cJSON *inv = crud_read(c, &invoices_entity, id);
	if (inv == NULL)
		return ERR_NOT_FOUND;
	rc = pdf_invoice(inv, config()->font_dir, &c->resp->body);
	if (rc == ERR_OK) {
		c->resp->status = 200;
		c->resp->content_type = "application/pdf";
		/* Invoice numbers are [A-Z0-9-]: safe in a header. */
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pdf\"",
		    cJSON_GetStringValue(cJSON_GetObjectItem(inv, "number")));
		resp_header(c->resp, "Content-Disposition", disp);
		/* An invoice names a customer: kept by no cache. */
		resp_header(c->resp, "Cache-Control", "private, no-store");
	}
	cJSON_Delete(inv);
	return rc;
}
