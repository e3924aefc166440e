/*
 * Record identifiers: documentId generation (24 characters, lower-case
 * letters and digits: the time it was made, then random characters from
 * mbedTLS's CTR_DRBG) and parsing of the `:id` URL segment, which takes
 * either the integer id or the documentId.
 */
#ifndef ID_H
#define ID_H

#include <stddef.h>
#include <stdint.h>

#define DOCUMENT_ID_LEN 24
#define DOCUMENT_ID_TIME 9	/* its first characters: the time it was made */

/* Fills out with n secure random bytes. Returns 0, or -1 if the generator
 * could not be seeded. Seeds itself on first use in each process. */
int	 id_random(unsigned char *out, size_t n);
/* Writes a new documentId and its NUL into out: DOCUMENT_ID_TIME base-36
 * digits of clock_now_ms(), so that ids sort as they were made, then random
 * characters. Returns 0 or -1. */
int	 id_document_new(char out[DOCUMENT_ID_LEN + 1]);
/* Returns 1 when s is a well-formed documentId. */
int	 id_is_document(const char *s);

enum id_kind { ID_INVALID, ID_INTEGER, ID_DOCUMENT };
/* Classifies a URL id; for ID_INTEGER stores the value in *num. */
enum id_kind id_parse(const char *s, int64_t *num);

#endif
