/*
 * SLA due times: a ticket's first response is due a number of hours after
 * it opens, by priority (PLATFORM_SLA_HOURS, default urgent=1, high=4,
 * medium=8, low=24). Calendar hours, or business hours when
 * PLATFORM_BUSINESS_HOURS is set ("mon-fri 09:00-18:00"), counted in the
 * platform's time zone (PLATFORM_TIMEZONE, default Europe/Paris).
 */
#ifndef SLA_H
#define SLA_H

#include <stdint.h>

struct sla {
	int	 hours[4];	/* low, medium, high, urgent */
	int	 business;	/* business hours apply */
	int	 days;		/* bit 0 Monday ... bit 6 Sunday */
	int	 open_min, close_min;	/* minutes after local midnight */
	char	 tz[64];
};

/* Reads the configuration; returns 0, or -1 (with a line on stderr) when
 * a value is malformed, in which case the defaults stay. */
int	 sla_from_env(struct sla *s);
/* Parses "mon-fri 09:00-18:00" (also "mon,wed,fri 08:30-12:00"). */
int	 sla_parse_hours(struct sla *s, const char *spec);
/* Returns the index of a priority (0 low .. 3 urgent), or -1. */
int	 sla_priority(const char *p);
/* The first-response due time of a ticket of priority opened at start. */
int64_t	 sla_due(const struct sla *s, int priority, int64_t start_ms);

#endif
