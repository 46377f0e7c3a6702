/*
 * vocabulary.c — parsing the shared event vocabulary (see vocabulary.h).
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "common/vocabulary.h"

static const char *const event_names[] = {
	"send", "deliver", "bounce", "open", "click", "conversion", "reply", "unsubscribe", "complaint"
};

StaticAssertDecl(lengthof(event_names) == NUM_EVENT_TYPES, "one name per event type");

#define EVENT_VOCABULARY "send, deliver, bounce, open, click, conversion, reply, unsubscribe, complaint"

/* lengths of event_names, so the per-row lookup compares bytes only when the length fits */
static const uint8 event_name_lengths[] = {4, 7, 6, 4, 5, 10, 5, 11, 9};

StaticAssertDecl(lengthof(event_name_lengths) == NUM_EVENT_TYPES, "one length per event type");

int
FindEventType(const char *name, size_t len)
{
	int			i;

	for (i = 0; i < (int) lengthof(event_names); i++)
	{
		Assert(strlen(event_names[i]) == event_name_lengths[i]);
		if (event_name_lengths[i] == len && memcmp(event_names[i], name, len) == 0)
			return i;
	}
	return -1;
}

const char *
EventTypeName(EventType type)
{
	Assert((int) type >= 0 && (int) type < NUM_EVENT_TYPES);
	return event_names[type];
}

EventType
CheckEventType(const text *event_type)
{
	size_t		len = VARSIZE_ANY_EXHDR(event_type);
	const char *name = VARDATA_ANY(event_type);
	char	   *shown;
	bool		case_only = false;
	int			i = FindEventType(name, len);

	if (i >= 0)
		return (EventType) i;

	for (i = 0; i < (int) lengthof(event_names); i++)
		if (strlen(event_names[i]) == len && pg_strncasecmp(event_names[i], name, len) == 0)
			case_only = true;

	shown = text_to_cstring(event_type);
	if (case_only)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid event_type \"%s\"", shown),
				 errhint("Event types are lowercase: pass lower(event_type).  Allowed: "
						 EVENT_VOCABULARY ".")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid event_type \"%s\"", shown),
			 errhint("Allowed: " EVENT_VOCABULARY "; map other names with CASE.")));
	pg_unreachable();
}
