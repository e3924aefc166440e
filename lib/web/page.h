/*
 * Page helpers for server-rendered HTML routes: the page's language, the
 * shared header and footer, the catalogue's strings, expanding a template
 * into the response, and the redirect after a form.
 */
#ifndef PAGE_H
#define PAGE_H

#include "app.h"
#include "render.h"

#define PAGE_LANG_COOKIE	"mp_lang"

/* The language of the page asked for: ?lang=, else the one last chosen
 * (the PAGE_LANG_COOKIE cookie), else the signed-in user's (its
 * merchant's language), else the first language of Accept-Language the
 * catalogue has, else the reference (msg.h). Static storage. */
const char	*page_lang(const struct ctx *c);
/* Expands template tpl (from the configured template directory) with d
 * into the response body, in the page's language: every template sees
 * {{LANG}} and the catalogue's strings by key ({{PLANS_TITLE}}), and
 * {{>HEADER}} / {{>FOOTER}} are header.tpl and footer.tpl; the header
 * knows who is signed in (never on a ROUTE_CACHE page) and shows what the
 * last form did (c->flash_error, or the catalogue's ?flash=FLASH_ key);
 * {{QUERY_BUT_LANG}} is the address's query without lang= (for the
 * language switch); ?lang= is kept in a cookie. Takes ownership
 * of d. Returns ERR_OK, or ERR_INTERNAL when a template cannot be
 * expanded. Status and headers are the caller's. */
enum err	 page_expand(struct ctx *c, const char *tpl, struct render_dict *d);
/* page_expand, then answers it as an HTML page with this status, never
 * cached. */
enum err	 page_render(struct ctx *c, const char *tpl, struct render_dict *d,
		    int status);
/* The CSRF token of a form for a caller without a session (double
 * submit): the one of its cookie, or a new one set as a cookie for path (a
 * constant). Writes it to token (48 bytes). */
void		 page_form_token(struct ctx *c, const char *path, char token[48]);
/* Answers 303 See Other to the path to (a constant or a checked path). */
void		 page_redirect(struct ctx *c, const char *to);

#endif
