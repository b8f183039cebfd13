/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_params.h
 * @brief Named placeholders in SpintlyDBDInsert and their values.
 *
 * "INSERT ... VALUES (:eventId, :message)" becomes the apr_dbd statement
 * "INSERT ... VALUES (%s, %s)" and the list of names, in order; each
 * accepted event then gives one text value (or NULL) per name.  Needs APR
 * and jansson only, so it is unit-tested without httpd.
 */

#ifndef SPINTLY_PARAMS_H
#define SPINTLY_PARAMS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "spintly_event.h"

/** A statement ready for apr_dbd_prepare. */
typedef struct spintly_sql_t {
    const char *sql;                /**< with %s for each placeholder */
    apr_array_header_t *names;      /**< const char *, one per %s */
} spintly_sql_t;

/**
 * Turn named placeholders into apr_dbd's %s.  Text in '...' or "..." and
 * PostgreSQL's "::type" casts are left alone; a literal % is doubled.
 * @return NULL on success, else a message naming the problem
 */
const char *spintly_sql_compile(apr_pool_t *p, const char *text,
                                spintly_sql_t **out);

/** Is this a placeholder name we can fill? */
int spintly_param_known(const char *name);

/** The names we can fill, NULL-terminated, for error messages and docs. */
extern const char *const spintly_param_names[];

/**
 * The values for one event, in the order of sql->names; NULL stands for
 * SQL NULL.  :message is the message compacted (ev->message).
 */
const char **spintly_params_values(apr_pool_t *p, const spintly_sql_t *sql,
                                   const spintly_event_t *ev,
                                   const spintly_receipt_t *rc);

#endif /* SPINTLY_PARAMS_H */
