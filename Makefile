# omni — PGXS build.  `make demo` and `make test` are the two commands a user needs.
EXTENSION  = omni
EXTVERSION = 0.1.0
MODULE_big = omni
PGFILEDESC = "omni - customer analytics for marketing data teams"

OBJS = \
	src/omni.o \
	src/common/stats.o \
	src/common/timecalc.o \
	src/common/vocabulary.o \
	src/rate.o \
	src/cohort.o \
	src/events.o

# The install script is generated from each capability's declarations, in dependency order.
SQL_SOURCES = src/header.sql src/rate.sql src/cohort.sql src/events.sql
DATA_built  = omni--$(EXTVERSION).sql
DATA        = $(wildcard update/omni--*--*.sql)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=omni

PG_CPPFLAGS = -I$(srcdir)/src -std=c11
EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

omni--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

.PHONY: test demo bench deps valgrind
deps:
	bash scripts/deps.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

valgrind:
	bash scripts/valgrind.sh

bench:
	bash bench/run.sh $(SCALE)
