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
	render_include(d, "HEADER", "header.tpl");
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
