#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tz.h"

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_MAX_FILE	(256 * 1024)
#define TZ_NAME_MAX	64

/* A POSIX TZ rule (the file's footer), for instants past the last
 * transition: "CET-1CEST,M3.5.0,M10.5.0/3". Only M rules: the others keep
 * the last transition's offset. */
struct tz_rule {
	int	 set;		/* a rule with summer time */
	int	 std_off, dst_off;	/* seconds east of UTC */
	int	 mon[2], week[2], wday[2], at[2];	/* start, end */
};

struct tz {
	char		 name[TZ_NAME_MAX];
	size_t		 n;		/* transitions */
	int64_t		*at;		/* their instants */
	int		*off;		/* the offset from each */
	int		 first_off;	/* before the first */
	struct tz_rule	 rule;
	int		 rule_off;	/* fixed offset of a rule without summer */
	int		 has_rule_off;
	struct tz	*next;
};

static struct tz *zones;

static int64_t
be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* Parses "[+-]hh[:mm[:ss]]" at *s into seconds; advances *s. */
static int
posix_time(const char **s, int *out)
{
	const char *p = *s;
	int sign = 1, h = 0, m = 0, sec = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return -1;
	h = (int)strtol(p, (char **)&p, 10);
	if (*p == ':') {
		m = (int)strtol(p + 1, (char **)&p, 10);
		if (*p == ':')
			sec = (int)strtol(p + 1, (char **)&p, 10);
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*s = p;
	return 0;
}

static int
posix_name(const char **s)
{
	const char *p = *s;
	if (*p == '<') {
		const char *e = strchr(p, '>');
		if (e == NULL)
			return -1;
		*s = e + 1;
		return 0;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (p - *s < 3)
		return -1;
	*s = p;
	return 0;
}

/* "Mm.w.d[/time]" */
static int
posix_date(const char **s, int *mon, int *week, int *wday, int *at)
{
	const char *p = *s;
	if (*p != 'M')
		return -1;
	*mon = (int)strtol(p + 1, (char **)&p, 10);
	if (*p != '.')
		return -1;
	*week = (int)strtol(p + 1, (char **)&p, 10);
	if (*p != '.')
		return -1;
	*wday = (int)strtol(p + 1, (char **)&p, 10);
	*at = 7200;
	if (*p == '/' && (p++, posix_time(&p, at) != 0))
		return -1;
	if (*mon < 1 || *mon > 12 || *week < 1 || *week > 5 || *wday < 0 || *wday > 6)
		return -1;
	*s = p;
	return 0;
}

static void
parse_footer(struct tz *z, const char *f)
{
	int std, dst;
	if (posix_name(&f) != 0 || posix_time(&f, &std) != 0)
		return;
	z->rule_off = -std;	/* POSIX counts west of UTC */
	z->has_rule_off = 1;
	if (*f == '\0')
		return;
	if (posix_name(&f) != 0)
		return;
	dst = std - 3600;
	if (*f != ',' && posix_time(&f, &dst) != 0)
		return;
	struct tz_rule r = { 1, -std, -dst, { 0 }, { 0 }, { 0 }, { 0 } };
	if (*f++ != ',' || posix_date(&f, &r.mon[0], &r.week[0], &r.wday[0], &r.at[0]) ||
	    *f++ != ',' || posix_date(&f, &r.mon[1], &r.week[1], &r.wday[1], &r.at[1]))
		return;
	z->rule = r;
	z->has_rule_off = 0;
}

/* Days since the epoch of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
year_of(int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t y = 1970 + days / 366;
	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	while (days_from_civil(y, 1, 1) > days)
		y--;
	return (int)y;
}

/* Local wall seconds of rule date i in year y. */
static int64_t
rule_local(const struct tz_rule *r, int i, int y)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int m = r->mon[i];
	int64_t first = days_from_civil(y, m, 1);
	int wd_first = (int)(((first % 7) + 7 + 4) % 7);	/* 1970-01-01 was a Thursday */
	int day = 1 + (r->wday[i] - wd_first + 7) % 7 + (r->week[i] - 1) * 7;
	int len = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
	while (day > len)
		day -= 7;
	return (first + day - 1) * 86400 + r->at[i];
}

static int
rule_offset(const struct tz_rule *r, int64_t t)
{
	int y = year_of(t);
	/* Start is in standard time's wall clock, end in summer time's. */
	int64_t start = rule_local(r, 0, y) - r->std_off;
	int64_t end = rule_local(r, 1, y) - r->dst_off;
	int in = start < end ? (t >= start && t < end) : (t >= start || t < end);
	return in ? r->dst_off : r->std_off;
}

static int
valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/' ||
	    strstr(name, "..") || strstr(name, "//"))
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' ||
		    *p == '/'))
			return 0;
	return name[0] != '-' && name[0] != '+';
}

/* Reads a TZif file (version 2 or later: 64-bit data and the footer). */
static struct tz *
parse(const char *name, const unsigned char *d, size_t len)
{
	if (len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
		return NULL;
	/* Skip the version 1 block. */
	int64_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = be(d + 20 + 4 * i, 4);
	size_t v1 = 44 + (size_t)(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
	if (v1 + 44 > len || memcmp(d + v1, "TZif", 4) != 0)
		return NULL;
	const unsigned char *h = d + v1;
	for (int i = 0; i < 6; i++) {
		c[i] = be(h + 20 + 4 * i, 4);
		if (c[i] < 0 || c[i] > 10000)
			return NULL;
	}
	int64_t isut = c[0], isstd = c[1], leap = c[2], tcnt = c[3], typ = c[4], chr = c[5];
	const unsigned char *p = h + 44;
	size_t need = (size_t)(tcnt * 9 + typ * 6 + chr + leap * 12 + isstd + isut);
	if (typ == 0 || (size_t)(p - d) + need > len)
		return NULL;
	struct tz *z = xcalloc(1, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->n = (size_t)tcnt;
	z->at = xcalloc(z->n ? z->n : 1, sizeof(*z->at));
	z->off = xcalloc(z->n ? z->n : 1, sizeof(*z->off));
	const unsigned char *idx = p + tcnt * 8, *types = idx + tcnt;
	for (size_t i = 0; i < z->n; i++) {
		z->at[i] = be(p + 8 * i, 8);
		int t = idx[i];
		if (t >= typ) {
			free(z->at);
			free(z->off);
			free(z);
			return NULL;
		}
		z->off[i] = (int)be(types + 6 * t, 4);
	}
	/* Before the first transition: the first standard-time type. */
	z->first_off = (int)be(types, 4);
	for (int t = 0; t < typ; t++)
		if (types[6 * t + 4] == 0) {
			z->first_off = (int)be(types + 6 * t, 4);
			break;
		}
	const char *foot = (const char *)(p + need);
	size_t left = len - (size_t)(p + need - d);
	if (left >= 2 && foot[0] == '\n') {
		char rule[128];
		const char *end = memchr(foot + 1, '\n', left - 1);
		size_t n = end ? (size_t)(end - foot - 1) : 0;
		if (n > 0 && n < sizeof(rule)) {
			memcpy(rule, foot + 1, n);
			rule[n] = '\0';
			parse_footer(z, rule);
		}
	}
	return z;
}

const struct tz *
tz_load(const char *name)
{
	if (name == NULL || !valid_name(name))
		return NULL;
	for (struct tz *z = zones; z; z = z->next)
		if (strcmp(z->name, name) == 0)
			return z;
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX + 1];
	snprintf(path, sizeof(path), TZ_DIR "/%s", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	unsigned char *d = xmalloc(TZ_MAX_FILE);
	size_t len = fread(d, 1, TZ_MAX_FILE, f);
	fclose(f);
	struct tz *z = parse(name, d, len);
	free(d);
	if (z == NULL)
		return NULL;
	z->next = zones;
	zones = z;
	return z;
}

int
tz_offset(const struct tz *z, int64_t t)
{
	if (z->n == 0 || t < z->at[0])
		return z->n == 0 && (z->rule.set || z->has_rule_off) ?
		    (z->rule.set ? rule_offset(&z->rule, t) : z->rule_off) : z->first_off;
	if (t >= z->at[z->n - 1] && z->rule.set)
		return rule_offset(&z->rule, t);
	size_t lo = 0, hi = z->n;	/* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

int64_t
tz_local_to_utc(const struct tz *z, int64_t local)
{
	/* The offset in force just before: a skipped wall time moves forward,
	 * a repeated one takes its first occurrence. */
	int64_t u = local - tz_offset(z, local - 86400);
	int off = tz_offset(z, u);
	if (tz_offset(z, local - off) == off)
		return local - off;
	return u;
}
