/*
 * The C API over ctemplate (render.cc, the one C++ file). Templates must
 * start with {{%AUTOESCAPE context="HTML"}} (or another context): the shim
 * refuses any that does not, so every variable is escaped.
 */
#ifndef RENDER_H
#define RENDER_H

#include "mem.h"

struct render_dict;

/* A new top-level dictionary; free with render_dict_free(). */
struct render_dict *render_dict_new(void);
void	 render_dict_free(struct render_dict *d);
/* Sets a variable (the value is copied). */
void	 render_set(struct render_dict *d, const char *key, const char *value);
void	 render_set_int(struct render_dict *d, const char *key, long value);
/* Sets a variable every template of the expansion sees, included ones too
 * (the value is copied). */
void	 render_set_global(struct render_dict *d, const char *key, const char *value);
/* Includes template file (a name under the expansion's directory, with
 * its own AUTOESCAPE pragma) where {{>name}} stands; returns its own
 * dictionary (owned by the parent), which sees the parent's variables. */
struct render_dict *render_include(struct render_dict *d, const char *name,
	    const char *file);
/* Adds one repetition of a section and returns its dictionary (owned by
 * the parent). */
struct render_dict *render_section(struct render_dict *d, const char *name);
/* Shows a section once, with the parent's variables. */
void	 render_show(struct render_dict *d, const char *name);
/* Expands template name (a file under dir) into out. Returns 0, or -1 when
 * the template is missing, broken or lacks the AUTOESCAPE pragma. */
int	 render_expand(const char *dir, const char *name, struct render_dict *d,
	    struct buf *out);

#endif
