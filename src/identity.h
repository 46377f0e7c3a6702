/*
 * identity.h — what omni.c needs from identity resolution: registering its settings.
 */
#ifndef OMNI_IDENTITY_H
#define OMNI_IDENTITY_H

/* defines omni.identity_memory_limit; called once from _PG_init */
extern void omni_identity_init(void);

#endif							/* OMNI_IDENTITY_H */
