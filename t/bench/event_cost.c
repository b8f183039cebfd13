/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * event_cost: the validation and formatting path of mod_spintly, N times
 * over one body, for `valgrind --tool=callgrind` (t/bench/bench.pl runs it
 * with two N and takes the difference, so start-up cancels out).  Linked
 * with mod_spintly/spintly_event.c and spintly_params.c the way the unit
 * tests link them (build/bench.mk).
 *
 *     event_cost MODE N BODY.json [SQL]
 *
 * MODE
 *   jansson   json_loadb(JSON_REJECT_DUPLICATES) and json_decref: the parse
 *             the module cannot do without
 *   jansson0  the same with flags 0
 *   module    spintly_event_parse and spintly_record_format (what a file or
 *             pipe destination costs before the write), then the pool is
 *             cleared as httpd clears r->pool
 *   dbd       spintly_event_parse and
 *             spintly_params_values for SQL (the SpintlyDBDInsert text)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "spintly_event.h"
#include "spintly_params.h"

static volatile apr_size_t event_cost_sink;

static char *read_body(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        exit(2);
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void loop_jansson(const char *body, size_t len, long n, size_t flags)
{
    json_error_t err;
    long i;

    for (i = 0; i < n; i++) {
        json_t *doc = json_loadb(body, len, flags, &err);

        if (doc == NULL) {
            fprintf(stderr, "json_loadb: %s\n", err.text);
            exit(1);
        }
        event_cost_sink += json_object_size(doc);
        json_decref(doc);
    }
}

static void loop_module(apr_pool_t *p, const char *body, size_t len, long n,
                        const spintly_receipt_t *rc)
{
    spintly_problem_t problem;
    spintly_event_t *ev;
    long i;

    for (i = 0; i < n; i++) {
        apr_size_t rec_len;

        if (spintly_event_parse(p, body, len, NULL, &ev, &problem)) {
            fprintf(stderr, "refused: %d %s\n", problem.status,
                    problem.detail);
            exit(1);
        }
        spintly_record_format(p, ev, rc, &rec_len);
        event_cost_sink += rec_len;
        apr_pool_clear(p);
    }
}

static void loop_dbd(apr_pool_t *p, const char *body, size_t len, long n,
                     const spintly_receipt_t *rc, const spintly_sql_t *sql)
{
    spintly_problem_t problem;
    spintly_event_t *ev;
    long i;

    for (i = 0; i < n; i++) {
        const char **values;

        if (spintly_event_parse(p, body, len, NULL, &ev, &problem)) {
            fprintf(stderr, "refused: %d %s\n", problem.status,
                    problem.detail);
            exit(1);
        }
        values = spintly_params_values(p, sql, ev, rc);
        event_cost_sink += values[0] != NULL;
        apr_pool_clear(p);
    }
}

int main(int argc, char **argv)
{
    spintly_receipt_t rc;
    spintly_sql_t *sql = NULL;
    apr_pool_t *pool, *per_event;
    const char *mode;
    char *body;
    size_t len;
    long n;

    if (argc < 4) {
        fprintf(stderr, "usage: %s jansson|jansson0|module|dbd N BODY.json "
                "[SQL]\n", argv[0]);
        return 2;
    }
    mode = argv[1];
    n = atol(argv[2]);
    body = read_body(argv[3], &len);

    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_pool_create(&per_event, pool);
    rc.received_at = apr_time_now();
    rc.key_name = "bench";
    rc.client_ip = "127.0.0.1";

    if (!strcmp(mode, "jansson")) {
        loop_jansson(body, len, n, JSON_REJECT_DUPLICATES);
    }
    else if (!strcmp(mode, "jansson0")) {
        loop_jansson(body, len, n, 0);
    }
    else if (!strcmp(mode, "module")) {
        loop_module(per_event, body, len, n, &rc);
    }
    else if (!strcmp(mode, "dbd") && argc > 4) {
        const char *err = spintly_sql_compile(pool, argv[4], &sql);

        if (err) {
            fprintf(stderr, "SQL: %s\n", err);
            return 2;
        }
        loop_dbd(per_event, body, len, n, &rc, sql);
    }
    else {
        fprintf(stderr, "%s: unknown mode %s (dbd needs SQL)\n", argv[0],
                mode);
        return 2;
    }
    apr_pool_destroy(pool);
    apr_terminate();
    free(body);
    return 0;
}
