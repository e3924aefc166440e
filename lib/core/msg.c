#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define MSG_LANGS	8
#define MSG_KEYS	512
#define MSG_KEY_MAX	64

struct msg_entry {
	char	 key[MSG_KEY_MAX];
	char	*text;		/* unescaped */
};

struct msg_table {
	char	 code[8];
	struct msg_entry *e;	/* sorted by key */
	size_t	 n;
};

static struct msg_table tables[MSG_LANGS];
static size_t ntables;
static int reference = -1;

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct msg_entry *)a)->key,
	    ((const struct msg_entry *)b)->key);
}

static void
free_table(struct msg_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].text);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* Parses one catalogue into t. Returns 0, or -1 with why. */
static int
parse(const struct msg_lang *l, struct msg_table *t, char *why, size_t whyn)
{
	size_t cap = 64, lineno = 0;
	snprintf(t->code, sizeof(t->code), "%s", l->code);
	t->e = xcalloc(cap, sizeof(*t->e));
	for (const char *p = l->text; *p; ) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		lineno++;
		const char *line = p;
		p += len + (end != NULL);
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		size_t k = 0;
		while (k < len && ((line[k] >= 'A' && line[k] <= 'Z') ||
		    (line[k] >= '0' && line[k] <= '9') || line[k] == '_'))
			k++;
		if (k == 0 || k >= MSG_KEY_MAX || k + 3 > len ||
		    strncmp(line + k, " = ", 3) != 0) {
			snprintf(why, whyn, "%s line %zu: not \"KEY = text\"", l->code, lineno);
			return -1;
		}
		if (t->n == cap || t->n == MSG_KEYS) {
			if (t->n == MSG_KEYS) {
				snprintf(why, whyn, "%s: more than %d keys", l->code, MSG_KEYS);
				return -1;
			}
			cap *= 2;
			t->e = xrealloc(t->e, cap * sizeof(*t->e));
		}
		struct msg_entry *e = &t->e[t->n++];
		memcpy(e->key, line, k);
		e->key[k] = '\0';
		/* The text, with \n turned into new lines. */
		const char *s = line + k + 3;
		size_t sl = len - k - 3, w = 0;
		e->text = xmalloc(sl + 1);
		for (size_t i = 0; i < sl; i++) {
			if (s[i] == '\\' && i + 1 < sl && s[i + 1] == 'n') {
				e->text[w++] = '\n';
				i++;
			} else
				e->text[w++] = s[i];
		}
		e->text[w] = '\0';
	}
	qsort(t->e, t->n, sizeof(*t->e), by_key);
	for (size_t i = 1; i < t->n; i++)
		if (strcmp(t->e[i - 1].key, t->e[i].key) == 0) {
			snprintf(why, whyn, "%s: %s given twice", l->code, t->e[i].key);
			return -1;
		}
	return 0;
}

static const struct msg_entry *
find(const struct msg_table *t, const char *key)
{
	struct msg_entry probe;
	if (strlen(key) >= sizeof(probe.key))
		return NULL;
	snprintf(probe.key, sizeof(probe.key), "%s", key);
	return bsearch(&probe, t->e, t->n, sizeof(*t->e), by_key);
}

int
msg_use(const struct msg_lang *langs, size_t n, char *why, size_t whyn)
{
	struct msg_table next[MSG_LANGS];
	int ref = -1, rc = -1;
	memset(next, 0, sizeof(next));
	if (n == 0 || n > MSG_LANGS) {
		snprintf(why, whyn, "from 1 to %d languages", MSG_LANGS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (parse(&langs[i], &next[i], why, whyn) != 0)
			goto out;
		if (strcmp(langs[i].code, MSG_REFERENCE) == 0)
			ref = (int)i;
	}
	if (ref < 0) {
		snprintf(why, whyn, "no catalogue for the reference language (%s)",
		    MSG_REFERENCE);
		goto out;
	}
	/* The same keys everywhere. */
	for (size_t i = 0; i < n; i++) {
		if ((int)i == ref)
			continue;
		for (size_t k = 0; k < next[ref].n; k++)
			if (find(&next[i], next[ref].e[k].key) == NULL) {
				snprintf(why, whyn, "%s lacks %s", next[i].code,
				    next[ref].e[k].key);
				goto out;
			}
		for (size_t k = 0; k < next[i].n; k++)
			if (find(&next[ref], next[i].e[k].key) == NULL) {
				snprintf(why, whyn, "%s has %s, which %s lacks", next[i].code,
				    next[i].e[k].key, MSG_REFERENCE);
				goto out;
			}
	}
	for (size_t i = 0; i < ntables; i++)
		free_table(&tables[i]);
	memcpy(tables, next, sizeof(next));
	memset(next, 0, sizeof(next));
	ntables = n;
	reference = ref;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free_table(&next[i]);
	return rc;
}

static const struct msg_table *
table(const char *lang)
{
	for (size_t i = 0; lang && i < ntables; i++)
		if (strcmp(tables[i].code, lang) == 0)
			return &tables[i];
	return reference >= 0 ? &tables[reference] : NULL;
}

const char *
msg_lang(const char *code)
{
	const struct msg_table *t = table(code);
	return t ? t->code : MSG_REFERENCE;
}

const char *
msg(const char *lang, const char *key)
{
	const struct msg_table *t = table(lang);
	const struct msg_entry *e = t ? find(t, key) : NULL;
	return e ? e->text : key;
}

void
msg_printf(struct buf *out, const char *lang, const char *key, ...)
{
	const char *args[9] = { 0 };
	size_t nargs = 0;
	va_list ap;
	va_start(ap, key);
	for (const char *a; nargs < 9 && (a = va_arg(ap, const char *)) != NULL; )
		args[nargs++] = a;
	va_end(ap);
	for (const char *p = msg(lang, key); *p; p++) {
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
			size_t i = (size_t)(p[1] - '1');
			if (i < nargs && args[i])
				buf_puts(out, args[i]);
			p += 2;
			continue;
		}
		buf_putc(out, *p);
	}
}

void
msg_each(const char *lang, void (*fn)(void *arg, const char *key, const char *text),
    void *arg)
{
	const struct msg_table *t = table(lang);
	for (size_t i = 0; t && i < t->n; i++)
		fn(arg, t->e[i].key, t->e[i].text);
}

void
msg_number(const char *lang, int64_t hundredths, char *out, size_t n)
{
	int fr = strcmp(msg_lang(lang), "fr") == 0;
	char digits[32], grouped[64];
	uint64_t a = hundredths < 0 ? (uint64_t)0 - (uint64_t)hundredths :
	    (uint64_t)hundredths;
	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(a / 100));
	size_t len = strlen(digits), w = 0;
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[w++] = fr ? ' ' : ',';
		grouped[w++] = digits[i];
	}
	grouped[w] = '\0';
	snprintf(out, n, "%s%s%c%02llu", hundredths < 0 ? "-" : "", grouped,
	    fr ? ',' : '.', (unsigned long long)(a % 100));
}

void
msg_money(const char *lang, int64_t cents, const char *currency, char *out, size_t n)
{
	char num[64];
	int fr = strcmp(msg_lang(lang), "fr") == 0;
	int eur = currency == NULL || strcmp(currency, "EUR") == 0;
	msg_number(lang, cents, num, sizeof(num));
	if (fr)
		snprintf(out, n, "%s %s", num, eur ? "€" : currency);
	else if (eur)
		snprintf(out, n, "%s€%s", cents < 0 ? "-" : "", num + (cents < 0));
	else
		snprintf(out, n, "%s %s", currency, num);
}

void
msg_date(const char *lang, const char *iso, char *out, size_t n)
{
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d;
	if (iso == NULL || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (strcmp(msg_lang(lang), "fr") == 0)
		snprintf(out, n, "%02d/%02d/%04d", d, m, y);
	else
		snprintf(out, n, "%d %s %04d", d, months[m - 1], y);
}
