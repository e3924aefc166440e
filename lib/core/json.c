#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"

int
json_integral(const cJSON *v, double lo, double hi)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	    v->valuedouble >= lo && v->valuedouble <= hi;
}

void
json_init(void)
{
	/* cJSON allocates through the core: out of memory aborts, as
	 * everywhere else (mem.h), instead of a NULL nobody checks. */
	static cJSON_Hooks hooks = { xmalloc, free };
	cJSON_InitHooks(&hooks);
}

int
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned min;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1; min = 0x80; c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; min = 0x800; c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; min = 0x10000; c &= 0x07;
		} else
			return 0;
		if ((size_t)(end - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Checks depth and escaped NULs outside cJSON, which cannot be told
 * a lower nesting limit at run time and silently truncates at \u0000. */
static const char *
prescan(const char *t, size_t len)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (c == '\0')
			return "Invalid JSON in request body";
		if (in_str) {
			if (c == '\\') {
				if (i + 5 < len && t[i + 1] == 'u' &&
				    t[i + 2] == '0' && t[i + 3] == '0' &&
				    t[i + 4] == '0' && t[i + 5] == '0')
					return "Strings must not contain NUL characters";
				i++;
			} else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return "JSON nesting is too deep";
		} else if (c == '}' || c == ']')
			depth--;
	}
	return NULL;
}

enum err
json_parse_body(const char *text, size_t len, cJSON **out, const char **why)
{
	*out = NULL;
	*why = NULL;
	if ((*why = prescan(text, len)) != NULL)
		return ERR_BAD_REQUEST;
	if (!json_utf8_valid(text, len)) {
		*why = "Request body is not valid UTF-8";
		return ERR_BAD_REQUEST;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		*why = "Invalid JSON in request body";
		return ERR_BAD_REQUEST;
	}
	/* Only white space may follow the value. */
	for (; end && (size_t)(end - text) < len; end++)
		if (!strchr(" \t\r\n", *end)) {
			cJSON_Delete(root);
			*why = "Invalid JSON in request body";
			return ERR_BAD_REQUEST;
		}
	*out = root;
	return ERR_OK;
}

void
json_write(struct response *r, const cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);
	if (s == NULL)
		abort();	/* out of memory: see mem.h */
	buf_reset(&r->body);
	buf_puts(&r->body, s);
	free(s);
}

/*
 * cJSON prints every number with "%1.15g" and reads it back with sscanf to
 * check it: most of the time of printing a page of records. The integers
 * of a tree about to be printed (and freed) become raw text instead, in
 * the same decimal digits.
 */
/* v in decimal, written at the end of digits; returns its start. */
static const char *
int_digits(int64_t v, char digits[24])
{
	char *p = digits + 24;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static void
integers_raw(cJSON *item)
{
	for (; item; item = item->next) {
		if (item->child)
			integers_raw(item->child);
		if (!json_integral(item, -JSON_MAX_INT, JSON_MAX_INT))
			continue;
		char digits[24];
		/* cJSON frees it with its hooks: the core's allocator. */
		item->valuestring = xstrdup(int_digits((int64_t)item->valuedouble,
		    digits));
		item->type = (item->type & ~0xff) | cJSON_Raw;
	}
}

void
json_put_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	buf_putc(b, '"');
	for (;;) {
		const unsigned char *run = p;
		while (*p >= 32 && *p != '"' && *p != '\\')
			p++;
		buf_append(b, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		char e[8];
		switch (*p) {
		case '"':	memcpy(e, "\\\"", 3); break;
		case '\\':	memcpy(e, "\\\\", 3); break;
		case '\b':	memcpy(e, "\\b", 3); break;
		case '\f':	memcpy(e, "\\f", 3); break;
		case '\n':	memcpy(e, "\\n", 3); break;
		case '\r':	memcpy(e, "\\r", 3); break;
		case '\t':	memcpy(e, "\\t", 3); break;
		default:	snprintf(e, sizeof(e), "\\u%04x", *p); break;
		}
		buf_puts(b, e);
		p++;
	}
	buf_putc(b, '"');
}

void
json_put_int(struct buf *b, int64_t v)
{
	if (v < -(int64_t)JSON_MAX_INT || v > (int64_t)JSON_MAX_INT) {
		/* Past 2^53 a JSON number is a double: cJSON's digits. */
		cJSON *n = cJSON_CreateNumber((double)v);
		json_put_value(b, n);
		cJSON_Delete(n);
		return;
	}
	char digits[24];
	buf_puts(b, int_digits(v, digits));
}

void
json_put_value(struct buf *b, cJSON *v)
{
	integers_raw(v);
	char *s = cJSON_PrintUnformatted(v);
	if (s == NULL)
		abort();	/* out of memory: see mem.h */
	buf_puts(b, s);
	free(s);
}

void
json_send_rows(struct response *r, int status, const struct buf *rows,
    cJSON *meta)
{
	r->status = status;
	r->content_type = "application/json; charset=utf-8";
	buf_reset(&r->body);
	buf_puts(&r->body, "{\"data\":[");
	buf_append(&r->body, rows->data, rows->len);
	buf_puts(&r->body, "],\"meta\":");
	if (meta == NULL)
		meta = cJSON_CreateObject();
	json_put_value(&r->body, meta);
	cJSON_Delete(meta);
	buf_putc(&r->body, '}');
}

void
json_send_data(struct response *r, int status, cJSON *data, cJSON *meta)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "data", data ? data : cJSON_CreateNull());
	cJSON_AddItemToObject(root, "meta", meta ? meta : cJSON_CreateObject());
	r->status = status;
	r->content_type = "application/json; charset=utf-8";
	integers_raw(root->child);
	json_write(r, root);
	cJSON_Delete(root);
}

void
json_send_error(struct response *r, enum err e, const char *message,
    cJSON *details)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNullToObject(root, "data");
	cJSON *err = cJSON_AddObjectToObject(root, "error");
	cJSON_AddNumberToObject(err, "status", err_status(e));
	cJSON_AddStringToObject(err, "name", err_name(e));
	cJSON_AddStringToObject(err, "message", message ? message : err_message(e));
	cJSON_AddItemToObject(err, "details", details ? details : cJSON_CreateObject());
	r->status = err_status(e);
	r->content_type = "application/json; charset=utf-8";
	json_write(r, root);
	cJSON_Delete(root);
}
