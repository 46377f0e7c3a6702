/*
 * vocabulary.h — the one event vocabulary every omni capability shares (DESIGN.md): send,
 * deliver, bounce, open, click, conversion, reply, unsubscribe, complaint.  Users map their own
 * names with CASE; anything else is an error with a hint, never a silent zero.
 */
#ifndef OMNI_VOCABULARY_H
#define OMNI_VOCABULARY_H

#include "postgres.h"

typedef enum EventType
{
	EVENT_SEND,
	EVENT_DELIVER,
	EVENT_BOUNCE,
	EVENT_OPEN,
	EVENT_CLICK,
	EVENT_CONVERSION,
	EVENT_REPLY,
	EVENT_UNSUBSCRIBE,
	EVENT_COMPLAINT
} EventType;

#define NUM_EVENT_TYPES 9

/* The event type named exactly (lowercase) by this text, or an error naming it. */
extern EventType CheckEventType(const text *event_type);

/* The event type named exactly by name[0..len), or -1. */
extern int	FindEventType(const char *name, size_t len);

/* The vocabulary's name of an event type. */
extern const char *EventTypeName(EventType type);

#endif							/* OMNI_VOCABULARY_H */
