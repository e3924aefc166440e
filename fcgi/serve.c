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

/* One request taken by the loop: its value, its answer, when it came. */
struct slot {
	struct request	 req;
	struct response	 resp;
	int64_t		 t0;
	int		 ready;		/* read whole: the core may answer */
};

/* Turns a FastCGI request into the core's request value, body included;
 * an unreadable body is answered here. */
static void
prepare(FCGX_Request *fr, struct slot *s)
{
	struct request *req = &s->req;
	const char *v;

	memset(s, 0, sizeof(*s));
	s->t0 = clock_mono_us();
	resp_init(&s->resp);
	req->method = http_method_parse(FCGX_GetParam("REQUEST_METHOD", fr->envp));
	v = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	if (v == NULL)
		v = FCGX_GetParam("SCRIPT_NAME", fr->envp);
	req->path = arena_strdup(&req->arena, v ? v : "/");
	v = FCGX_GetParam("QUERY_STRING", fr->envp);
	req->query = arena_strdup(&req->arena, v ? v : "");
	v = FCGX_GetParam("REQUEST_ID", fr->envp);
	req->request_id = arena_strdup(&req->arena, v && *v ? v : "-");
	v = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	req->remote_addr = v ? arena_strdup(&req->arena, v) : NULL;
	add_headers(req, fr->envp);

	/* The body, up to the limit (lib/core/http.c). */
	enum err e = http_read_body(fcgi_read, fr->in, FCGX_GetParam("CONTENT_LENGTH",
	    fr->envp), config()->max_body, &req->arena, &req->body, &req->body_len);
	if (e != ERR_OK)
		early_error(&s->resp, e);
	else
		s->ready = 1;
}

/* Whether the requests this worker took last included writes that share
 * their commit: it then takes its turn before it takes requests. */
static int writing;

/*
 * Answers the connection taken (n = 1) and, when it is a write that may
 * share its commit (app_groupable), those waiting beside it. Writers take
 * turns (app_group_queue), and take the waiting connections once their
 * turn comes, so that requests are served in the order they came. A
 * worker whose last requests were such writes is asked first with n = 0:
 * it waits for its turn, then takes what waits, or gives the turn back
 * and returns 0 when nothing does. The writes share one commit
 * (app_handle_group), the others are answered one by one after; every
 * answer is written once all are known.
 */
static int
handle(FCGX_Request **frs, int n, void *arg)
{
	struct app *app = arg;
	struct slot slots[FCGI_BATCH_MAX];
	struct request *greq[FCGI_BATCH_MAX];
	struct response *gresp[FCGI_BATCH_MAX];
	int grouped[FCGI_BATCH_MAX] = { 0 };
	size_t ng = 0;
	int queued = 0, first = 0;

	if (n == 0) {
		if (!writing)
			return 0;
		app_group_queue(app);
		queued = 1;
	} else {
		prepare(frs[0], &slots[0]);
		first = 1;
		if (slots[0].ready && app_groupable(app, &slots[0].req)) {
			app_group_queue(app);
			queued = 1;
		}
	}
	if (queued) {
		n = fcgi_take_waiting(frs, n);
		if (n == 0) {
			app_group_leave(app);
			writing = 0;
			return 0;
		}
		for (int i = first; i < n; i++)
			prepare(frs[i], &slots[i]);
		for (int i = 0; i < n; i++)
			if (slots[i].ready && app_groupable(app, &slots[i].req)) {
				greq[ng] = &slots[i].req;
				gresp[ng++] = &slots[i].resp;
				grouped[i] = 1;
			}
		if (ng > 0 && app_group_begin(app) == ERR_OK)
			app_handle_group(app, greq, gresp, ng);
		else {
			if (ng == 0)
				app_group_leave(app);
			memset(grouped, 0, sizeof(grouped));
		}
	}
	writing = ng > 0;
	for (int i = 0; i < n; i++)
		if (slots[i].ready && !grouped[i])
			app_handle(app, &slots[i].req, &slots[i].resp);
	for (int i = 0; i < n; i++) {
		write_response(frs[i], &slots[i].req, &slots[i].resp);
		log_line(&slots[i].req, slots[i].resp.status, clock_mono_us() - slots[i].t0);
		resp_free(&slots[i].resp);
		arena_free(&slots[i].req.arena);
	}
	/* The answers are written: a checkpoint due keeps no one waiting. */
	db_checkpoint_if_due(app_db(app));
	return n;
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
	db_checkpoint_later(app_db(app));
	const struct fcgi_handler h = { handle, app };
	int rc = fcgi_serve(&h);
	app_close(app);
	return rc;
}
