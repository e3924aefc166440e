/*
 * Time zones from the tz database (/usr/share/zoneinfo), read once per zone
 * and kept for the process: UTC offsets at any instant and the instant of
 * a local wall time, without touching the process's TZ or its C library
 * time zone state (so they are safe in any thread, any time).
 */
#ifndef TZ_H
#define TZ_H

#include <stdint.h>

struct tz;

/* The zone named name ("Europe/Paris", "UTC"), read from the tz database
 * on first use. Returns NULL when the name is malformed (only A-Z a-z 0-9
 * _ + - and / between parts, no "..") or the zone is unknown. The zone
 * belongs to the process: never freed, shared by every caller. */
const struct tz	*tz_load(const char *name);
/* The zone's offset from UTC in seconds at UTC instant t (seconds). */
int		 tz_offset(const struct tz *z, int64_t t);
/* The UTC instant (seconds) of local wall time local (seconds since the
 * epoch as if the wall clock were UTC). A wall time skipped by a change
 * to summer time is taken on the offset before the change (02:30 becomes
 * 03:30); a repeated one, at its first occurrence. */
int64_t		 tz_local_to_utc(const struct tz *z, int64_t local);

#endif
