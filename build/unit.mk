# C unit tests (Check, TAP output) for the parts of mod_spintly that need no
# httpd: each test binary is compiled straight from the unit's .c file.
# Included by the top-level Makefile; works on its own too:
#     make -f build/unit.mk unit-test
#
#   unit            build build/out/unit/test_*
#   unit-test       run them through prove
#   unit-valgrind   run them in one process each under valgrind
#   unit-clean      remove build/out/unit

PKG_CONFIG ?= pkg-config
PROVE ?= prove
VALGRIND ?= valgrind

UNIT_OUT = build/out/unit
UNIT_TESTS = $(UNIT_OUT)/test_keys $(UNIT_OUT)/test_event \
             $(UNIT_OUT)/test_params
# apr-1 is listed too: the tests call APR directly, and apr-util-1.pc
# does not pull in -lapr-1.
UNIT_PKGS = check jansson apr-util-1 apr-1
UNIT_CFLAGS = -Wall -Wextra -g -Imod_spintly -It/unit \
              -DUNIT_DATA_DIR='"$(abspath t/data)"' \
              $(shell $(PKG_CONFIG) --cflags $(UNIT_PKGS))
UNIT_LIBS = $(shell $(PKG_CONFIG) --libs $(UNIT_PKGS))
UNIT_COMMON = t/unit/unit.c t/unit/unit.h build/unit.mk

.PHONY: unit unit-test unit-valgrind unit-clean
unit: $(UNIT_TESTS)

$(UNIT_OUT):
	mkdir -p $@

$(UNIT_OUT)/test_keys: t/unit/test_keys.c mod_spintly/spintly_keys.c \
                       mod_spintly/spintly_keys.h $(UNIT_COMMON) | $(UNIT_OUT)
	gcc $(UNIT_CFLAGS) -o $@ t/unit/test_keys.c t/unit/unit.c \
	    mod_spintly/spintly_keys.c $(UNIT_LIBS)

$(UNIT_OUT)/test_event: t/unit/test_event.c mod_spintly/spintly_event.c \
                        mod_spintly/spintly_event.h $(UNIT_COMMON) \
                        | $(UNIT_OUT)
	gcc $(UNIT_CFLAGS) -o $@ t/unit/test_event.c t/unit/unit.c \
	    mod_spintly/spintly_event.c $(UNIT_LIBS)

$(UNIT_OUT)/test_params: t/unit/test_params.c mod_spintly/spintly_params.c \
                         mod_spintly/spintly_params.h \
                         mod_spintly/spintly_event.c \
                         mod_spintly/spintly_event.h $(UNIT_COMMON) \
                         | $(UNIT_OUT)
	gcc $(UNIT_CFLAGS) -o $@ t/unit/test_params.c t/unit/unit.c \
	    mod_spintly/spintly_params.c mod_spintly/spintly_event.c \
	    $(UNIT_LIBS)

unit-test: $(UNIT_TESTS)
	$(PROVE) -v --exec '' $(UNIT_TESTS)

# CK_FORK=no keeps each test in the process valgrind watches.  Any error
# or definite or possible leak fails; the TAP is shown only then.
unit-valgrind: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do \
	    if ! CK_FORK=no $(VALGRIND) -q --leak-check=full \
	            --errors-for-leak-kinds=definite,possible \
	            --error-exitcode=1 $$t > $$t.valgrind.tap; then \
	        cat $$t.valgrind.tap; \
	        echo "valgrind: $$t: FAILED"; exit 1; \
	    fi; \
	    echo "valgrind: $$t: $$(grep -c '^ok' $$t.valgrind.tap) tests," \
	         "no error, no leak"; \
	done

unit-clean:
	rm -rf $(UNIT_OUT)
