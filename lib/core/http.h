/*
 * The core's request and response values. fcgi/ fills a struct request
 * from a FastCGI request; the core fills a struct response; fcgi/ writes it.
 * Everything a request allocates lives in its arena and dies with it.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "err.h"
#include "mem.h"

/* Hard limits, checked before anything is allocated for them. */
#define HTTP_MAX_QUERY_PARAMS	1100
#define HTTP_MAX_QUERY_LEN	65536
#define HTTP_MAX_HEADERS	64

enum http_method {
	METHOD_GET, METHOD_HEAD, METHOD_POST, METHOD_PUT, METHOD_DELETE,
	METHOD_PATCH, METHOD_OPTIONS, METHOD_OTHER, METHOD__MAX
};

struct kv {
	char	*key;
	char	*val;
};

struct request {
	enum http_method method;
	const char	*path;		/* decoded path, no query */
	const char	*query;		/* raw query string ("" if none) */
	struct kv	*params;	/* decoded query parameters, in order */
	size_t		 nparams;
	struct kv	*headers;	/* lower-case names, '-' kept */
	size_t		 nheaders;
	const char	*body;		/* NUL-terminated; may contain NULs */
	size_t		 body_len;
	const char	*request_id;	/* nginx's $request_id, or "-" */
	const char	*remote_addr;	/* the peer's address (REMOTE_ADDR), or NULL */
	struct arena	 arena;
};

struct response {
	int		 status;
	const char	*content_type;	/* static string */
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body;
};

/* Reads up to n bytes of a request body into buf; returns how many, 0 at
 * its end, or -1. */
typedef int (*http_reader)(void *arg, char *buf, int n);
/* Reads a request's body from read(arg, ...) until it ends: refused with
 * ERR_BAD_REQUEST when content_length (CONTENT_LENGTH, NULL or "" when
 * absent, as with a chunked request) is not a length, and ERR_TOO_LARGE
 * when it announces more than max or more than max arrives (reading stops
 * there). On ERR_OK, *body (NUL-terminated, NULs kept, in arena a) and
 * *len are set. */
enum err	 http_read_body(http_reader read, void *arg, const char *content_length,
		    size_t max, struct arena *a, const char **body, size_t *len);
/* Maps "GET" etc. to the enum; unknown names give METHOD_OTHER. */
enum http_method http_method_parse(const char *s);
/* Returns the name of a method ("GET"). */
const char	*http_method_name(enum http_method m);
/* Decodes a %-encoded string in place ('+' becomes ' ' when plus is set).
 * Returns -1 on a malformed escape or an encoded NUL, else 0. */
int		 http_url_decode(char *s, int plus);
/* Parses req->query into req->params. Returns 0, or -1 when there are
 * more than HTTP_MAX_QUERY_PARAMS parameters or an escape is malformed. */
int		 http_parse_query(struct request *req);
/* Parses "a=1&b=2" (%-decoded, '+' as space) into *out and *n, in the arena.
 * Returns 0, or -1 past HTTP_MAX_QUERY_PARAMS pairs or on a bad escape. */
int		 http_parse_pairs(struct arena *a, const char *text, struct kv **out,
		    size_t *n);
/* Returns the value of a header (name in lower case), or NULL. */
const char	*http_header(const struct request *req, const char *name);
/* Adds a header to the request (fcgi/ and tests use it). */
void		 http_add_header(struct request *req, const char *name, const char *val);
/* Returns the first value of a query parameter, or NULL. */
const char	*http_param(const struct request *req, const char *key);

/* Initialises an empty response (status 200, JSON). */
void	 resp_init(struct response *r);
/* Frees a response's buffers. */
void	 resp_free(struct response *r);
/* Adds "name: value" to the response headers; value must be header-safe. */
void	 resp_header(struct response *r, const char *name, const char *value);

#endif
