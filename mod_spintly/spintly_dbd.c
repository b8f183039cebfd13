/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_optional.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <mod_dbd.h>

#include "spintly.h"
#include "spintly_dbd.h"

APLOG_USE_MODULE(spintly);

/* Retry an insert only when it failed faster than this. */
#define SPINTLY_DBD_RETRY_WITHIN apr_time_from_sec(1)

/* mod_dbd's functions, looked up when a directive needs them. */
static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

const char *spintly_dbd_declare(cmd_parms *cmd, const char *text,
                                spintly_dbd_insert_t **out)
{
    static unsigned int label_num;
    spintly_dbd_insert_t *insert;
    spintly_sql_t *sql;
    const char *err;

    dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    if (dbd_prepare == NULL || dbd_acquire == NULL) {
        return "SpintlyDBDInsert: mod_dbd is not loaded (LoadModule "
               "dbd_module before this line, or a2enmod dbd)";
    }
    err = spintly_sql_compile(cmd->pool, text, &sql);
    if (err) {
        return apr_pstrcat(cmd->pool, "SpintlyDBDInsert: ", err, NULL);
    }
    insert = apr_pcalloc(cmd->pool, sizeof(*insert));
    insert->sql = sql;
    insert->label = apr_psprintf(cmd->pool, "spintly_insert_%u",
                                 ++label_num);
    insert->defined_at = apr_psprintf(cmd->pool, "%s:%d",
                                      cmd->directive->filename,
                                      cmd->directive->line_num);
    dbd_prepare(cmd->server, sql->sql, insert->label);
    *out = insert;
    return NULL;
}

static int run_insert(request_rec *r, ap_dbd_t *dbd,
                      const spintly_dbd_insert_t *insert,
                      const char **values, int *nrows)
{
    apr_dbd_prepared_t *stmt = apr_hash_get(dbd->prepared, insert->label,
                                            APR_HASH_KEY_STRING);

    if (stmt == NULL) {
        return APR_EGENERAL;
    }
    return apr_dbd_pquery(dbd->driver, r->pool, dbd->handle, nrows, stmt,
                          insert->sql->names->nelts, values);
}

/* The statement again, on this connection, in the connection's pool. */
static int prepare_again(ap_dbd_t *dbd, const spintly_dbd_insert_t *insert)
{
    apr_pool_t *conn_pool = apr_hash_pool_get(dbd->prepared);
    apr_dbd_prepared_t *stmt = NULL;
    int rv;

    rv = apr_dbd_prepare(dbd->driver, conn_pool, dbd->handle,
                         insert->sql->sql, insert->label, &stmt);
    if (rv == 0) {
        apr_hash_set(dbd->prepared, insert->label, APR_HASH_KEY_STRING,
                     stmt);
    }
    return rv;
}

spintly_dbd_result_e spintly_dbd_store(request_rec *r,
                                       const spintly_dbd_insert_t *insert,
                                       const spintly_event_t *ev,
                                       const spintly_receipt_t *rc,
                                       apr_time_t deadline)
{
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    const char **values;
    apr_time_t started;
    int rv, nrows = 0;

    if (dbd == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SPINTLY_LOGNO(0201)
                      "503: no database connection for SpintlyDBDInsert "
                      "(%s)", insert->defined_at);
        return SPINTLY_DBD_FAILED;
    }
    values = spintly_params_values(r->pool, insert->sql, ev, rc);
    started = apr_time_now();
    rv = run_insert(r, dbd, insert, values, &nrows);
    /* A dropped connection fails at once and deserves a second try; a
     * failure that took long was a wait for a lock, already retried by the
     * driver, and trying again would only double the wait. */
    if (rv != 0 && apr_time_now() - started < SPINTLY_DBD_RETRY_WITHIN
        && apr_time_now() < deadline) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SPINTLY_LOGNO(0202)
                      "insert failed (%s); checking the connection and "
                      "trying once more",
                      apr_dbd_error(dbd->driver, dbd->handle, rv));
        if (apr_dbd_check_conn(dbd->driver, r->pool, dbd->handle)
            == APR_SUCCESS
            && prepare_again(dbd, insert) == 0) {
            rv = run_insert(r, dbd, insert, values, &nrows);
        }
    }
    if (rv != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SPINTLY_LOGNO(0203)
                      "503: cannot store event %" APR_INT64_T_FMT ": %s",
                      ev->event_id,
                      apr_dbd_error(dbd->driver, dbd->handle, rv));
        return SPINTLY_DBD_FAILED;
    }
    return nrows > 0 ? SPINTLY_DBD_STORED : SPINTLY_DBD_DUPLICATE;
}
