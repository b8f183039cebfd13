# make bench: mod_spintly against the floor httpd stands on (issue 6).
# Included by the top-level Makefile; the work is done by t/bench/bench.pl.
#
#   bench           install what is missing, build, run every configuration
#                   (floor, the references parse and parse+write, file,
#                   pipe, SQLite, PostgreSQL, pgbench) and the callgrind
#                   count; prints a table and the targets
#   bench-build     build the floor module (with the reference handlers,
#                   linked with jansson) and the callgrind driver only
#   bench-breakdown instructions per request inside httpd -X, file
#                   destination: read, parse, format, write, rest of the
#                   handler, httpd outside it (t/bench/breakdown.pl)
#   bench-clean     remove build/out/bench
#
# Knobs (make bench BENCH_SECONDS=30 ...):
#   BENCH_SECONDS       load per configuration, seconds (10)
#   BENCH_ROUNDS        rounds that share those seconds, visiting every
#                       configuration in turn (5)
#   BENCH_WARMUP        unmeasured load before each, seconds (2)
#   BENCH_CONNECTIONS   wrk connections, keep-alive (32)
#   BENCH_THREADS       wrk threads (2)
#   BENCH_ONLY          configurations to run, e.g. "floor file" (all);
#                       names: floor parse parse+write file pipe sqlite
#                       postgresql (postgresql brings pgbench).  parse and
#                       parse+write are references, not mod_spintly: the
#                       floor plus json_loadb of the body, and that plus
#                       one write(2) of the body to a file
#   BENCH_CALLGRIND     0 skips the callgrind count (1)
#   BENCH_MEMORY        1 adds resident memory over BENCH_MEMORY_REQUESTS
#                       requests (1000000) for the floor, file and pipe;
#                       takes several minutes.  "only": just that part
#   BENCH_PIN           1 pins httpd to all CPUs but the last, wrk and
#                       pgbench to the last (0: everything shares them)
#   BENCH_KEEP          1 keeps the run directory (logs, records, databases)

PKG_CONFIG ?= pkg-config
APXS ?= $(shell command -v apxs 2>/dev/null || echo /usr/bin/apxs)

BENCH_OUT = build/out/bench
BENCH_FLOOR_SO = $(BENCH_OUT)/.libs/mod_bench_floor.so
BENCH_DRIVER = $(BENCH_OUT)/event_cost
# Built the way build/unit.mk builds the unit tests, optimised like apxs.
BENCH_PKGS = jansson apr-util-1 apr-1
BENCH_CFLAGS = -Wall -Wextra -g -O2 -Imod_spintly \
               $(shell $(PKG_CONFIG) --cflags $(BENCH_PKGS))
BENCH_LIBS = $(shell $(PKG_CONFIG) --libs $(BENCH_PKGS))
# The reference handlers of the floor module call jansson.
BENCH_FLOOR_CFLAGS = $(shell $(PKG_CONFIG) --cflags jansson)
BENCH_FLOOR_LIBS = $(shell $(PKG_CONFIG) --libs jansson)

BENCH_SECONDS ?= 10
BENCH_ROUNDS ?= 5
BENCH_WARMUP ?= 2
BENCH_CONNECTIONS ?= 32
BENCH_THREADS ?= 2
BENCH_ONLY ?=
BENCH_CALLGRIND ?= 1
BENCH_MEMORY ?= 0
BENCH_MEMORY_REQUESTS ?= 1000000
BENCH_KEEP ?= 0
BENCH_PIN ?= 0

.PHONY: bench bench-build bench-clean
bench:
	@build/deps.sh bench
	@$(MAKE) --no-print-directory module bench-build
	@BENCH_SECONDS='$(BENCH_SECONDS)' BENCH_ROUNDS='$(BENCH_ROUNDS)' \
	 BENCH_WARMUP='$(BENCH_WARMUP)' \
	 BENCH_CONNECTIONS='$(BENCH_CONNECTIONS)' \
	 BENCH_THREADS='$(BENCH_THREADS)' BENCH_ONLY='$(BENCH_ONLY)' \
	 BENCH_CALLGRIND='$(BENCH_CALLGRIND)' BENCH_MEMORY='$(BENCH_MEMORY)' \
	 BENCH_MEMORY_REQUESTS='$(BENCH_MEMORY_REQUESTS)' \
	 BENCH_KEEP='$(BENCH_KEEP)' BENCH_PIN='$(BENCH_PIN)' \
	 BENCH_FLOOR_SO='$(abspath $(BENCH_FLOOR_SO))' \
	 BENCH_DRIVER='$(abspath $(BENCH_DRIVER))' \
	 perl t/bench/bench.pl

bench-build: $(BENCH_FLOOR_SO) $(BENCH_DRIVER)

$(BENCH_OUT):
	mkdir -p $@

# apxs leaves its objects beside the source: build a copy in BENCH_OUT.
$(BENCH_FLOOR_SO): t/bench/mod_bench_floor.c build/bench.mk | $(BENCH_OUT)
	@command -v $(APXS) >/dev/null || { echo "apxs not found: run 'build/deps.sh bench'"; exit 1; }
	@cp t/bench/mod_bench_floor.c $(BENCH_OUT)/
	@echo "apxs -c mod_bench_floor.so (log: $(BENCH_OUT)/apxs.log)"
	@cd $(BENCH_OUT) && $(APXS) -c -Wc,-Wall -Wc,-Wextra \
	    $(BENCH_FLOOR_CFLAGS) mod_bench_floor.c $(BENCH_FLOOR_LIBS) \
	    >apxs.log 2>&1 || { cat apxs.log; exit 1; }

$(BENCH_DRIVER): t/bench/event_cost.c mod_spintly/spintly_event.c \
                 mod_spintly/spintly_event.h mod_spintly/spintly_params.c \
                 mod_spintly/spintly_params.h build/bench.mk | $(BENCH_OUT)
	gcc $(BENCH_CFLAGS) -o $@ t/bench/event_cost.c \
	    mod_spintly/spintly_event.c mod_spintly/spintly_params.c \
	    $(BENCH_LIBS)

bench-clean:
	rm -rf $(BENCH_OUT)

.PHONY: bench-breakdown
bench-breakdown: module
	@build/deps.sh bench
	perl t/bench/breakdown.pl
