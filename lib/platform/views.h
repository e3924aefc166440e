/*
 * The dashboards' tables (views.c): one table per content type, each
 * described as columns of SQL expressions, so sorting, filtering,
 * searching and paging take only the names the table lists, and values
 * only ever become bound parameters. The pages render what they answer.
 */
#ifndef VIEWS_H
#define VIEWS_H

#include <stdint.h>

#include "app.h"
#include "render.h"

#define VIEW_PAGE_SIZE	25
#define VIEW_COUNT_MAX	1000	/* rows counted; past it, "1,000+" */

/* How a cell is shown. */
enum cell {
	CELL_TEXT,	/* as it is */
	CELL_DATE,	/* an ISO time, as the language writes dates */
	CELL_MONEY,	/* "<cents> <currency>", as the language writes money */
	CELL_STATE,	/* a state, in the catalogue's words (STATE_<VALUE>) */
	CELL_NUMBER,	/* an integer */
	CELL_MS,	/* milliseconds */
	CELL_PERCENT,	/* a whole percentage */
};

struct view_col {
	const char	*key;		/* its name in ?sort= */
	const char	*label;		/* the catalogue's key of its heading */
	const char	*sql;		/* its SQL expression (static) */
	enum cell	 kind;
};

struct view {
	const char	*name;		/* ?view= */
	const char	*title;		/* the catalogue's key of its name */
	unsigned	 roles;		/* who may see it */
	const char	*from;		/* FROM clause (static) */
	/* The FROM clause rows are counted in when there is no search: the
	 * table alone, its joins adding nothing to count (NULL: from). */
	const char	*count_from;
	const char	*id_sql;	/* the row's record id */
	const struct view_col *cols;
	size_t		 ncols;
	/* A search: a condition with one '?' (static), bound to
	 * search_arg(q); NULL for none. */
	const char	*search;
	const char	*(*search_arg)(struct arena *a, const char *q);
	/* The filter: filter_sql = ?, bound to one of the values of the
	 * enumeration field filter_field of content type filter_of. */
	const char	*filter_sql;
	const struct entity *filter_of;
	const char	*filter_field;
	/* One merchant's rows: this expression = the merchant. */
	const char	*scope_sql;
	const char	*order;		/* the default ORDER BY (static) */
	const char	*action;	/* a section shown in each row, or NULL */
};

/* Renders view v for the request into a TABLE section of d, which shows
 * table.tpl where {{>PART_TABLE}} stands: the search form (q, the filter
 * status, kept), the table's headings with sort links (sort=<key>,
 * dir=asc|desc), the number of rows (up to VIEW_COUNT_MAX, then
 * "1,000+"), a page of VIEW_PAGE_SIZE rows (page=) with each row's
 * ID and v->action section, and the pages' links. base is the page's path
 * with ?view=<name>. Only merchant's rows when merchant > 0, and always
 * only its own for a merchant caller. Returns ERR_OK, ERR_VALIDATION
 * (c->ve names the bad parameter), ERR_NOT_FOUND (a view without a
 * merchant's scope) or ERR_DB. */
enum err	 view_render(struct ctx *c, const struct view *v, const char *base,
		    int64_t merchant, struct render_dict *d);
/* The text of a LIKE search for q: "%q%" with LIKE's wildcards escaped by
 * '\' (in a's memory). */
const char	*view_like(struct arena *a, const char *q);
/* Checks a page's ?id= (NULL: none): a record's id or documentId, digits
 * and lower-case letters. Returns 0, or -1 with the error in c->ve. */
int		 view_record_id(struct ctx *c, const char *id);
/* Adds a section of d for each of values (NULL-terminated), as a select's
 * option: VALUE, LABEL (the state's words) and SELECTED for selected. */
void		 view_options(const char *lang, struct render_dict *d, const char *section,
		    const char *const *values, const char *selected);
/* Writes the whole number n as lang writes it ("10,009", "10 009") into
 * out (size bytes). */
void		 view_count(const char *lang, int64_t n, char *out, size_t size);
/* Writes a cell of kind k with raw value v (may be NULL) as lang shows
 * it into out (n bytes). */
void		 view_cell(const char *lang, enum cell k, const char *v, char *out,
		    size_t n);

/* A bar chart of n groups of up to 2 series: labels[i] under group i,
 * values[s * n + i] its bars, shown as cells of kind (CELL_MONEY: cents of
 * euros, CELL_NUMBER, CELL_MS), series[s] the catalogue's key of each
 * series (the legend), title the catalogue's key of its title. Adds a
 * CHART section to d, which shows chart.tpl where {{>PART_CHART}} stands:
 * an SVG the template draws from the bars' numbers. */
void		 view_chart(const char *lang, struct render_dict *d, const char *id,
		    const char *title, const char *const *labels, const double *values,
		    size_t n, const char *const *series, size_t ns, enum cell kind);

/* How a chart writes a point's label (raw: its JSON text) into out. */
typedef void	(*view_label_fn)(const char *lang, const char *raw, char *out, size_t n);
/* view_chart of one series (series: its catalogue key) over the JSON
 * array points: each point's label is its member label_member as label
 * writes it, its value its member value_member. */
void		 view_chart_points(const char *lang, struct render_dict *d, const char *id,
		    const char *title, const char *series, const cJSON *points,
		    const char *label_member, view_label_fn label, const char *value_member,
		    enum cell kind);

#endif
