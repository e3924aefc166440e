/*
 * Page helpers for server-rendered HTML routes: expanding a template into
 * the response, and the redirect after a form.
 */
#ifndef PAGE_H
#define PAGE_H

#include "app.h"
#include "render.h"

/* Expands template tpl (from the configured template directory) with d
 * into the response as an HTML page with this status, never cached. Takes
 * ownership of d. Returns ERR_OK, or ERR_INTERNAL when the template cannot
 * be expanded. */
enum err	 page_render(struct ctx *c, const char *tpl, struct render_dict *d,
		    int status);
/* Answers 303 See Other to the path to (a constant or a checked path). */
void		 page_redirect(struct ctx *c, const char *to);

#endif
