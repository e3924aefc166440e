/*
 * SLA due times: a ticket's first response is due a number of hours after
 * it opens, by priority (PLATFORM_SLA_HOURS, default urgent=1, high=4,
 * medium=8, low=24). Calendar hours, or business hours when
 * PLATFORM_BUSINESS_HOURS is set ("mon-fri 09:00-18:00"), counted in the
 * platform's time zone (PLATFORM_TIMEZONE, default Europe/Paris), read
 * from the tz database: nothing touches the process's TZ.
 */
#ifndef SLA_H
#define SLA_H

#include <stdint.h>

#include "config.h"

/* Returns the index of a priority (0 low .. 3 urgent), or -1. */
int	 sla_priority(const char *p);
/* The first-response due time (ms) of a ticket of priority opened at
 * start_ms, under the SLA of cfg (config()). */
int64_t	 sla_due(const struct config *cfg, int priority, int64_t start_ms);

#endif
