/*
 * JSON through cJSON: request-body parsing under limits, and the Strapi v5
 * envelopes ({"data","meta"} and {"data":null,"error"}).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "http.h"

/* Nesting deeper than this is refused before cJSON sees the text. */
#define JSON_MAX_DEPTH 32

/* Makes cJSON allocate with the core's allocator (mem.h: out of memory
 * aborts). Every program calls it once at start, before any cJSON call;
 * app_open() does. */
void		 json_init(void);
/* Whether v is a JSON number that is an integer from lo to hi (within
 * ±2^53, where a double holds every integer): the test to pass before a
 * value from outside is converted to int64_t. */
int		 json_integral(const cJSON *v, double lo, double hi);
#define JSON_MAX_INT	9007199254740991.0	/* 2^53 - 1 */
/* Parses a request body. Returns ERR_OK with *out set (caller deletes),
 * or ERR_BAD_REQUEST with *why set to a static message: malformed JSON,
 * too deep, an escaped NUL, invalid UTF-8. */
enum err	 json_parse_body(const char *text, size_t len, cJSON **out,
		    const char **why);
/* Returns 1 when s is valid UTF-8. */
int		 json_utf8_valid(const char *s, size_t len);

/* Writes {"data": data, "meta": meta} with the given status; takes
 * ownership of data and meta (meta NULL means {}). */
void		 json_send_data(struct response *r, int status, cJSON *data,
		    cJSON *meta);
/*
 * Text written straight into a buffer, byte for byte what cJSON prints
 * unformatted (with integers within 2^53 in plain digits, as
 * json_send_data prints them): for pages of records, where a cJSON tree
 * a record costs most of the answer.
 */
/* Appends s (NULL: "") quoted and escaped as cJSON does: '"', '\\' and
 * the bytes under 32; every other byte as it is. */
void		 json_put_string(struct buf *b, const char *s);
/* Appends v as a JSON number. */
void		 json_put_int(struct buf *b, int64_t v);
/* Appends v printed unformatted; v is a root (no siblings), still owned by
 * the caller, and its integers become raw text. */
void		 json_put_value(struct buf *b, cJSON *v);
/* Writes {"data":[rows],"meta":meta} with the given status: rows is the
 * records' text separated by commas (still owned by the caller); takes
 * ownership of meta (NULL means {}). */
void		 json_send_rows(struct response *r, int status,
		    const struct buf *rows, cJSON *meta);
/* Writes the Strapi error envelope for e; message NULL means the default
 * one, details NULL means {}. Takes ownership of details. */
void		 json_send_error(struct response *r, enum err e,
		    const char *message, cJSON *details);
/* Prints root unformatted into the response body (root stays owned). */
void		 json_write(struct response *r, const cJSON *root);

#endif
