/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stdlib.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <util_cfgtree.h>

#include "spintly.h"
#include "spintly_config.h"
#include "spintly_dbd.h"
#include "spintly_keys.h"
#include "spintly_sink.h"

APLOG_USE_MODULE(spintly);

#define SPINTLY_MAX_BODY_LIMIT (16 * 1024 * 1024)

void *spintly_create_dir_conf(apr_pool_t *p, char *dir)
{
    spintly_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->max_body = -1;
    conf->write_timeout = -1;
    conf->sync = -1;
    return conf;
}

void *spintly_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    spintly_dir_conf_t *base = basev, *add = addv;
    spintly_dir_conf_t *conf = apr_palloc(p, sizeof(*conf));

    conf->keys = add->keys ? add->keys : base->keys;
    conf->dests = add->dests ? add->dests : base->dests;
    conf->dbd_insert = add->dbd_insert ? add->dbd_insert : base->dbd_insert;
    conf->accept_types = add->accept_types ? add->accept_types
                                           : base->accept_types;
    conf->max_body = add->max_body >= 0 ? add->max_body : base->max_body;
    conf->write_timeout = add->write_timeout >= 0 ? add->write_timeout
                                                  : base->write_timeout;
    conf->sync = add->sync >= 0 ? add->sync : base->sync;
    return conf;
}

apr_off_t spintly_max_body(const spintly_dir_conf_t *conf)
{
    return conf->max_body >= 0 ? conf->max_body : SPINTLY_DEFAULT_MAX_BODY;
}

apr_interval_time_t spintly_write_timeout(const spintly_dir_conf_t *conf)
{
    return conf->write_timeout >= 0 ? conf->write_timeout
                                    : SPINTLY_DEFAULT_WRITE_TIMEOUT;
}

static apr_array_header_t *scope_keys(cmd_parms *cmd, spintly_dir_conf_t *conf)
{
    if (conf->keys == NULL) {
        conf->keys = apr_array_make(cmd->pool, 2, sizeof(spintly_key_t));
    }
    return conf->keys;
}

static const char *set_api_key(cmd_parms *cmd, void *dconf, const char *key,
                               const char *name)
{
    const char *err = spintly_keys_add(cmd->pool, scope_keys(cmd, dconf),
                                       key, name);

    return err ? apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL)
               : NULL;
}

static const char *set_api_key_file(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    int world_readable = 0;
    const char *err;

    if (path == NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path ",
                           arg, NULL);
    }
    err = spintly_keys_load_file(cmd->pool, scope_keys(cmd, dconf), path,
                                 &world_readable);
    if (err) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    if (world_readable) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     SPINTLY_LOGNO(0002) "SpintlyApiKeyFile %s is readable "
                     "by other users; chmod o-r it", path);
    }
    return NULL;
}

static const char *set_log(cmd_parms *cmd, void *dconf, const char *spec)
{
    spintly_dir_conf_t *conf = dconf;
    spintly_dest_t *dest, **slot;
    const char *err = spintly_dest_declare(cmd, spec, &dest);
    int i;

    if (err) {
        return err;
    }
    if (conf->dests == NULL) {
        conf->dests = apr_array_make(cmd->pool, 2, sizeof(spintly_dest_t *));
    }
    for (i = 0; i < conf->dests->nelts; i++) {
        if (APR_ARRAY_IDX(conf->dests, i, spintly_dest_t *) == dest) {
            return apr_pstrcat(cmd->pool, "SpintlyLog: ", spec,
                               " is named twice here", NULL);
        }
    }
    slot = apr_array_push(conf->dests);
    *slot = dest;
    return NULL;
}

static const char *set_dbd_insert(cmd_parms *cmd, void *dconf,
                                  const char *sql)
{
    spintly_dir_conf_t *conf = dconf;

    if (conf->dbd_insert) {
        return "SpintlyDBDInsert: only one statement per section";
    }
    return spintly_dbd_declare(cmd, sql, &conf->dbd_insert);
}

static const char *set_max_body(cmd_parms *cmd, void *dconf, const char *arg)
{
    spintly_dir_conf_t *conf = dconf;
    apr_off_t n;
    char *end;

    if (apr_strtoff(&n, arg, &end, 10) != APR_SUCCESS || *end || n < 1
        || n > SPINTLY_MAX_BODY_LIMIT) {
        return apr_psprintf(cmd->pool, "SpintlyMaxBody: \"%s\" is not a "
                            "number of bytes from 1 to %d", arg,
                            SPINTLY_MAX_BODY_LIMIT);
    }
    conf->max_body = n;
    return NULL;
}

static const char *set_write_timeout(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    spintly_dir_conf_t *conf = dconf;
    char *end;
    double secs = strtod(arg, &end);

    if (end == arg || *end || !(secs >= 0.1 && secs <= 300)) {
        return apr_psprintf(cmd->pool, "SpintlyWriteTimeout: \"%s\" is not "
                            "a number of seconds from 0.1 to 300", arg);
    }
    conf->write_timeout = (apr_interval_time_t)(secs * APR_USEC_PER_SEC);
    return NULL;
}

static const char *set_sync(cmd_parms *cmd, void *dconf, int on)
{
    (void)cmd;
    ((spintly_dir_conf_t *)dconf)->sync = on;
    return NULL;
}

static const char *add_accept_type(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    spintly_dir_conf_t *conf = dconf;
    const char *c;

    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_' && *c != '-' && *c != '.') {
            return apr_pstrcat(cmd->pool, "SpintlyAcceptTypes: \"", arg,
                               "\" is not a message type (letters, digits,"
                               " _ - .)", NULL);
        }
    }
    if (!*arg) {
        return "SpintlyAcceptTypes: empty message type";
    }
    if (conf->accept_types == NULL) {
        conf->accept_types = apr_array_make(cmd->pool, 2,
                                            sizeof(const char *));
    }
    APR_ARRAY_PUSH(conf->accept_types, const char *) = arg;
    return NULL;
}

const command_rec spintly_directives[] = {
    AP_INIT_TAKE12("SpintlyApiKey", set_api_key, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "An accepted x-api-key value and an optional name for "
                   "it; repeat for several keys"),
    AP_INIT_TAKE1("SpintlyApiKeyFile", set_api_key_file, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "A file of accepted keys, one \"KEY [NAME]\" a line"),
    AP_INIT_TAKE1("SpintlyLog", set_log, NULL, RSRC_CONF | ACCESS_CONF,
                  "Where accepted events go: a file, |prog or |$cmd; "
                  "repeat to write to several"),
    AP_INIT_TAKE1("SpintlyDBDInsert", set_dbd_insert, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "The INSERT to run through mod_dbd for each accepted "
                  "event, with named placeholders such as :eventId"),
    AP_INIT_TAKE1("SpintlyMaxBody", set_max_body, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Largest request body accepted, in bytes (default "
                  "65536)"),
    AP_INIT_TAKE1("SpintlyWriteTimeout", set_write_timeout, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Seconds a request may wait for its destinations before "
                  "it is answered 503 (default 5)"),
    AP_INIT_FLAG("SpintlySync", set_sync, NULL, RSRC_CONF | ACCESS_CONF,
                 "On: file destinations reach the disk (fdatasync, shared "
                 "by concurrent requests) before the 200 (default Off)"),
    AP_INIT_ITERATE("SpintlyAcceptTypes", add_accept_type, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "messageData.msgType values accepted (default "
                    "access_event)"),
    { NULL }
};

/*
 * configtest: "SetHandler spintly" is a core directive, so the check walks
 * the configuration tree.  A section is covered when the setting appears
 * in it, in its server's top level (or the main server's), or in a
 * non-regex <Location> whose path is a prefix of its own.
 */

typedef struct {
    const ap_directive_t *node;     /* the section */
    const ap_directive_t *vhost;    /* its <VirtualHost>, or NULL */
    const char *path;               /* <Location> path; NULL otherwise */
    int has_keys, has_logs, handler;
} spintly_section_t;

static int is_directive(const ap_directive_t *d, const char *name)
{
    return d->directive && !strcasecmp(d->directive, name);
}

static int sets_handler(const ap_directive_t *d)
{
    const char *a = d->args;
    apr_size_t len;

    if (!is_directive(d, "SetHandler") || a == NULL) {
        return 0;
    }
    len = strlen(a);
    if (len >= 2 && (*a == '"' || *a == '\'') && a[len - 1] == *a) {
        a++;
        len -= 2;
    }
    return len == 7 && !strncasecmp(a, "spintly", 7);
}

static void note_directive(const ap_directive_t *d, spintly_section_t *sec)
{
    if (is_directive(d, "SpintlyApiKey")
        || is_directive(d, "SpintlyApiKeyFile")) {
        sec->has_keys = 1;
    }
    else if (is_directive(d, "SpintlyLog")
             || is_directive(d, "SpintlyDBDInsert")) {
        sec->has_logs = 1;
    }
    else if (sets_handler(d)) {
        sec->handler = 1;
    }
}

static int is_section(const ap_directive_t *d)
{
    return is_directive(d, "<Location") || is_directive(d, "<LocationMatch")
           || is_directive(d, "<Directory")
           || is_directive(d, "<DirectoryMatch")
           || is_directive(d, "<Files") || is_directive(d, "<FilesMatch");
}

/* Walk one level, looking through conditionals (<IfModule>, <If>, ...). */
static void walk(const ap_directive_t *d, spintly_section_t *scope,
                 const ap_directive_t *vhost, apr_array_header_t *sections,
                 apr_pool_t *p)
{
    for (; d; d = d->next) {
        if (is_section(d)) {
            spintly_section_t *sec = apr_array_push(sections);

            memset(sec, 0, sizeof(*sec));
            sec->node = d;
            sec->vhost = vhost;
            if (is_directive(d, "<Location") && d->args
                && d->args[0] != '~') {
                char *path = apr_pstrdup(p, d->args);
                apr_size_t len = strlen(path);

                if (len && path[len - 1] == '>') {
                    path[--len] = '\0';
                }
                if (len >= 2 && path[0] == '"' && path[len - 1] == '"') {
                    path[len - 1] = '\0';
                    path++;
                }
                sec->path = path;
            }
            /* settings nested deeper still apply to this section */
            walk(d->first_child, sec, vhost, sections, p);
        }
        else if (is_directive(d, "<VirtualHost")) {
            spintly_section_t *top = apr_array_push(sections);

            memset(top, 0, sizeof(*top));
            top->node = d;
            top->vhost = d;
            walk(d->first_child, top, d, sections, p);
        }
        else if (d->first_child) {
            walk(d->first_child, scope, vhost, sections, p);
        }
        else {
            note_directive(d, scope);
        }
    }
}

static int covers(const spintly_section_t *outer,
                  const spintly_section_t *sec)
{
    if (outer == sec) {
        return 1;
    }
    if (outer->vhost != NULL && outer->vhost != sec->vhost) {
        return 0;
    }
    if (outer->node == outer->vhost || outer->node == NULL) {
        return 1;   /* a server's top level */
    }
    return outer->path && sec->path
           && !strncmp(outer->path, sec->path, strlen(outer->path));
}

int spintly_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *sections = apr_array_make(ptemp, 8,
                                                  sizeof(spintly_section_t));
    spintly_section_t *main_scope;
    int i, j, failed = 0;

    (void)pconf;
    (void)plog;
    main_scope = apr_array_push(sections);
    memset(main_scope, 0, sizeof(*main_scope));
    walk(ap_conftree, main_scope, NULL, sections, ptemp);

    for (i = 0; i < sections->nelts; i++) {
        spintly_section_t *sec = &APR_ARRAY_IDX(sections, i,
                                                spintly_section_t);
        int keys = 0, logs = 0;

        if (!sec->handler) {
            continue;
        }
        for (j = 0; j < sections->nelts; j++) {
            spintly_section_t *o = &APR_ARRAY_IDX(sections, j,
                                                  spintly_section_t);
            if (covers(o, sec)) {
                keys |= o->has_keys;
                logs |= o->has_logs;
            }
        }
        if (!keys || !logs) {
            const ap_directive_t *d = sec->node;

            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                         SPINTLY_LOGNO(0003) "%s%s%s (%s:%d) sets "
                         "\"SetHandler spintly\" but no %s applies to it",
                         d ? d->directive : "the server",
                         d ? " " : "", d ? d->args : "",
                         d ? d->filename : "-", d ? d->line_num : 0,
                         !keys ? "SpintlyApiKey or SpintlyApiKeyFile"
                               : "SpintlyLog or SpintlyDBDInsert");
            failed = 1;
        }
    }
    return failed ? !OK : OK;
}
