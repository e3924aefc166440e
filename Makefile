# Marketplace platform: build, run, test, bench.
# `make run` and `make test` are the two commands; see README.md.

CC      ?= cc
CXX     ?= c++
BUILD   ?= build/rel
SAN     ?=
OPT     ?= -O2
# -MMD -MP: every object records the headers it read (build/**/*.d), so a
# changed header rebuilds exactly what includes it.
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 -g $(OPT) \
              -MMD -MP -I$(BUILD)
CXXFLAGS_BASE = -std=c++11 -Wall -Wextra -Werror -g $(OPT) -MMD -MP
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# The fuzzing build (clang): coverage for libFuzzer, ASan and UBSan.
ifeq ($(SAN),fuzz)
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
endif
CFLAGS   = $(CFLAGS_BASE) $(SANFLAGS) $(shell pkg-config --cflags libcjson 2>/dev/null)
CXXFLAGS = $(CXXFLAGS_BASE) $(SANFLAGS)
LDLIBS   = -lfcgi -lcjson -lsqlite3 -lmbedcrypto -largon2 -lhpdf -lcurl -lctemplate -lpthread -lm
LDFLAGS  = $(SANFLAGS)

# The core library in layers (lib/README.md): each layer is its own archive
# and sees only its own headers and those of the layers under it, so an
# include upwards does not even compile; `make lint` says which one it is.
LAYERS      = core web platform
INC_core     = -Ilib/core
INC_web      = -Ilib/core -Ilib/web
INC_platform = -Ilib/core -Ilib/web -Ilib/platform
INC_shop     = -Ilib/core -Ilib/web -Ilib/shop
INC_ALL      = -Ilib/core -Ilib/web -Ilib/platform -Ilib/shop
layer_obj   = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(wildcard lib/$(1)/*.c)) \
              $(patsubst lib/%.cc,$(BUILD)/lib/%.o,$(wildcard lib/$(1)/*.cc))
CORE_OBJ     = $(call layer_obj,core)
WEB_OBJ      = $(call layer_obj,web)
PLATFORM_OBJ = $(call layer_obj,platform) $(BUILD)/lib/platform/schema_sql.o \
               $(BUILD)/lib/platform/lang_en.o $(BUILD)/lib/platform/lang_fr.o
SHOP_OBJ     = $(call layer_obj,shop) $(BUILD)/lib/shop/shop_sql.o \
               $(BUILD)/lib/shop/lang_shop_en.o $(BUILD)/lib/shop/lang_shop_fr.o
# Highest layer first, as the linker wants. Tests link both programs.
LIBS_PLATFORM = $(BUILD)/libplatform.a $(BUILD)/libweb.a $(BUILD)/libcore.a
LIBS_SHOP     = $(BUILD)/libshop.a $(BUILD)/libweb.a $(BUILD)/libcore.a
LIBS_TEST     = $(BUILD)/libplatform.a $(BUILD)/libshop.a $(BUILD)/libweb.a \
                $(BUILD)/libcore.a
PROGS   = platform-pool platform-fcgi bare-fcgi platformctl platform-worker shop-fcgi
UNIT_C  = $(wildcard test/unit/test_*.c)
UNIT    = $(UNIT_C:test/unit/%.c=$(BUILD)/test/%)
INTEG_C = $(wildcard test/integration/test_*.c)
INTEG   = $(INTEG_C:test/integration/%.c=$(BUILD)/test/%)

# libFuzzer targets (test/fuzz/fuzz_*.c) and their corpora (test/fuzz/corpus/).
FUZZ_C       = $(wildcard test/fuzz/fuzz_*.c)
FUZZ         = $(FUZZ_C:test/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.SECONDARY:
.PHONY: all build deps run stop test test-unit test-integration test-page bench clean \
        build-asan build-fuzz fuzz fuzz-smoke lint

all: build
build: $(addprefix $(BUILD)/bin/,$(PROGS)) $(UNIT) $(INTEG)

deps:
	@sh deploy/deps.sh

# The layer of lib/<layer>/x.c is the first directory of its stem.
layer_of = $(firstword $(subst /, ,$(1)))
$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INC_$(call layer_of,$*)) -c -o $@ $<
$(BUILD)/lib/%.o: lib/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(INC_$(call layer_of,$*)) -c -o $@ $<
# schema.sql is compiled into the programs, so a deployed binary carries its migrations.
$(BUILD)/lib/platform/schema_sql.c: schema.sql deploy/embed.sh
	@mkdir -p $(@D)
	sh deploy/embed.sh schema_sql < schema.sql > $@
$(BUILD)/lib/platform/schema_sql.o: $(BUILD)/lib/platform/schema_sql.c
	$(CC) $(CFLAGS) -c -o $@ $<
# So are the message catalogues (lang/*.msg, lib/core/msg.h).
$(BUILD)/lib/platform/lang_%.c: lang/%.msg deploy/embed.sh
	@mkdir -p $(@D)
	sh deploy/embed.sh lang_$* < $< > $@
$(BUILD)/lib/platform/lang_%.o: $(BUILD)/lib/platform/lang_%.c
	$(CC) $(CFLAGS) -c -o $@ $<
# The shop's schema and catalogues, the same way.
$(BUILD)/lib/shop/shop_sql.c: shop.sql deploy/embed.sh
	@mkdir -p $(@D)
	sh deploy/embed.sh shop_sql < shop.sql > $@
$(BUILD)/lib/shop/lang_shop_%.c: lang/shop.%.msg deploy/embed.sh
	@mkdir -p $(@D)
	sh deploy/embed.sh lang_shop_$* < $< > $@
$(BUILD)/lib/shop/shop_sql.o: $(BUILD)/lib/shop/shop_sql.c
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/lib/shop/lang_shop_%.o: $(BUILD)/lib/shop/lang_shop_%.c
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/libcore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libweb.a: $(WEB_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libplatform.a: $(PLATFORM_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libshop.a: $(SHOP_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/fcgi/%.o: fcgi/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INC_ALL) -Ifcgi -c -o $@ $<
$(BUILD)/bin/%: $(BUILD)/fcgi/%.o $(LIBS_TEST) | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/platform-pool: $(BUILD)/fcgi/pool.o | $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/bin/platform-fcgi: $(BUILD)/fcgi/platform.o $(BUILD)/fcgi/serve.o $(BUILD)/fcgi/loop.o $(LIBS_PLATFORM) | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/platform-worker: $(BUILD)/fcgi/worker.o $(BUILD)/fcgi/probe.o $(LIBS_TEST) | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/shop-fcgi: $(BUILD)/fcgi/shop.o $(BUILD)/fcgi/serve.o $(BUILD)/fcgi/loop.o $(LIBS_SHOP) | $(BUILD)/bin
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bin/bare-fcgi: $(BUILD)/fcgi/bare.o $(BUILD)/fcgi/loop.o | $(BUILD)/bin
	$(CC) $(LDFLAGS) -o $@ $^ -lfcgi
$(BUILD)/test/%: test/unit/%.c $(LIBS_TEST) | $(BUILD)/test
	$(CXX) -x c $(CFLAGS) $(INC_ALL) -o $@ $< -x none $(LIBS_TEST) $(LDFLAGS) $(LDLIBS) -lcmocka -lpthread
# Integration tests link the core too: the matrix test reads the route table.
$(BUILD)/test/%: test/integration/%.c $(LIBS_TEST) | $(BUILD)/test
	$(CXX) -x c $(CFLAGS) $(INC_ALL) -Itest/integration -o $@ $< -x none $(LIBS_TEST) $(LDFLAGS) $(LDLIBS) -lcurl -lcmocka

$(BUILD)/bin $(BUILD)/test:
	mkdir -p $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Which layer may include which (lib/README.md): fails naming the include.
lint:
	@sh test/layers.sh lib

build-asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 build

# The fuzz targets, built by clang with libFuzzer (build/fuzz).
build-fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang CXX=clang++ SAN=fuzz OPT=-O1 fuzz-targets
fuzz-targets: $(FUZZ)
$(BUILD)/fuzz:
	mkdir -p $@
$(BUILD)/fuzz/%: test/fuzz/%.c test/fuzz/fuzz.h $(LIBS_TEST) | $(BUILD)/fuzz
	$(CXX) -x c $(CFLAGS) $(INC_ALL) -Itest/fuzz -o $@ $< -x none $(LIBS_TEST) \
	    -fsanitize=fuzzer,address,undefined $(LDLIBS)

# Each target for FUZZ_SECONDS (60) on its corpus, which grows with what
# it finds; a crash stops it and leaves the input in build/fuzz/.
fuzz: deps build-fuzz
	@sh test/fuzz/run.sh $(FUZZ_SECONDS) grow
# Each target a few seconds on its corpus, nothing kept (make test).
fuzz-smoke: build-fuzz
	@sh test/fuzz/run.sh 4

# --- the two commands -------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) sh deploy/stack.sh start

stop:
	@BUILD=$(BUILD) sh deploy/stack.sh stop

test: deps
	@$(MAKE) --no-print-directory lint build build-asan build-fuzz
	@sh test/run.sh

bench: deps
	@$(MAKE) --no-print-directory build
	@bash bench/run.sh

clean:
	rm -rf build
