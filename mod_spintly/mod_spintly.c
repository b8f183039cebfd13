/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_spintly: receive Spintly access events inside Apache httpd.
 *
 * This file is the glue: the module record, the hooks and the handler.
 * Keys (spintly_keys.c) and events (spintly_event.c) need no httpd;
 * destinations are in spintly_sink.c and spintly_pipe.c.
 */

#include <apr_lib.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "spintly.h"
#include "spintly_config.h"
#include "spintly_dbd.h"
#include "spintly_event.h"
#include "spintly_keys.h"
#include "spintly_sink.h"

/* Seconds a sender should wait before retrying after a 503. */
#define SPINTLY_RETRY_AFTER "5"

/* The whole answer in one pass down the output filters: the body and the
 * end of the response together, without ap_rputs's buffering filter. */
static int send_body(request_rec *r, const char *type, const char *text)
{
    conn_rec *c = r->connection;
    apr_size_t len = strlen(text);
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, c->bucket_alloc);

    ap_set_content_type(r, type);
    ap_set_content_length(r, len);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(text, len, r->pool,
                                                       c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(c->bucket_alloc));
    return ap_pass_brigade_fchk(r, bb, "mod_spintly: sending the answer");
}

/* Answer with an RFC 9457 problem document.  The detail never holds a key
 * and at most a short excerpt of the body. */
static int send_problem(request_rec *r, int status, const char *detail,
                        const char *pointer)
{
    const char *body;

    r->status = status;
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->headers_out, "Retry-After", SPINTLY_RETRY_AFTER);
    }
    body = apr_pstrcat(r->pool,
                       "{\"type\":\"about:blank\",\"title\":",
                       spintly_json_quote(r->pool,
                                          ap_get_status_line(status) + 4),
                       ",\"status\":", apr_itoa(r->pool, status),
                       ",\"detail\":", spintly_json_quote(r->pool, detail),
                       pointer ? ",\"pointer\":" : "",
                       pointer ? spintly_json_quote(r->pool, pointer) : "",
                       "}\n", NULL);
    return send_body(r, "application/problem+json", body);
}

/* Refuse before the body was read: read no more of it than the limit. */
static int refuse_early(request_rec *r, const spintly_dir_conf_t *conf,
                        int status, const char *detail)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t len = 0;

    r->status = status;
    if ((cl && (apr_strtoff(&len, cl, NULL, 10) != APR_SUCCESS
                || len > spintly_max_body(conf)))
        || (!cl && apr_table_get(r->headers_in, "Transfer-Encoding"))) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    else if (ap_discard_request_body(r) != OK) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return send_problem(r, status, detail, NULL);
}

static void log_rejection(request_rec *r, int status, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SPINTLY_LOGNO(0101)
                  "rejected with %d: %s", status, why);
}

static int is_json_type(const char *ct)
{
    const char *semi = strchr(ct, ';');
    apr_size_t len = semi ? (apr_size_t)(semi - ct) : strlen(ct);

    while (len && apr_isspace(ct[len - 1])) {
        len--;
    }
    if (len == 16 && !strncasecmp(ct, "application/json", 16)) {
        return 1;
    }
    /* application/something+json */
    return len > 17 && !strncasecmp(ct, "application/", 12)
           && !strncasecmp(ct + len - 5, "+json", 5);
}

/* Read the whole body into one buffer, up to max bytes.
 * @return OK, or the HTTP status to answer */
static int read_body(request_rec *r, apr_off_t max, char **body,
                     apr_size_t *len)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_size_t cap, used = 0;
    char *buf;
    int seen_eos = 0;

    if (cl) {
        apr_off_t declared;

        if (apr_strtoff(&declared, cl, NULL, 10) != APR_SUCCESS
            || declared < 0) {
            return HTTP_BAD_REQUEST;
        }
        if (declared > max) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        cap = (apr_size_t)declared;
    }
    else {
        cap = 2048;
    }
    buf = apr_palloc(r->pool, cap + 1);

    do {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            apr_brigade_destroy(bb);
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            rv = apr_bucket_read(b, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                apr_brigade_destroy(bb);
                return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            }
            if ((apr_off_t)(used + n) > max) {
                apr_brigade_destroy(bb);
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            if (used + n > cap) {
                char *bigger;

                while (used + n > cap) {
                    cap *= 2;
                }
                if ((apr_off_t)cap > max) {
                    cap = (apr_size_t)max;
                }
                bigger = apr_palloc(r->pool, cap + 1);
                memcpy(bigger, buf, used);
                buf = bigger;
            }
            memcpy(buf + used, data, n);
            used += n;
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);

    apr_brigade_destroy(bb);
    buf[used] = '\0';
    *body = buf;
    *len = used;
    return OK;
}

/* Every destination has the event, or the answer is 503: the database
 * first, as the likeliest to refuse, then the files and pipes. */
static int store_everywhere(request_rec *r, const spintly_dir_conf_t *conf,
                            const spintly_event_t *ev,
                            const spintly_receipt_t *receipt,
                            int *duplicate)
{
    apr_time_t deadline = apr_time_now() + spintly_write_timeout(conf);
    const char *rec;
    apr_size_t len;
    int i;

    *duplicate = 0;
    if (conf->dbd_insert) {
        switch (spintly_dbd_store(r, conf->dbd_insert, ev, receipt,
                                  deadline)) {
        case SPINTLY_DBD_FAILED:
            return HTTP_SERVICE_UNAVAILABLE;
        case SPINTLY_DBD_DUPLICATE:
            *duplicate = 1;
            break;
        case SPINTLY_DBD_STORED:
            break;
        }
    }
    if (conf->dests == NULL) {
        return OK;
    }
    rec = spintly_record_format(r->pool, ev, receipt, &len);
    for (i = 0; i < conf->dests->nelts; i++) {
        spintly_dest_t *dest = APR_ARRAY_IDX(conf->dests, i,
                                             spintly_dest_t *);
        apr_status_t rv = spintly_dest_write(dest, rec, len, deadline,
                                             conf->sync == 1);

        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, SPINTLY_LOGNO(0102)
                          "503: cannot write the event to SpintlyLog %s%s",
                          dest->spec, APR_STATUS_IS_TIMEUP(rv)
                          ? " within SpintlyWriteTimeout" : "");
            return HTTP_SERVICE_UNAVAILABLE;
        }
    }
    return OK;
}

static int spintly_handler(request_rec *r)
{
    spintly_dir_conf_t *conf;
    const spintly_key_t *key;
    spintly_validation_t rules;
    spintly_problem_t problem;
    spintly_receipt_t receipt;
    spintly_event_t *ev;
    const char *value;
    char *body = NULL;
    apr_size_t body_len = 0;
    int status, duplicate;

    if (r->handler == NULL || strcmp(r->handler, "spintly")) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &spintly_module);
    if (conf->keys == NULL || conf->keys->nelts == 0
        || (conf->dests == NULL && conf->dbd_insert == NULL)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, SPINTLY_LOGNO(0103)
                      "500: SetHandler spintly here, but no %s applies",
                      conf->keys ? "SpintlyLog or SpintlyDBDInsert"
                                 : "SpintlyApiKey");
        return refuse_early(r, conf, HTTP_INTERNAL_SERVER_ERROR,
                            "this receiver is not configured");
    }

    if (r->method_number != M_POST) {
        log_rejection(r, HTTP_METHOD_NOT_ALLOWED, r->method);
        r->allowed = AP_METHOD_BIT << M_POST;
        apr_table_setn(r->headers_out, "Allow", "POST");
        return refuse_early(r, conf, HTTP_METHOD_NOT_ALLOWED,
                            "events are delivered with POST");
    }

    value = apr_table_get(r->headers_in, "x-api-key");
    key = value ? spintly_keys_match(conf->keys, value, strlen(value))
                : NULL;
    if (key == NULL) {
        log_rejection(r, HTTP_UNAUTHORIZED, value ? "unknown x-api-key"
                                                  : "no x-api-key");
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       "ApiKey header=\"x-api-key\"");
        return refuse_early(r, conf, HTTP_UNAUTHORIZED, value
                            ? "the x-api-key header does not hold an "
                              "accepted key"
                            : "the x-api-key header is missing");
    }
    r->user = (char *)key->name;

    value = apr_table_get(r->headers_in, "Content-Type");
    if (value && !is_json_type(value)) {
        log_rejection(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type");
        return refuse_early(r, conf, HTTP_UNSUPPORTED_MEDIA_TYPE,
                            "the body must be application/json");
    }

    status = read_body(r, spintly_max_body(conf), &body, &body_len);
    if (status == AP_FILTER_ERROR) {
        return status;
    }
    if (status != OK) {
        log_rejection(r, status, "body could not be read");
        r->connection->keepalive = AP_CONN_CLOSE;
        return send_problem(r, status,
                            status == HTTP_REQUEST_ENTITY_TOO_LARGE
                            ? apr_psprintf(r->pool, "the body is larger than"
                                           " %" APR_OFF_T_FMT " bytes",
                                           spintly_max_body(conf))
                            : "the body could not be read", NULL);
    }

    rules.accept_types = conf->accept_types;
    status = spintly_event_parse(r->pool, body, body_len, &rules, &ev,
                                 &problem);
    if (status) {
        log_rejection(r, status, problem.pointer
                      ? apr_pstrcat(r->pool, "invalid event at ",
                                    problem.pointer, NULL)
                      : "not JSON");
        return send_problem(r, status, problem.detail, problem.pointer);
    }

    receipt.received_at = r->request_time;
    receipt.key_name = key->name;
    receipt.client_ip = r->useragent_ip;
    status = store_everywhere(r, conf, ev, &receipt, &duplicate);
    if (status != OK) {
        return send_problem(r, status, "the event could not be stored; "
                            "send it again later", NULL);
    }

    value = apr_psprintf(r->pool, "{\"status\":\"accepted\",\"eventId\":%"
                         APR_INT64_T_FMT "%s}\n", ev->event_id,
                         duplicate ? ",\"duplicate\":true" : "");
    return send_body(r, "application/json", value);
}

/* The receiver's URL is not a file.  As mod_proxy and mod_dav_svn do,
 * where SetHandler spintly applies, name no file and skip core's walk of
 * the file system (a stat of every component of the path, on every
 * request): <Directory>, <Files> and .htaccess do not apply here; the
 * <Location> does.  LAST: Alias, Redirect and RewriteRule come first. */
#define SPINTLY_NO_FILE_NOTE "spintly-no-file"

static int spintly_translate_name(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *handler, *err = NULL;

    if (d == NULL || d->expr_handler == NULL) {
        return DECLINED;
    }
    handler = ap_expr_str_exec(r, d->expr_handler, &err);
    if (err != NULL || handler == NULL || strcmp(handler, "spintly")) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, "spintly:", r->uri, NULL);
    apr_table_setn(r->notes, SPINTLY_NO_FILE_NOTE, "1");
    return OK;
}

static int spintly_map_to_storage(request_rec *r)
{
    return apr_table_get(r->notes, SPINTLY_NO_FILE_NOTE) ? OK : DECLINED;
}

static int spintly_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    spintly_dests_reset(pconf);
    return OK;
}

static int spintly_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    return spintly_dests_open(pconf, ptemp, s);
}

static void spintly_child_init(apr_pool_t *pchild, server_rec *s)
{
    spintly_dests_child_init(pchild, s);
}

static void spintly_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(spintly_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(spintly_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_open_logs(spintly_open_logs, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(spintly_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(spintly_translate_name, NULL, NULL,
                           APR_HOOK_LAST);
    ap_hook_map_to_storage(spintly_map_to_storage, NULL, NULL,
                           APR_HOOK_LAST);
    ap_hook_handler(spintly_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(spintly) = {
    STANDARD20_MODULE_STUFF,
    spintly_create_dir_conf,
    spintly_merge_dir_conf,
    NULL,
    NULL,
    spintly_directives,
    spintly_register_hooks,
    AP_MODULE_FLAG_NONE
};
