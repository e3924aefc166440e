/*
 * The one clock of the platform. Every "now" in the core comes from here,
 * so tests can move time (clock_set_offset) and run months in seconds.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the epoch, UTC, including the test offset. */
int64_t	 clock_now_ms(void);
/* Shifts the clock by ms milliseconds (tests and demo data only). */
void	 clock_set_offset_ms(int64_t ms);
/* Writes ms as ISO 8601 UTC with milliseconds ("2026-11-25T16:47:42.559Z")
 * into out, which holds at least 25 bytes. */
void	 clock_format_ms(int64_t ms, char out[25]);
/* Parses "YYYY-MM-DDTHH:MM:SS(.mmm)Z" into *ms; returns 0 or -1. */
int	 clock_parse_ms(const char *iso, int64_t *ms);
/* Adds n calendar months (UTC), keeping the time of day and clamping the
 * day to the month's last (Jan 31 + 1 month = Feb 28 or 29). */
int64_t	 clock_add_months(int64_t ms, int n);
/* The UTC year of ms. */
int	 clock_year(int64_t ms);

#define CLOCK_DAY_MS	(24LL * 3600 * 1000)

/* Monotonic microseconds, for measuring durations. */
int64_t	 clock_mono_us(void);

#endif
