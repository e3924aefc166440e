#include <string.h>
#include <strings.h>

#include <stdlib.h>

#include "crypto.h"
#include "http.h"
#include "mem.h"
#include "valid.h"

static const char *const method_names[METHOD__MAX] = {
	[METHOD_GET] = "GET", [METHOD_HEAD] = "HEAD", [METHOD_POST] = "POST",
	[METHOD_PUT] = "PUT", [METHOD_DELETE] = "DELETE",
	[METHOD_PATCH] = "PATCH", [METHOD_OPTIONS] = "OPTIONS",
	[METHOD_OTHER] = "OTHER",
};

enum http_method
http_method_parse(const char *s)
{
	for (int m = 0; m < METHOD_OTHER; m++)
		if (s && strcmp(s, method_names[m]) == 0)
			return (enum http_method)m;
	return METHOD_OTHER;
}

const char *
http_method_name(enum http_method m)
{
	return (unsigned)m < METHOD__MAX ? method_names[m] : "OTHER";
}

int
http_url_decode(char *s, int plus)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '%') {
			int hi = crypto_hexval(r[1]);
			int lo = hi < 0 ? -1 : crypto_hexval(r[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else if (*r == '+' && plus)
			*w++ = ' ';
		else
			*w++ = *r;
	}
	*w = '\0';
	return 0;
}

int
http_parse_pairs(struct arena *a, const char *q, struct kv **out, size_t *np)
{
	size_t n = 1;
	*out = NULL;
	*np = 0;
	if (strlen(q) > HTTP_MAX_QUERY_LEN)
		return -1;
	for (const char *p = q; *p; p++)
		if (*p == '&')
			n++;
	if (n > HTTP_MAX_QUERY_PARAMS)
		return -1;
	struct kv *kv = arena_alloc(a, n * sizeof(struct kv));
	char *copy = arena_strdup(a, q);
	char *save = NULL;
	*out = kv;
	for (char *tok = strtok_r(copy, "&", &save); tok;
	    tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');
		char *val = tok + strlen(tok);	/* "" inside the copy */
		if (eq) {
			*eq = '\0';
			val = eq + 1;
		}
		if (*tok == '\0')
			continue;
		if (http_url_decode(tok, 1) != 0 || http_url_decode(val, 1) != 0)
			return -1;
		kv[*np].key = tok;
		kv[*np].val = val;
		(*np)++;
	}
	return 0;
}

int
http_parse_query(struct request *req)
{
	return http_parse_pairs(&req->arena, req->query ? req->query : "",
	    &req->params, &req->nparams);
}

const char *
http_header(const struct request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].key, name) == 0)
			return req->headers[i].val;
	return NULL;
}

void
http_add_header(struct request *req, const char *name, const char *val)
{
	if (req->nheaders >= HTTP_MAX_HEADERS)
		return;
	if (req->headers == NULL)
		req->headers = arena_alloc(&req->arena,
		    HTTP_MAX_HEADERS * sizeof(struct kv));
	req->headers[req->nheaders].key = arena_strdup(&req->arena, name);
	req->headers[req->nheaders].val = arena_strdup(&req->arena, val);
	req->nheaders++;
}

const char *
http_param(const struct request *req, const char *key)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].val;
	return NULL;
}

void
resp_init(struct response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	r->content_type = "application/json; charset=utf-8";
}

void
resp_free(struct response *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

void
resp_header(struct response *r, const char *name, const char *value)
{
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

enum err
http_read_body(http_reader read, void *arg, const char *content_length, size_t max,
    struct arena *a, const char **body, size_t *len)
{
	int64_t announced = 0;
	*body = NULL;
	*len = 0;
	/* Refused at once when announced too large, else read to the end (a
	 * chunked request has no length) up to the limit. */
	if (content_length && *content_length &&
	    valid_int(content_length, 0, INT64_MAX, &announced) != 0)
		return ERR_BAD_REQUEST;
	if ((uint64_t)announced > max)
		return ERR_TOO_LARGE;
	size_t cap = announced > 0 ? (size_t)announced + 1 : 4096, got = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (got + 1 >= cap) {
			if (cap > max + 1) {
				free(buf);
				return ERR_TOO_LARGE;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		size_t room = cap - 1 - got;
		int n = read(arg, buf + got, room > INT32_MAX ? INT32_MAX : (int)room);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		return ERR_TOO_LARGE;
	}
	*body = arena_strndup(a, buf, got);
	*len = got;
	free(buf);
	return ERR_OK;
}
