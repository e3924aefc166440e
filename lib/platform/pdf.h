/*
 * Invoice PDFs with libhpdf: French mentions, accents through an embedded
 * TrueType font (DejaVu Sans, PLATFORM_FONT_DIR), the same bytes on every
 * download (everything drawn comes from the stored, never-edited invoice).
 */
#ifndef PDF_H
#define PDF_H

#include <cjson/cJSON.h>

#include "app.h"
#include "err.h"
#include "mem.h"

/* Renders an invoice record (its JSON, as the API answers it) into out,
 * its words from the catalogue of lang (msg.h). Returns ERR_OK or
 * ERR_INTERNAL (font missing, libhpdf error). */
enum err	 pdf_invoice(const cJSON *invoice, const char *font_dir,
		    const char *lang, struct buf *out);
/* GET /api/invoices/:id/pdf */
enum err	 h_invoices_pdf(struct ctx *c);

#endif
