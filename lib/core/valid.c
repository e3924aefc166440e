#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "json.h"
#include "valid.h"

int
entity_field(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct relation *
entity_relation(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->nrels; i++)
		if (strcmp(e->rels[i].name, name) == 0)
			return &e->rels[i];
	return NULL;
}

void
verr_add(struct verrs *ve, const char *path, const char *message,
    const cJSON *value)
{
	if (ve->errors == NULL)
		ve->errors = cJSON_CreateArray();
	cJSON *e = cJSON_CreateObject();
	cJSON *p = cJSON_AddArrayToObject(e, "path");
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(tmp, ".", &save); t; t = strtok_r(NULL, ".", &save))
		cJSON_AddItemToArray(p, cJSON_CreateString(t));
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddStringToObject(e, "name", "ValidationError");
	if (value && (cJSON_IsString(value) || cJSON_IsNumber(value) ||
	    cJSON_IsBool(value)))
		cJSON_AddItemToObject(e, "value", cJSON_Duplicate(value, 0));
	cJSON_AddItemToArray(ve->errors, e);
	ve->n++;
}

void
verr_addf(struct verrs *ve, const char *path, const cJSON *value,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	verr_add(ve, path, msg, value);
}

cJSON *
verr_take(struct verrs *ve, char *msg, size_t msgsz)
{
	cJSON *d = cJSON_CreateObject();
	if (ve->n == 1) {
		const cJSON *m = cJSON_GetObjectItem(
		    cJSON_GetArrayItem(ve->errors, 0), "message");
		snprintf(msg, msgsz, "%s", cJSON_GetStringValue(m));
	} else
		snprintf(msg, msgsz, "%d errors occurred", ve->n);
	cJSON_AddItemToObject(d, "errors", ve->errors ? ve->errors :
	    cJSON_CreateArray());
	ve->errors = NULL;
	ve->n = 0;
	return d;
}

void
verr_free(struct verrs *ve)
{
	cJSON_Delete(ve->errors);
	ve->errors = NULL;
	ve->n = 0;
}

int
valid_text(const char *s, int multiline)
{
	size_t n = strlen(s);
	if (!json_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f)
			return 0;
		if (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
			return 0;
	}
	return 1;
}

/* Counts UTF-8 code points. */
static size_t
utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
valid_datetime(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SS[.mmm]Z */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	}
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return 0;
		while (isdigit((unsigned char)s[i]) && i < 30)
			i++;
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return 0;
	int mo = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	int h = (s[11] - '0') * 10 + (s[12] - '0');
	int mi = (s[14] - '0') * 10 + (s[15] - '0');
	int se = (s[17] - '0') * 10 + (s[18] - '0');
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 &&
	    se < 60;
}

int
valid_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
valid_slug(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int
valid_email(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n < 3 || n > 254 || at == NULL || at == s || strchr(at + 1, '@') ||
	    !valid_text(s, 0) || strpbrk(s, " \t\"(),:;<>[\\]") != NULL)
		return 0;
	const char *dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0' && at[1] != '.';
}

int
valid_check_slug(const cJSON *v, const char *name, struct verrs *ve)
{
	if (valid_slug(v->valuestring))
		return 0;
	verr_addf(ve, name, v, "%s must contain only lower-case letters, digits "
	    "and dashes", name);
	return -1;
}

int
valid_check_email(const cJSON *v, const char *name, struct verrs *ve)
{
	if (valid_email(v->valuestring))
		return 0;
	verr_addf(ve, name, v, "%s must be a valid email", name);
	return -1;
}

static void
enum_message(const struct field *f, char *out, size_t sz)
{
	size_t w = (size_t)snprintf(out, sz, "%s must be one of the following values: ",
	    f->name);
	for (const char *const *e = f->enums; *e && w < sz; e++)
		w += (size_t)snprintf(out + w, sz - w, "%s, ", *e);
}

int
valid_field(const struct field *f, const cJSON *v, struct verrs *ve)
{
	char msg[512];
	if (cJSON_IsNull(v)) {
		if (f->flags & F_NULLABLE)
			return 0;
		if (f->flags & F_REQUIRED) {
			verr_addf(ve, f->name, NULL, "%s must be defined.", f->name);
			return -1;
		}
		verr_addf(ve, f->name, NULL, "%s cannot be null", f->name);
		return -1;
	}
	switch (f->type) {
	case FT_STRING:
	case FT_TEXT:
	case FT_DATETIME:
		if (!cJSON_IsString(v)) {
			verr_addf(ve, f->name, v, "%s must be a `string` type", f->name);
			return -1;
		}
		if (!valid_text(v->valuestring, f->type == FT_TEXT)) {
			verr_addf(ve, f->name, NULL, "%s contains invalid characters",
			    f->name);
			return -1;
		}
		if (f->type == FT_DATETIME) {
			if (!valid_datetime(v->valuestring)) {
				verr_addf(ve, f->name, v, "%s must be a UTC date-time "
				    "(YYYY-MM-DDTHH:MM:SS.sssZ)", f->name);
				return -1;
			}
			return 0;
		}
		size_t n = utf8_len(v->valuestring);
		if (f->min > 0 && n < (size_t)f->min) {
			if (f->min == 1)
				verr_addf(ve, f->name, v, "%s cannot be empty", f->name);
			else
				verr_addf(ve, f->name, v, "%s must be at least %lld characters",
				    f->name, (long long)f->min);
			return -1;
		}
		if (f->max > 0 && n > (size_t)f->max) {
			verr_addf(ve, f->name, NULL, "%s must be at most %lld characters",
			    f->name, (long long)f->max);
			return -1;
		}
		return f->check ? f->check(v, f->name, ve) : 0;
	case FT_INT:
		if (!json_integral(v, -JSON_MAX_INT, JSON_MAX_INT)) {
			verr_addf(ve, f->name, v, "%s must be an integer", f->name);
			return -1;
		}
		if ((int64_t)v->valuedouble < f->min || (int64_t)v->valuedouble > f->max) {
			verr_addf(ve, f->name, v, "%s must be between %lld and %lld",
			    f->name, (long long)f->min, (long long)f->max);
			return -1;
		}
		return 0;
	case FT_BOOL:
		if (!cJSON_IsBool(v)) {
			verr_addf(ve, f->name, v, "%s must be a `boolean` type", f->name);
			return -1;
		}
		return 0;
	case FT_ENUM:
		if (cJSON_IsString(v))
			for (const char *const *e = f->enums; *e; e++)
				if (strcmp(*e, v->valuestring) == 0)
					return 0;
		enum_message(f, msg, sizeof(msg));
		verr_add(ve, f->name, msg, v);
		return -1;
	case FT_JSON:
		return f->check ? f->check(v, f->name, ve) : 0;
	case FT_REF:
		if (json_integral(v, 1, JSON_MAX_INT) ||
		    (cJSON_IsString(v) && id_is_document(v->valuestring)))
			return 0;
		verr_addf(ve, f->name, v, "%s must be an id or a documentId", f->name);
		return -1;
	case FT_ID:
	case FT_DOCID:
		break;
	}
	verr_addf(ve, f->name, NULL, "Invalid key %s", f->name);
	return -1;
}

int
valid_entity_body(const struct entity *e, const cJSON *data, int creating,
    struct verrs *ve)
{
	int before = ve->n;
	const cJSON *it;
	cJSON_ArrayForEach(it, data) {
		const char *k = it->string;
		int fi = entity_field(e, k);
		if (fi < 0 || !(e->fields[fi].flags & F_WRITABLE)) {
			verr_addf(ve, k, NULL, "Invalid key %s", k);
			continue;
		}
		/* Duplicate keys: cJSON keeps both; the first wins in lookups. */
		const cJSON *first = cJSON_GetObjectItemCaseSensitive(data, k);
		if (first != it) {
			verr_addf(ve, k, NULL, "%s is given more than once", k);
			continue;
		}
		valid_field(&e->fields[fi], it, ve);
	}
	if (creating)
		for (size_t i = 0; i < e->nfields; i++) {
			const struct field *f = &e->fields[i];
			if ((f->flags & F_REQUIRED) &&
			    !cJSON_GetObjectItemCaseSensitive(data, f->name))
				verr_addf(ve, f->name, NULL, "%s must be defined.",
				    f->name);
		}
	return ve->n - before;
}
