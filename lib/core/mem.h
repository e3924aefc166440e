/*
 * Memory: growable buffers and the per-request arena.
 *
 * Out-of-memory policy: allocation failure aborts the process. A worker that
 * cannot allocate is in no state to answer; the pool master replaces it and
 * nginx answers that one request with 502. No caller checks for NULL.
 */
#ifndef MEM_H
#define MEM_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

/* malloc/realloc/strdup that abort on failure. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t sz);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);

/* The 64-bit FNV-1a hash of string s continued from h (start with
 * TEXT_HASH_START): for hash tables and fingerprints, never for security. */
#define TEXT_HASH_START	0xcbf29ce484222325ull
uint64_t text_hash(uint64_t h, const char *s);

/* A growable byte buffer, always NUL-terminated when len > 0. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_reserve(struct buf *b, size_t extra);
/* Appends n bytes from p (which may be NULL when n is 0). */
void	 buf_append(struct buf *b, const void *p, size_t n);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_putc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Empties the buffer, keeping its storage. */
void	 buf_reset(struct buf *b);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void	 buf_free(struct buf *b);
/* Returns the contents as a string ("" when empty); owned by the buffer. */
const char *buf_str(const struct buf *b);

/* A bump allocator: everything is freed at once by arena_free(). */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void	*arena_alloc(struct arena *a, size_t n);
char	*arena_strdup(struct arena *a, const char *s);
char	*arena_strndup(struct arena *a, const char *s, size_t n);
char	*arena_printf(struct arena *a, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Frees every allocation; the arena is empty and reusable afterwards. */
void	 arena_free(struct arena *a);

#endif
