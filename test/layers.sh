#!/bin/sh
# Checks the direction of includes between the layers of lib/ (see
# lib/README.md): core includes only core; web, core and web; platform and
# shop, core, web and themselves (never each other); nothing in lib/
# includes FastCGI; nothing in lib/ but the configuration table
# (core/config.c) reads the environment, and nothing changes it (no TZ
# rewriting). Prints every line that breaks a rule, naming the file and the
# rule, and exits 1; exits 0 when all hold.
#   sh test/layers.sh [LIBDIR]     (default lib; `make lint` runs it)
set -u
lib=${1:-lib}
[ -d "$lib/core" ] || { echo "layers: $lib/core: no such directory" >&2; exit 2; }

allowed() { # layer -> the layers it may include
	case $1 in
	core) echo "core" ;;
	web) echo "core web" ;;
	platform) echo "core web platform" ;;
	shop) echo "core web shop" ;;
	*) echo "" ;;
	esac
}

bad=0
for dir in "$lib"/*/; do
	layer=$(basename "$dir")
	may=$(allowed "$layer")
	if [ -z "$may" ]; then
		echo "layers: $lib/$layer/ is not a known layer (core, web, platform, shop)"
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.cc "$dir"*.h; do
		[ -f "$f" ] || continue
		# "name" includes: which layer holds the header?
		for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
			case $h in
			*/*) echo "layers: $f includes \"$h\": include headers by name, never by path"
			     bad=1; continue ;;
			esac
			owner=""
			for l in core web platform shop; do
				if [ -f "$lib/$l/$h" ]; then owner=$l; break; fi
			done
			[ -n "$owner" ] || continue	# generated or system headers
			case " $may " in
			*" $owner "*) ;;
			*) echo "layers: $f includes $h of lib/$owner: $layer may include only $may"
			   bad=1 ;;
			esac
		done
		if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]fcgi' "$f"; then
			echo "layers: $f includes FastCGI: lib/ knows nothing of it (fcgi/ does)"
			bad=1
		fi
		if [ "$f" != "$lib/core/config.c" ] &&
		    grep -q '\(^\|[^a-z_]\)\(secure_\)\{0,1\}getenv[[:space:]]*(' "$f"; then
			echo "layers: $f reads the environment: only the table of core/config.c does"
			bad=1
		fi
		if grep -q '\(^\|[^a-z_]\)\(setenv\|unsetenv\|putenv\|tzset\)[[:space:]]*(' "$f"; then
			echo "layers: $f changes the environment or the C library's zone: use core/tz.h"
			bad=1
		fi
	done
done
exit $bad
