#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

#include "crud.h"
#include "invoices.h"
#include "msg.h"
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

/* Appends the catalogue's text of key with its arguments (NULL-ended)
 * into tmp (n bytes). */
static const char *
say(char *tmp, size_t n, const char *lang, const char *key, ...)
{
	struct buf b = { 0 };
	const char *args[4] = { 0 };
	va_list ap;
	va_start(ap, key);
	for (int i = 0; i < 4; i++)
		if ((args[i] = va_arg(ap, const char *)) == NULL)
			break;
	va_end(ap);
	msg_printf(&b, lang, key, args[0], args[1], args[2], args[3], NULL);
	snprintf(tmp, n, "%s", buf_str(&b));
	buf_free(&b);
	return tmp;
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
pdf_invoice(const cJSON *inv, const char *font_dir, const char *lang,
    struct buf *out)
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
	text_right(&d, d.bold, 18, R, y, msg(lang, credit ? "PDF_CREDIT_NOTE" :
	    "PDF_INVOICE"));
	y -= 16;
	text(&d, d.regular, 9, L, y, str(seller, "address"));
	text_right(&d, d.bold, 11, R, y, say(tmp, sizeof(tmp), lang, "PDF_NUMBER",
	    str(inv, "number"), NULL));
	y -= 12;
	text(&d, d.regular, 9, L, y, say(tmp, sizeof(tmp), lang, "PDF_SELLER_IDS",
	    str(seller, "siren"), str(seller, "vatNumber"), NULL));
	msg_date(lang, str(inv, "issuedAt"), a, sizeof(a));
	text_right(&d, d.regular, 9, R, y, say(tmp, sizeof(tmp), lang, "PDF_ISSUED", a,
	    NULL));
	y -= 12;
	msg_date(lang, str(inv, "dueAt"), a, sizeof(a));
	text_right(&d, d.regular, 9, R, y, say(tmp, sizeof(tmp), lang, "PDF_DUE", a,
	    NULL));

	/* The buyer. */
	y -= 34;
	text(&d, d.bold, 10, 330, y, msg(lang, "PDF_CUSTOMER"));
	y -= 14;
	text(&d, d.regular, 10, 330, y, str(buyer, "name"));
	y -= 13;
	if (*str(buyer, "company")) {
		text(&d, d.regular, 9, 330, y, str(buyer, "company"));
		y -= 12;
	}
	if (*str(buyer, "address"))
		y = paragraph(&d, d.regular, 9, 330, y, R - 330, str(buyer, "address"));
	text(&d, d.regular, 9, 330, y, say(tmp, sizeof(tmp), lang, "PDF_COUNTRY",
	    str(buyer, "country"), NULL));
	y -= 12;
	if (*str(buyer, "vatNumber")) {
		text(&d, d.regular, 9, 330, y, say(tmp, sizeof(tmp), lang, "PDF_BUYER_VAT",
		    str(buyer, "vatNumber"), NULL));
		y -= 12;
	}
	if (*str(inv, "periodStart")) {
		msg_date(lang, str(inv, "periodStart"), a, sizeof(a));
		msg_date(lang, str(inv, "periodEnd"), b, sizeof(b));
		text(&d, d.regular, 9, L, y, say(tmp, sizeof(tmp), lang, "PDF_PERIOD", a, b,
		    NULL));
	}

	/* The lines, before tax. */
	y -= 30;
	HPDF_Page_SetLineWidth(d.page, 0.6f);
	text(&d, d.bold, 9, L, y, msg(lang, "PDF_COL_DESCRIPTION"));
	text_right(&d, d.bold, 9, 375, y, msg(lang, "PDF_COL_QUANTITY"));
	text_right(&d, d.bold, 9, 460, y, msg(lang, "PDF_COL_UNIT"));
	text_right(&d, d.bold, 9, R, y, msg(lang, "PDF_COL_AMOUNT"));
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
		msg_money(lang, num(l, "unitPriceCents"), cur, tmp, sizeof(tmp));
		text_right(&d, d.regular, 9, 460, top, tmp);
		msg_money(lang, num(l, "amountCents"), cur, tmp, sizeof(tmp));
		text_right(&d, d.regular, 9, R, top, tmp);
		y -= 4;
	}
	HPDF_Page_MoveTo(d.page, L, y);
	HPDF_Page_LineTo(d.page, R, y);
	HPDF_Page_Stroke(d.page);

	/* Totals. */
	y -= 18;
	msg_money(lang, num(inv, "subtotalCents"), cur, tmp, sizeof(tmp));
	text(&d, d.regular, 10, 360, y, msg(lang, "PDF_SUBTOTAL"));
	text_right(&d, d.regular, 10, R, y, tmp);
	y -= 15;
	int64_t bps = num(inv, "taxRate");
	msg_number(lang, bps, b, sizeof(b));
	say(a, sizeof(a), lang, "PDF_VAT_RATE", b, NULL);
	msg_money(lang, num(inv, "taxCents"), cur, tmp, sizeof(tmp));
	text(&d, d.regular, 10, 360, y, a);
	text_right(&d, d.regular, 10, R, y, tmp);
	y -= 17;
	msg_money(lang, num(inv, "totalCents"), cur, tmp, sizeof(tmp));
	text(&d, d.bold, 11, 360, y, msg(lang, "PDF_TOTAL"));
	text_right(&d, d.bold, 11, R, y, tmp);
	y -= 20;
	if (*str(inv, "taxNote"))
		y = paragraph(&d, d.regular, 9, L, y, R - L, str(inv, "taxNote"));
	if (strcmp(str(inv, "status"), "paid") == 0 && *str(inv, "paidAt")) {
		msg_date(lang, str(inv, "paidAt"), a, sizeof(a));
		y = paragraph(&d, d.bold, 9, L, y, R - L, say(tmp, sizeof(tmp), lang,
		    credit ? "PDF_CREDITED" : "PDF_PAID", a, NULL));
	}

	/* The mentions French law asks of invoices between businesses. */
	y = 110;
	y = paragraph(&d, d.regular, 7.5f, L, y, R - L, msg(lang, "PDF_TERMS"));
	y = paragraph(&d, d.regular, 7.5f, L, y, R - L, msg(lang, "PDF_LATE"));
	paragraph(&d, d.regular, 7, L, y - 4, R - L, say(tmp, sizeof(tmp), lang,
	    "PDF_FOOTER", str(seller, "name"), str(seller, "address"),
	    str(seller, "siren"), str(seller, "vatNumber")));

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
	rc = pdf_invoice(inv, config()->font_dir, INVOICE_LANG, &c->resp->body);
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
