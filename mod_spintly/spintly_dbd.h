/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_dbd.h
 * @brief The database destination: one INSERT per event through mod_dbd.
 */

#ifndef SPINTLY_DBD_H
#define SPINTLY_DBD_H

#include <httpd.h>
#include <http_config.h>

#include "spintly_event.h"
#include "spintly_params.h"

/** A SpintlyDBDInsert statement, prepared by mod_dbd under label. */
typedef struct spintly_dbd_insert_t {
    const spintly_sql_t *sql;
    const char *label;
    const char *defined_at;     /**< "file:line" */
} spintly_dbd_insert_t;

/**
 * The SpintlyDBDInsert directive: compile the placeholders and have
 * mod_dbd prepare the statement on every connection it opens.
 * @return NULL, or a message naming the directive
 */
const char *spintly_dbd_declare(cmd_parms *cmd, const char *text,
                                spintly_dbd_insert_t **insert);

/** What a database write came to. */
typedef enum {
    SPINTLY_DBD_STORED,     /**< one row inserted and committed */
    SPINTLY_DBD_DUPLICATE,  /**< the row was already there */
    SPINTLY_DBD_FAILED      /**< not stored: answer 503 */
} spintly_dbd_result_e;

/**
 * Insert one event.  After a failure the connection is checked, the
 * statement prepared again on it (a reset PostgreSQL connection has lost
 * its prepared statements) and the insert tried once more, if the failure
 * came fast and the deadline has not passed.  The driver's own waits
 * (SQLite's busy_timeout, PostgreSQL's statement_timeout) bound each try.
 */
spintly_dbd_result_e spintly_dbd_store(request_rec *r,
                                       const spintly_dbd_insert_t *insert,
                                       const spintly_event_t *ev,
                                       const spintly_receipt_t *rc,
                                       apr_time_t deadline);

#endif /* SPINTLY_DBD_H */
