/*
 * Validation of request bodies against an entity's fields. Every bad field
 * is named; the errors go out as Strapi's details.errors[].
 */
#ifndef VALID_H
#define VALID_H

#include <cjson/cJSON.h>

#include "entity.h"

struct verrs {
	cJSON	*errors;	/* array of {path, message, name, value} */
	int	 n;
};

/* Adds an error about path (a field name, may contain '.' for nesting);
 * value (may be NULL) is copied. */
void	 verr_add(struct verrs *ve, const char *path, const char *message,
	    const cJSON *value);
/* Adds an error with a printf-formatted message. */
void	 verr_addf(struct verrs *ve, const char *path, const cJSON *value,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Returns the details object ({"errors": [...]}) and the top message;
 * leaves ve empty. Caller owns the details. */
cJSON	*verr_take(struct verrs *ve, char *msg, size_t msgsz);
/* Frees any errors held. */
void	 verr_free(struct verrs *ve);

/* Checks data (the body's "data" object) for a create (creating = 1) or
 * an update: unknown and read-only keys, types, enums, ranges, lengths,
 * required fields. Returns the number of errors added. */
int	 valid_entity_body(const struct entity *e, const cJSON *data,
	    int creating, struct verrs *ve);
/* Checks one value against a field; returns 0 if valid. */
int	 valid_field(const struct field *f, const cJSON *v, struct verrs *ve);
/* Returns 1 when s is a valid single-line string (UTF-8, no control
 * characters); multiline also allows \n, \r and \t. */
int	 valid_text(const char *s, int multiline);
/* Returns 1 for an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS(.mmm)Z". */
int	 valid_datetime(const char *s);
/* Strict integer parse of a whole string; returns 0 and sets *out. */
int	 valid_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* A slug: 1-64 of [a-z0-9-], not starting or ending with '-'. */
int	 valid_slug(const char *s);
/* Returns 1 for a plausible e-mail address (one @, a dotted domain, no
 * spaces or controls, at most 254 characters). */
int	 valid_email(const char *s);
/* Field checks (struct field's check) shared by content types. */
int	 valid_check_slug(const cJSON *v, const char *name, struct verrs *ve);
int	 valid_check_email(const cJSON *v, const char *name, struct verrs *ve);

#endif
