/*
 * engagement.c — time-decayed engagement scores, profiles, personas and RFM segments.
 */
#include "postgres.h"
