#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sla.h"
#include "valid.h"

static const char *const priorities[4] = { "low", "medium", "high", "urgent" };
static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat",
    "sun" };

int
sla_priority(const char *p)
{
	for (int i = 0; p && i < 4; i++)
		if (strcmp(p, priorities[i]) == 0)
			return i;
	return -1;
}

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

int
sla_parse_hours(struct sla *s, const char *spec)
{
	char days[64];
	int h1, m1, h2, m2, mask = 0;
	if (sscanf(spec, "%63s %d:%d-%d:%d", days, &h1, &m1, &h2, &m2) != 5 ||
	    h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 ||
	    m2 < 0 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2)
		return -1;
	char *save = NULL;
	for (char *t = strtok_r(days, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(t, '-');
		int a = day_index(t, dash ? (size_t)(dash - t) : strlen(t));
		int b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
		if (a < 0 || b < 0 || b < a)
			return -1;
		for (int d = a; d <= b; d++)
			mask |= 1 << d;
	}
	s->business = 1;
	s->days = mask;
	s->open_min = h1 * 60 + m1;
	s->close_min = h2 * 60 + m2;
	return 0;
}

int
sla_from_env(struct sla *s)
{
	static const int defaults[4] = { 24, 8, 4, 1 };
	const char *v;
	int rc = 0;
	memset(s, 0, sizeof(*s));
	memcpy(s->hours, defaults, sizeof(defaults));
	snprintf(s->tz, sizeof(s->tz), "%s", (v = getenv("PLATFORM_TIMEZONE")) && *v ?
	    v : "Europe/Paris");
	if ((v = getenv("PLATFORM_SLA_HOURS")) && *v) {
		char copy[256], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", v);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');
			int64_t h;
			if (eq == NULL) {
				rc = -1;
				continue;
			}
			*eq = '\0';
			int p = sla_priority(t);
			if (p < 0 || valid_int(eq + 1, 1, 24 * 365, &h) != 0)
				rc = -1;
			else
				s->hours[p] = (int)h;
		}
	}
	if ((v = getenv("PLATFORM_BUSINESS_HOURS")) && *v && sla_parse_hours(s, v) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "sla: PLATFORM_SLA_HOURS or PLATFORM_BUSINESS_HOURS is "
		    "malformed: defaults kept\n");
	return rc;
}

/* Local time of t in the SLA's zone (TZ is set by the caller). */
static time_t
local_midnight_plus(const struct tm *lt, int days, int minutes)
{
	struct tm x = *lt;
	x.tm_mday += days;
	x.tm_hour = minutes / 60;
	x.tm_min = minutes % 60;
	x.tm_sec = 0;
	x.tm_isdst = -1;
	return mktime(&x);
}

int64_t
sla_due(const struct sla *s, int priority, int64_t start_ms)
{
	if (priority < 0 || priority > 3)
		priority = 1;
	int64_t need = (int64_t)s->hours[priority] * 3600;
	if (!s->business || s->days == 0)
		return start_ms + need * 1000;
	/* Count business seconds day by day in the platform's zone. */
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", s->tz, 1);
	tzset();
	time_t t = (time_t)(start_ms / 1000);
	int64_t due = 0;
	for (int guard = 0; guard < 800 && due == 0; guard++) {
		struct tm lt;
		localtime_r(&t, &lt);
		int dow = (lt.tm_wday + 6) % 7;	/* Monday 0 */
		int now_s = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec;
		if (!(s->days & (1 << dow)) || now_s >= s->close_min * 60) {
			t = local_midnight_plus(&lt, 1, s->open_min);
			continue;
		}
		if (now_s < s->open_min * 60) {
			t = local_midnight_plus(&lt, 0, s->open_min);
			continue;
		}
		int64_t avail = (int64_t)s->close_min * 60 - now_s;
		if (need <= avail)
			due = (int64_t)t + need;
		else {
			need -= avail;
			t = local_midnight_plus(&lt, 1, s->open_min);
		}
	}
	if (old) {
		setenv("TZ", old, 1);
		free(old);
	} else
		unsetenv("TZ");
	tzset();
	return due ? due * 1000 : start_ms + need * 1000;
}
