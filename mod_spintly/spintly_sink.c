/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <errno.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "spintly.h"
#include "spintly_sink.h"

APLOG_USE_MODULE(spintly);

/* The destinations of the configuration being read or run.  The parent
 * reads configuration in one thread, so a static is enough. */
static apr_array_header_t *spintly_dests;

void spintly_dests_reset(apr_pool_t *pconf)
{
    spintly_dests = apr_array_make(pconf, 4, sizeof(spintly_dest_t *));
}

const char *spintly_dest_declare(cmd_parms *cmd, const char *spec,
                                 spintly_dest_t **destp)
{
    spintly_dest_t *dest;
    int i;

    for (i = 0; i < spintly_dests->nelts; i++) {
        dest = APR_ARRAY_IDX(spintly_dests, i, spintly_dest_t *);
        if (!strcmp(dest->spec, spec)) {
            *destp = dest;
            return NULL;
        }
    }
    dest = apr_pcalloc(cmd->pool, sizeof(*dest));
    dest->spec = apr_pstrdup(cmd->pool, spec);
    dest->fd = -1;
    dest->defined_at = apr_psprintf(cmd->pool, "%s:%d",
                                    cmd->directive->filename,
                                    cmd->directive->line_num);
    if (*spec == '|') {
        const char *prog = spec + 1;

        dest->kind = SPINTLY_DEST_PIPE;
        if (*prog == '|') {
            prog++;
        }
        else if (*prog == '$') {
            prog++;
            dest->shell = 1;
        }
        while (apr_isspace(*prog)) {
            prog++;
        }
        if (!*prog) {
            return "SpintlyLog: a pipe needs a program after '|'";
        }
        dest->command = prog;
    }
    else {
        if (!*spec) {
            return "SpintlyLog: the destination is empty";
        }
        dest->kind = SPINTLY_DEST_FILE;
        dest->path = ap_server_root_relative(cmd->pool, spec);
        if (dest->path == NULL) {
            return apr_pstrcat(cmd->pool, "SpintlyLog: invalid path ",
                               spec, NULL);
        }
    }
    APR_ARRAY_PUSH(spintly_dests, spintly_dest_t *) = dest;
    *destp = dest;
    return NULL;
}

static apr_status_t open_file(spintly_dest_t *dest, apr_pool_t *pconf)
{
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv;

    rv = apr_file_open(&f, dest->path,
                       APR_FOPEN_WRITE | APR_FOPEN_APPEND | APR_FOPEN_CREATE,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD,
                       pconf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_os_file_get(&fd, f);
    dest->fd = fd;
    return APR_SUCCESS;
}

int spintly_dests_open(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    int i;

    (void)ptemp;
    for (i = 0; i < spintly_dests->nelts; i++) {
        spintly_dest_t *dest = APR_ARRAY_IDX(spintly_dests, i,
                                             spintly_dest_t *);
        apr_status_t rv;

        if (dest->kind == SPINTLY_DEST_FILE) {
            rv = open_file(dest, pconf);
        }
        else {
            rv = spintly_pipe_open(dest, s);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         SPINTLY_LOGNO(0001) "SpintlyLog %s (%s): cannot "
                         "open the destination", dest->spec,
                         dest->defined_at);
            return DONE;
        }
    }
    spintly_pipes_retire_unused(s);
    return OK;
}

void spintly_dests_child_init(apr_pool_t *pchild, server_rec *s)
{
    spintly_pipes_child_init(pchild, s);
}

apr_status_t spintly_dest_write(spintly_dest_t *dest, const char *rec,
                                apr_size_t len)
{
    ssize_t n;

    if (dest->fd < 0) {
        return APR_EBADF;
    }
    if (dest->kind == SPINTLY_DEST_PIPE) {
        return spintly_pipe_write(dest, rec, len);
    }
    /* O_APPEND: one write() lands whole and after every other. */
    do {
        n = write(dest->fd, rec, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    if ((apr_size_t)n != len) {
        return APR_EGENERAL; /* short write: disk full */
    }
    return APR_SUCCESS;
}
