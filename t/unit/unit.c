/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "unit.h"

apr_pool_t *unit_pool;

static void unit_pool_create(void)
{
    ck_assert_int_eq(apr_pool_create(&unit_pool, NULL), APR_SUCCESS);
}

static void unit_pool_destroy(void)
{
    apr_pool_destroy(unit_pool);
    unit_pool = NULL;
}

TCase *unit_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, unit_pool_create, unit_pool_destroy);
    return tc;
}

int unit_contains(const char *haystack, apr_size_t len, const char *needle)
{
    apr_size_t n = strlen(needle);
    apr_size_t i;

    for (i = 0; n <= len && i <= len - n; i++) {
        if (!memcmp(haystack + i, needle, n)) {
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    SRunner *runner;
    int failed;

    if (apr_initialize() != APR_SUCCESS) {
        printf("Bail out! apr_initialize failed\n");
        return EXIT_FAILURE;
    }
    runner = srunner_create(unit_suite());
    /* TAP on stdout is the only output; a failing test's line carries the
     * file, line and message. */
    srunner_set_tap(runner, "-");
    srunner_run_all(runner, CK_SILENT);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
