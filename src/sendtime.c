/*
 * sendtime.c — send time and contact pressure.
 */
#include "postgres.h"
