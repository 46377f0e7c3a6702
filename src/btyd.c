/*
 * btyd.c — customer-base ("buy till you die") models: BG/NBD, BG/BB and Gamma-Gamma.
 */
#include "postgres.h"
