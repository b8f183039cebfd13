/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_bench_floor: the floor of `make bench`.  A handler that reads the
 * request body and answers 204, nothing else: what httpd itself costs for
 * a POST, against which mod_spintly is measured.  Built by build/bench.mk
 * with apxs into build/out/bench; never installed.
 *
 *     <Location /spintly>
 *         SetHandler bench-floor
 *     </Location>
 *
 * Two reference handlers, not mod_spintly, show what the fixed
 * costs are on the same machine in the same run:
 *
 *   bench-parse        the floor plus jansson: the body read into one
 *                      buffer, json_loadb(JSON_REJECT_DUPLICATES |
 *                      JSON_DECODE_ANY); 400 if that fails, else 204
 *   bench-parse-write  bench-parse, then each '\n' and '\r' of the body
 *                      made a space and the body written with one
 *                      write(2), followed by '\n', to the file of
 *                      BenchFloorLog (O_WRONLY | O_APPEND | O_CREAT,
 *                      opened by the parent before it drops privileges);
 *                      204 only once all of it is written, else 500
 *
 *     BenchFloorLog /path/records.jsonl     (server config)
 */

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

module AP_MODULE_DECLARE_DATA bench_floor_module;

/* Bodies larger than this are refused (413): the benchmark posts ~500. */
#define BENCH_MAX_BODY (1024 * 1024)

typedef struct {
    const char *log_path;       /* BenchFloorLog, or NULL */
    int log_fd;                 /* opened by post_config, or -1 */
} bench_floor_conf_t;

static int bench_floor_handler(request_rec *r)
{
    char buf[8192];
    long n = 0;
    int rc;

    if (r->handler == NULL || strcmp(r->handler, "bench-floor")) {
        return DECLINED;
    }
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        return rc;
    }
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
            /* read and drop */
        }
    }
    if (n < 0) {
        return HTTP_BAD_REQUEST;
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/* The whole body in one buffer from r->pool, with one byte to spare for
 * the '\n' of bench-parse-write.  OK or an HTTP status. */
static int read_whole_body(request_rec *r, char **body, apr_size_t *len)
{
    apr_size_t cap, used = 0;
    char *buf;
    long n = 0;
    int rc;

    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        return rc;
    }
    if (r->remaining > BENCH_MAX_BODY) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    cap = r->remaining > 0 ? (apr_size_t)r->remaining : 2048;
    buf = apr_palloc(r->pool, cap + 1);
    if (ap_should_client_block(r)) {
        for (;;) {
            if (used == cap) {
                char *bigger;

                if (cap >= BENCH_MAX_BODY) {
                    return HTTP_REQUEST_ENTITY_TOO_LARGE;
                }
                bigger = apr_palloc(r->pool, 2 * cap + 1);
                memcpy(bigger, buf, used);
                buf = bigger;
                cap *= 2;
            }
            n = ap_get_client_block(r, buf + used, cap - used);
            if (n <= 0) {
                break;
            }
            used += (apr_size_t)n;
        }
    }
    if (n < 0) {
        return HTTP_BAD_REQUEST;
    }
    *body = buf;
    *len = used;
    return OK;
}

static int bench_parse_handler(request_rec *r)
{
    bench_floor_conf_t *conf;
    json_error_t err;
    json_t *root;
    char *body;
    apr_size_t len, i;
    ssize_t written;
    int write_too, rc;

    if (r->handler == NULL) {
        return DECLINED;
    }
    if (!strcmp(r->handler, "bench-parse")) {
        write_too = 0;
    }
    else if (!strcmp(r->handler, "bench-parse-write")) {
        write_too = 1;
    }
    else {
        return DECLINED;
    }
    rc = read_whole_body(r, &body, &len);
    if (rc != OK) {
        return rc;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &err);
    if (root == NULL) {
        return HTTP_BAD_REQUEST;
    }
    json_decref(root);
    if (write_too) {
        conf = ap_get_module_config(r->server->module_config,
                                    &bench_floor_module);
        if (conf->log_fd < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "bench-parse-write: no BenchFloorLog");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* one record a line */
        for (i = 0; i < len; i++) {
            if (body[i] == '\n' || body[i] == '\r') {
                body[i] = ' ';
            }
        }
        body[len] = '\n';
        do {
            written = write(conf->log_fd, body, len + 1);
        } while (written < 0 && errno == EINTR);
        if (written < 0 || (apr_size_t)written != len + 1) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR,
                          written < 0 ? APR_FROM_OS_ERROR(errno) : 0, r,
                          "bench-parse-write: write to %s: %ld of %lu"
                          " bytes", conf->log_path, (long)written,
                          (unsigned long)(len + 1));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    bench_floor_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->log_fd = -1;
    return conf;
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    bench_floor_conf_t *base = basev, *add = addv;
    bench_floor_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->log_path = add->log_path ? add->log_path : base->log_path;
    conf->log_fd = -1;
    return conf;
}

static const char *set_log(cmd_parms *cmd, void *dummy, const char *arg)
{
    bench_floor_conf_t *conf =
        ap_get_module_config(cmd->server->module_config,
                             &bench_floor_module);

    (void)dummy;
    conf->log_path = ap_server_root_relative(cmd->pool, arg);
    if (conf->log_path == NULL) {
        return apr_pstrcat(cmd->pool, "BenchFloorLog: bad path ", arg, NULL);
    }
    return NULL;
}

static apr_status_t close_log(void *data)
{
    bench_floor_conf_t *conf = data;

    if (conf->log_fd >= 0) {
        close(conf->log_fd);
        conf->log_fd = -1;
    }
    return APR_SUCCESS;
}

/* In the parent, before the children drop privileges: they inherit the
 * descriptor. */
static int bench_floor_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    for (; s; s = s->next) {
        bench_floor_conf_t *conf =
            ap_get_module_config(s->module_config, &bench_floor_module);

        if (conf->log_path == NULL || conf->log_fd >= 0) {
            continue;
        }
        conf->log_fd = open(conf->log_path,
                            O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (conf->log_fd < 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, APR_FROM_OS_ERROR(errno), s,
                         "BenchFloorLog: cannot open %s", conf->log_path);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_pool_cleanup_register(pconf, conf, close_log,
                                  apr_pool_cleanup_null);
    }
    return OK;
}

static const command_rec bench_floor_cmds[] = {
    AP_INIT_TAKE1("BenchFloorLog", set_log, NULL, RSRC_CONF,
                  "the file bench-parse-write appends each body to"),
    { NULL }
};

static void bench_floor_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(bench_floor_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* after the floor's, so that the floor's requests never meet it */
    ap_hook_handler(bench_parse_handler, NULL, NULL, APR_HOOK_LAST);
    ap_hook_post_config(bench_floor_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_floor) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    create_server_conf,
    merge_server_conf,
    bench_floor_cmds,
    bench_floor_register_hooks,
    AP_MODULE_FLAG_NONE
};
