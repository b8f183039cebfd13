/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file unit.h
 * @brief What the C unit tests share: a fresh APR pool per test and a
 *        main() that runs the suite with TAP output on stdout.
 *
 * Each test binary defines unit_suite(); unit.c does the rest.  Run a
 * binary with CK_FORK=no to keep every test in one process (for valgrind
 * or gdb).
 */

#ifndef SPINTLY_UNIT_H
#define SPINTLY_UNIT_H

#include <check.h>

#include <apr_pools.h>

/** A pool created before and destroyed after every test of a TCase made
 *  by unit_tcase(). */
extern apr_pool_t *unit_pool;

/** A TCase whose tests get unit_pool. */
TCase *unit_tcase(const char *name);

/** Defined by each test binary: every test it runs. */
Suite *unit_suite(void);

/** 1 when needle occurs in the first len bytes of haystack. */
int unit_contains(const char *haystack, apr_size_t len, const char *needle);

#endif /* SPINTLY_UNIT_H */
