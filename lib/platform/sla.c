#include <string.h>
#include <time.h>

#include "sla.h"

static const char *const priorities[4] = { "low", "medium", "high", "urgent" };

int
sla_priority(const char *p)
{
	for (int i = 0; p && i < 4; i++)
		if (strcmp(p, priorities[i]) == 0)
			return i;
	return -1;
}

/* The UTC instant of local midnight of the day of wall time local, plus
 * days and minutes, in zone z. */
static int64_t
local_midnight_plus(const struct tz *z, int64_t local, int days, int minutes)
{
	int64_t midnight = local - ((local % 86400) + 86400) % 86400;
	return tz_local_to_utc(z, midnight + (int64_t)days * 86400 + minutes * 60);
}

int64_t
sla_due(const struct config *cfg, int priority, int64_t start_ms)
{
	const struct config_hours *h = &cfg->business;
	if (priority < 0 || priority > 3)
		priority = 1;
	int64_t need = (int64_t)cfg->sla_hours[priority] * 3600;
	if (!h->set || h->days == 0 || cfg->tz == NULL)
		return start_ms + need * 1000;
	/* Count business seconds day by day in the platform's zone. */
	int64_t t = start_ms / 1000, due = 0;
	for (int guard = 0; guard < 800 && due == 0; guard++) {
		int64_t local = t + tz_offset(cfg->tz, t);
		time_t lt_s = (time_t)local;
		struct tm lt;
		gmtime_r(&lt_s, &lt);
		int dow = (lt.tm_wday + 6) % 7;	/* Monday 0 */
		int now_s = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec;
		if (!(h->days & (1 << dow)) || now_s >= h->close_min * 60) {
			t = local_midnight_plus(cfg->tz, local, 1, h->open_min);
			continue;
		}
		if (now_s < h->open_min * 60) {
			t = local_midnight_plus(cfg->tz, local, 0, h->open_min);
			continue;
		}
		int64_t avail = (int64_t)h->close_min * 60 - now_s;
		if (need <= avail)
			due = t + need;
		else {
			need -= avail;
			t = local_midnight_plus(cfg->tz, local, 1, h->open_min);
		}
	}
	return due ? due * 1000 : start_ms + need * 1000;
}
