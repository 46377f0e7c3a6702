/*
 * omni.c — the module's identity.  Each capability lives in its own file under src/;
 * shared numerics live in src/common/.
 */
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;
