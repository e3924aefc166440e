/*
 * Forms that act through the API's routes (act.c): one form route, POST
 * /marketplace/act, runs the API route the form names with the form's
 * fields as its body, under that route's own rules.
 */
#ifndef ACT_H
#define ACT_H

#include "app.h"

/* POST /marketplace/act (a form with its CSRF token): _route "METHOD
 * /api/pattern" (a route of the table that changes something), _id its
 * :id, _back the page to go back to (a path of /marketplace/), _ok a
 * FLASH_ key of the catalogue said on success; every other field is a
 * member of the body's data, typed by the route's content type (or by a
 * ":bool", ":int" or ":json" suffix of its name). Success answers 303 to
 * _back with flash=_ok; an error shows _back again with the error in it
 * (c->flash_error) and the error's status. */
enum err	 h_form_act(struct ctx *c);
/* Returns 1 when back may be where a form goes back to: a path under
 * /marketplace/ with a query of plain characters, never another site. */
int		 act_back_valid(const char *back);

#endif
