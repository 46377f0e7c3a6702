/*
 * channels.c — channel preference inference.
 */
#include "postgres.h"
