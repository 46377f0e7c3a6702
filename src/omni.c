/*
 * omni.c — the module's identity and its load-time set-up.  Each capability lives in its
 * own file under src/; shared numerics live in src/common/.
 */
#include "postgres.h"
#include "fmgr.h"

#include "identity.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	omni_identity_init();
}
