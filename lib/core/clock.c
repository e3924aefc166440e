#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static int64_t offset_ms;

int64_t
clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset_ms;
}

void
clock_set_offset_ms(int64_t ms)
{
	offset_ms = ms;
}

void
clock_format_ms(int64_t ms, char out[25])
{
	time_t s = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		s -= 1;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	memcpy(out, tmp, 24);
	out[24] = '\0';
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
clock_parse_ms(const char *s, int64_t *ms)
{
	struct tm tm;
	int frac = 0, n = 0;
	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	const char *p = s + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (*p != 'Z' || p[1] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 0;
}

static int
month_days(int year, int mon)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return d[mon] + (mon == 1 && leap);
}

int64_t
clock_add_months(int64_t ms, int n)
{
	time_t t = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	int total = tm.tm_mon + n;
	tm.tm_year += total >= 0 ? total / 12 : (total - 11) / 12;
	tm.tm_mon = ((total % 12) + 12) % 12;
	int last = month_days(tm.tm_year + 1900, tm.tm_mon);
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	return (int64_t)timegm(&tm) * 1000 + frac;
}

int
clock_year(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}
