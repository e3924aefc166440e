# Marketplace platform: build, run, test, bench.
# `make run` and `make test` are the two commands; see README.md.

CC      ?= cc
CXX     ?= c++
BUILD   ?= build/rel
SAN     ?=
OPT     ?= -O2
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 -g $(OPT) -Ilib -I$(BUILD)
CXXFLAGS_BASE = -std=c++11 -Wall -Wextra -Werror -g $(OPT) -Ilib
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
CFLAGS   = $(CFLAGS_BASE) $(SANFLAGS) $(shell pkg-config --cflags libcjson 2>/dev/null)
CXXFLAGS = $(CXXFLAGS_BASE) $(SANFLAGS)
LDLIBS   = -lfcgi -lcjson -lsqlite3 -lmbedcrypto -largon2 -lhpdf -lcurl -lctemplate -lpthread -lm
LDFLAGS  = $(SANFLAGS)

LIB_C   = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_C:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/lib/render.o $(BUILD)/lib/schema_sql.o
PROGS   = platform-pool platform-fcgi bare-fcgi platformctl platform-worker
UNIT_C  = $(wildcard test/unit/test_*.c)
UNIT    = $(UNIT_C:test/unit/%.c=$(BUILD)/test/%)
INTEG_C = $(wildcard test/integration/test_*.c)
INTEG   = $(INTEG_C:test/integration/%.c=$(BUILD)/test/%)

.SECONDARY:
.PHONY: all build deps run stop test test-unit test-integration test-page bench clean \
        build-asan

all: build
build: $(addprefix $(BUILD)/bin/,$(PROGS)) $(UNIT) $(INTEG)

deps:
	@sh deploy/deps.sh

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(BUILD)/lib
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/lib/render.o: lib/render.cc lib/render.h | $(BUILD)/lib
	$(CXX) $(CXXFLAGS) -c -o $@ $<
# schema.sql is compiled into the programs, so a deployed binary carries its migrations.
$(BUILD)/lib/schema_sql.c: schema.sql deploy/embed.sh | $(BUILD)/lib
	sh deploy/embed.sh schema_sql < schema.sql > $@
$(BUILD)/lib/schema_sql.o: $(BUILD)/lib/schema_sql.c
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/libplatform.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/fcgi/%.o: fcgi/%.c $(wildcard lib/*.h fcgi/*.h) | $(BUILD)/fcgi
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/bin/%: $(BUILD)/fcgi/%.o $(BUILD)/libplatform.a | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/platform-pool: $(BUILD)/fcgi/pool.o | $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/bin/platform-fcgi: $(BUILD)/fcgi/platform.o $(BUILD)/fcgi/loop.o $(BUILD)/libplatform.a | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/platform-worker: $(BUILD)/fcgi/worker.o $(BUILD)/libplatform.a | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/bare-fcgi: $(BUILD)/fcgi/bare.o $(BUILD)/fcgi/loop.o | $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $@ $^ -lfcgi
$(BUILD)/test/%: test/unit/%.c test/unit/unit.h $(BUILD)/libplatform.a | $(BUILD)/test
	$(CXX) -x c $(CFLAGS) -o $@ $< -x none $(BUILD)/libplatform.a $(LDFLAGS) $(LDLIBS) -lcmocka -lpthread
# Integration tests link the core too: the matrix test reads the route table.
$(BUILD)/test/%: test/integration/%.c test/integration/harness.h $(BUILD)/libplatform.a | $(BUILD)/test
	$(CXX) -x c $(CFLAGS) -Itest/integration -o $@ $< -x none $(BUILD)/libplatform.a $(LDFLAGS) $(LDLIBS) -lcurl -lcmocka

$(BUILD)/lib $(BUILD)/fcgi $(BUILD)/bin $(BUILD)/test:
	mkdir -p $@

build-asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 build

# --- the two commands -------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) sh deploy/stack.sh start

stop:
	@BUILD=$(BUILD) sh deploy/stack.sh stop

test: deps
	@$(MAKE) --no-print-directory build build-asan
	@sh test/run.sh

bench: deps
	@$(MAKE) --no-print-directory build
	@bash bench/run.sh

clean:
	rm -rf build
