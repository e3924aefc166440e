/*
 * A program's FastCGI worker: turns each FastCGI request into the core's
 * request value, lets the program answer (the dispatcher over its route
 * table), writes the answer back and logs one line (request id, method,
 * path, status, microseconds). Started by platform-pool with the
 * listening socket as fd 0.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "http.h"
#include "json.h"
#include "loop.h"
#include "mem.h"
#include "serve.h"
#include "valid.h"

static void
add_headers(struct request *r, FCGX_ParamArray envp)
{
	char name[128];
	for (char **e = envp; *e; e++) {
		const char *p = *e;
		const char *eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		size_t n = (size_t)(eq - p);
		const char *src = NULL;
		if (strncmp(p, "HTTP_", 5) == 0 && n > 5) {
			src = p + 5;
			n -= 5;
		} else if (strncmp(p, "CONTENT_TYPE=", 13) == 0)
			src = p;
		if (src == NULL || n >= sizeof(name))
			continue;
		for (size_t i = 0; i < n; i++)
			name[i] = src[i] == '_' ? '-' : (char)tolower((unsigned char)src[i]);
		name[n] = '\0';
		http_add_header(r, name, eq + 1);
	}
}

static void
write_response(FCGX_Request *fr, const struct request *req,
    const struct response *resp)
{
	struct buf h = { 0 };
	buf_printf(&h, "Status: %d %s\r\n", resp->status, http_reason(resp->status));
	if (resp->content_type)
		buf_printf(&h, "Content-Type: %s\r\n", resp->content_type);
	if (resp->headers.len)
		buf_append(&h, resp->headers.data, resp->headers.len);
	if (resp->status != 204 && resp->status != 304)
		buf_printf(&h, "Content-Length: %zu\r\n", resp->body.len);
	buf_puts(&h, "\r\n");
	FCGX_PutStr(h.data, (int)h.len, fr->out);
	if (req->method != METHOD_HEAD && resp->body.len && resp->status != 204)
		FCGX_PutStr(resp->body.data, (int)resp->body.len, fr->out);
	buf_free(&h);
}

static void
log_line(const struct request *req, int status, int64_t us)
{
	char ts[25], line[1024];
	clock_format_ms(clock_now_ms(), ts);
	int n = snprintf(line, sizeof(line), "%s %s %s %.600s %d %lld\n", ts,
	    req->request_id, http_method_name(req->method), req->path, status,
	    (long long)us);
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write: lines from concurrent workers never interleave. */
	ssize_t w = write(2, line, (size_t)n);
	(void)w;
}

/* A JSON error answered before the core sees the request (body limits),
 * in the core's envelope. */
static void
early_error(struct response *resp, enum err e)
{
	json_send_error(resp, e, NULL, NULL);
}

/* http_reader over a FastCGI input stream. */
static int
fcgi_read(void *arg, char *buf, int n)
{
	return FCGX_GetStr(buf, n, arg);
}

static void
handle(FCGX_Request *fr, void *arg)
{
	struct app *app = arg;
	struct request req;
	struct response resp;
	int64_t t0 = clock_mono_us();
	const char *v;

	memset(&req, 0, sizeof(req));
	resp_init(&resp);
	req.method = http_method_parse(FCGX_GetParam("REQUEST_METHOD", fr->envp));
	v = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	if (v == NULL)
		v = FCGX_GetParam("SCRIPT_NAME", fr->envp);
	req.path = arena_strdup(&req.arena, v ? v : "/");
	v = FCGX_GetParam("QUERY_STRING", fr->envp);
	req.query = arena_strdup(&req.arena, v ? v : "");
	v = FCGX_GetParam("REQUEST_ID", fr->envp);
	req.request_id = arena_strdup(&req.arena, v && *v ? v : "-");
	v = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	req.remote_addr = v ? arena_strdup(&req.arena, v) : NULL;
	add_headers(&req, fr->envp);

	/* The body, up to the limit (lib/core/http.c). */
	enum err e = http_read_body(fcgi_read, fr->in, FCGX_GetParam("CONTENT_LENGTH",
	    fr->envp), config()->max_body, &req.arena, &req.body, &req.body_len);
	if (e != ERR_OK) {
		early_error(&resp, e);
		goto send;
	}
	app_handle(app, &req, &resp);
send:
	write_response(fr, &req, &resp);
	log_line(&req, resp.status, clock_mono_us() - t0);
	resp_free(&resp);
	arena_free(&req.arena);
}

int
serve_main(const char *name, const struct app_def *def)
{
	struct app *app = NULL;
	char why[300];
	if (config_load(why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: configuration: %s\n", name, why);
		return 1;
	}
	if (app_open(def, &app) != ERR_OK) {
		fprintf(stderr, "%s: cannot open %s\n", name, config()->db_path);
		return 1;
	}
	int rc = fcgi_serve(handle, app);
	app_close(app);
	return rc;
}
