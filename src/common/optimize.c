/*
 * optimize.c — numerical optimisation shared by the model fits.
 */
#include "postgres.h"
