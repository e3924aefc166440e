#!/bin/sh
# Turns standard input into a C file defining `const char NAME[]` (NUL-terminated).
# Used to compile schema.sql into the programs.
set -eu
name=$1
printf 'const char %s[] = {\n' "$name"
od -An -v -tx1 | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/ /'
printf ' 0x00 };\n'
