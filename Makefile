# mod_spintly: the README's commands.  The rules live in build/.
include build/module.mk
include build/unit.mk
include build/fuzz.mk
include build/bench.mk

.PHONY: all install run test clean deps
all: module

install: module
	$(APXS) -i -n spintly mod_spintly/.libs/mod_spintly.so

run:
	@build/run.sh

test:
	@build/test.sh

deps:
	@build/deps.sh

clean: module-clean
