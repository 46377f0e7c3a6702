# omni — PGXS build.  `make demo` and `make test` are the two commands a user needs.
EXTENSION  = omni
EXTVERSION = 0.2.0
MODULE_big = omni
PGFILEDESC = "omni - customer analytics for marketing data teams"

OBJS = \
	src/omni.o \
	src/common/stats.o \
	src/common/timecalc.o \
	src/common/vocabulary.o \
	src/common/decay.o \
	src/common/hexform.o \
	src/rate.o \
	src/cohort.o \
	src/events.o \
	src/engagement.o \
	src/common/optimize.o \
	src/common/special.o \
	src/btyd.o \
	src/channels.o \
	src/sendtime.o \
	src/normalize.o \
	src/identity.o \
	src/triangle.o \
	src/golden.o

# The install script is generated from each capability's declarations, in dependency order.
SQL_SOURCES = src/header.sql src/rate.sql src/cohort.sql src/events.sql src/engagement.sql src/btyd.sql \
              src/channels.sql src/sendtime.sql src/normalize.sql src/identity.sql src/triangle.sql src/golden.sql
# The update from the released 0.1.0: what changed in the objects 0.1.0 had, then the
# declarations of every capability 0.2.0 adds.  Once 0.2.0 is released this script is frozen
# into update/ like released/omni--0.1.0.sql (the install script 0.1.0 shipped).
UPDATE_0_2_0 = src/update/0.1.0--0.2.0.sql src/engagement.sql src/btyd.sql src/channels.sql src/sendtime.sql \
               src/normalize.sql src/identity.sql src/triangle.sql src/golden.sql
DATA_built  = omni--$(EXTVERSION).sql omni--0.1.0--0.2.0.sql
DATA        = released/omni--0.1.0.sql $(wildcard update/omni--*--*.sql)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=omni

PG_CPPFLAGS = -I$(srcdir)/src -std=c11
EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

omni--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

omni--0.1.0--0.2.0.sql: $(UPDATE_0_2_0)
	cat $^ > $@

.PHONY: test demo bench deps valgrind fuzz
deps:
	bash scripts/deps.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

valgrind:
	bash scripts/valgrind.sh

# FUZZ_CASES (default 1000000 a type) and FUZZ_SEED (default 1) tune the run
fuzz:
	bash scripts/fuzz.sh

bench:
	bash bench/cohort_speed.sh $(SCALE)

# omni on a three-node Citus 13.2 cluster and on postgres_fdw shards, checked against a single
# node (builds Citus from ../shared/vendor/citus when it is missing; see docs/scaling.md)
.PHONY: test-citus
test-citus:
	bash scripts/test-citus.sh
