#include "page.h"

enum err
page_render(struct ctx *c, const char *tpl, struct render_dict *d, int status)
{
	buf_reset(&c->resp->body);
	int rc = render_expand(config()->template_dir, tpl, d,
	    &c->resp->body);
	render_dict_free(d);
	if (rc != 0)
		return ERR_INTERNAL;
	c->resp->status = status;
	c->resp->content_type = "text/html; charset=utf-8";
	resp_header(c->resp, "Cache-Control", "no-store");
	return ERR_OK;
}

void
page_redirect(struct ctx *c, const char *to)
{
	c->resp->status = 303;
	c->resp->content_type = NULL;
	buf_reset(&c->resp->body);
	resp_header(c->resp, "Location", to);
}
