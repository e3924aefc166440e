#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "page.h"

/* Returns the catalogue's code for the language tag at s (n bytes: "fr",
 * "fr-FR", "EN"), or NULL when it has none. */
static const char *
known(const char *s, size_t n)
{
	char tag[8];
	size_t k = 0;
	while (k < n && k < sizeof(tag) - 1 && isalpha((unsigned char)s[k])) {
		tag[k] = (char)tolower((unsigned char)s[k]);
		k++;
	}
	tag[k] = '\0';
	if (k == 0 || (k < n && s[k] != '-' && s[k] != '_'))
		return NULL;
	const char *code = msg_lang(tag);
	return strcmp(code, tag) == 0 ? code : NULL;
}

const char *
page_lang(const struct ctx *c)
{
	const char *q = http_param(c->req, "lang"), *code;
	if (q && (code = known(q, strlen(q))) != NULL)
		return code;
	/* The language last chosen with the switch (page_expand keeps it). */
	const char *kept = auth_cookie(c, PAGE_LANG_COOKIE);
	if (kept && (code = known(kept, strlen(kept))) != NULL)
		return code;
	/* The signed-in user's own: its merchant's language. */
	if (c->caller.lang[0] && (code = known(c->caller.lang, strlen(c->caller.lang))) !=
	    NULL)
		return code;
	/* Accept-Language, in the order given (weights are rarely out of
	 * order, and a wrong guess costs one click on the footer). */
	for (const char *p = http_header(c->req, "accept-language"); p && *p; ) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",;");
		if ((code = known(p, n)) != NULL)
			return code;
		p += strcspn(p, ",");
	}
	return msg_lang(NULL);
}

static void
set_global(void *arg, const char *key, const char *text)
{
	render_set_global(arg, key, text);
}

enum err
page_expand(struct ctx *c, const char *tpl, struct render_dict *d)
{
	const char *lang = page_lang(c);
	render_set_global(d, "LANG", lang);
	msg_each(lang, set_global, d);
	struct render_dict *h = render_include(d, "HEADER", "header.tpl");
	/* A language chosen with the switch is kept for the next pages. */
	const char *chosen = http_param(c->req, "lang");
	if (chosen && strcmp(chosen, lang) == 0) {
		char cookie[96];
		snprintf(cookie, sizeof(cookie), PAGE_LANG_COOKIE "=%s; Path=/; Max-Age=31536000; "
		    "Secure; SameSite=Lax", lang);
		resp_header(c->resp, "Set-Cookie", cookie);
	}
	/* The switch's links: this address in the other language. */
	struct buf self = { 0 };
	for (const char *q = c->req->query; q && *q; ) {
		size_t n = strcspn(q, "&");
		if (n > 0 && strncmp(q, "lang=", 5) != 0 && strncmp(q, "flash=", 6) != 0) {
			buf_append(&self, q, n);
			buf_putc(&self, '&');
		}
		q += n;
		if (*q == '&')
			q++;
	}
	render_set_global(d, "QUERY_BUT_LANG", buf_str(&self));
	buf_free(&self);
	/* Who is signed in, for the header's links and its sign-out form;
	 * never in a page cached for everybody (ROUTE_CACHE). */
	if (c->caller.role != ROLE_ANON && c->caller.via == AUTH_SESSION &&
	    !(c->route && (c->route->flags & ROUTE_CACHE))) {
		struct render_dict *who = render_section(h, "SIGNED_IN");
		render_set(who, "EMAIL", c->caller.name);
		render_set(who, "CSRF", c->caller.csrf);
		render_show(who, c->caller.role == ROLE_MERCHANT ? "MERCHANT" : "STAFF");
	} else
		render_show(h, "SIGNED_OUT");
	/* What a form did: its error, or the message its success named. */
	const char *flash = http_param(c->req, "flash");
	if (c->flash_error)
		render_set(render_section(h, "NOTICE_ERROR"), "MESSAGE", c->flash_error);
	else if (flash && strncmp(flash, "FLASH_", 6) == 0 &&
	    strcmp(msg(lang, flash), flash) != 0)
		render_set(render_section(h, "NOTICE_OK"), "MESSAGE", msg(lang, flash));
	render_include(d, "FOOTER", "footer.tpl");
	buf_reset(&c->resp->body);
	int rc = render_expand(config()->template_dir, tpl, d, &c->resp->body);
	render_dict_free(d);
	return rc == 0 ? ERR_OK : ERR_INTERNAL;
}

enum err
page_render(struct ctx *c, const char *tpl, struct render_dict *d, int status)
{
	enum err rc = page_expand(c, tpl, d);
	if (rc != ERR_OK)
		return rc;
	c->resp->status = status;
	c->resp->content_type = "text/html; charset=utf-8";
	resp_header(c->resp, "Cache-Control", "no-store");
	return ERR_OK;
}

void
page_form_token(struct ctx *c, const char *path, char token[48])
{
	char cookie[200];
	const char *have = auth_cookie(c, AUTH_CSRF_COOKIE);
	if (have && strlen(have) == 43) {
		snprintf(token, 48, "%s", have);
		return;
	}
	auth_random_token(token);
	snprintf(cookie, sizeof(cookie), AUTH_CSRF_COOKIE "=%s; Path=%s; HttpOnly; Secure; "
	    "SameSite=Strict", token, path);
	resp_header(c->resp, "Set-Cookie", cookie);
}

void
page_redirect(struct ctx *c, const char *to)
{
	c->resp->status = 303;
	c->resp->content_type = NULL;
	buf_reset(&c->resp->body);
	resp_header(c->resp, "Location", to);
}
