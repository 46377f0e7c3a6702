/*
 * special.c — special functions shared by the model code.
 */
#include "postgres.h"
