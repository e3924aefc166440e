/*
 * The message catalogue: every visible string of pages, e-mails and PDFs,
 * one catalogue per language ("KEY = text" lines, compiled into the
 * programs), and the one place money and dates are written per language.
 *
 * One fallback rule: English is the reference language, holding every
 * key; a language the catalogue lacks is answered in English. Every
 * language must hold exactly the reference's keys: msg_use() refuses a
 * catalogue that does not, so a program cannot start with a gap.
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

#define MSG_REFERENCE	"en"

/* A language's catalogue: its code ("fr") and text. Static storage. */
struct msg_lang {
	const char	*code;
	const char	*text;
};

/* Makes langs[n] the process's catalogue (one of them must be the
 * reference). Returns 0, or -1 with why (n bytes) naming the language,
 * the line or the key at fault: a malformed or duplicate line, a key the
 * reference lacks, or a reference key the language lacks. */
int		 msg_use(const struct msg_lang *langs, size_t n, char *why,
		    size_t whyn);
/* The catalogue's code for code ("fr"), or the reference's for one it
 * lacks (and for NULL). Static storage. */
const char	*msg_lang(const char *code);
/* The text of key in lang (the reference's for an unknown language; the
 * key itself for an unknown key, which a test forbids). Owned by the
 * catalogue. */
const char	*msg(const char *lang, const char *key);
/* Appends the text of key in lang to out, each {1}..{9} replaced by the
 * matching argument (const char *; the list ends with NULL). */
void		 msg_printf(struct buf *out, const char *lang, const char *key, ...);
/* Calls fn for every key of lang's catalogue with its text (the page
 * helpers hand them to templates). */
void		 msg_each(const char *lang, void (*fn)(void *arg, const char *key,
		    const char *text), void *arg);
/* Writes hundredths as a number of the language ("1 234,56" in French,
 * "1,234.56" in English) into out (n bytes). */
void		 msg_number(const char *lang, int64_t hundredths, char *out, size_t n);
/* Writes an amount of money: "1 234,56 €" in French, "€1,234.56" in
 * English; currencies other than EUR by their code ("12,00 USD",
 * "USD 12.00"). */
void		 msg_money(const char *lang, int64_t cents, const char *currency,
		    char *out, size_t n);
/* Writes the date of an ISO 8601 time ("2026-11-27T...") as the language
 * writes it: "27/11/2026" in French, "27 Nov 2026" in English; "" for
 * a malformed one. */
void		 msg_date(const char *lang, const char *iso, char *out, size_t n);

#endif
