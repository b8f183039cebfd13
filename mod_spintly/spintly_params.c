/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "spintly_params.h"

/* Receipt values first, then what comes from the message. */
const char *const spintly_param_names[] = {
    "receivedAt", "keyName", "clientIp", "message", "eventTime",
    "requestId", "msgType",
    /* messageData.data, as Spintly documents it */
    "eventId", "orgId", "eventTimeEpoch", "direction", "accessType",
    "siteId", "accessPointId", "orgUserId", "integratorId", "employeeCode",
    "accessPointName", "name", "mobileAccessMode",
    /* the longer variant's fields */
    "timezonedEventTime", "forAccess", "forAttendance", "siteName",
    "accessorId", "attributes", "email", "phone", "siteLocation",
    NULL
};

int spintly_param_known(const char *name)
{
    const char *const *n;

    for (n = spintly_param_names; *n; n++) {
        if (!strcmp(*n, name)) {
            return 1;
        }
    }
    return 0;
}

const char *spintly_sql_compile(apr_pool_t *p, const char *text,
                                spintly_sql_t **out)
{
    spintly_sql_t *sql = apr_palloc(p, sizeof(*sql));
    /* each ":name" (2+ bytes) becomes "%s"; each "%" becomes "%%" */
    char *buf = apr_palloc(p, 2 * strlen(text) + 1);
    char *o = buf;
    const char *c = text;
    char quote = 0;

    sql->names = apr_array_make(p, 16, sizeof(const char *));
    while (*c) {
        if (quote) {
            if (*c == quote) {
                quote = 0;
            }
            if (*c == '%') {
                *o++ = '%';
            }
            *o++ = *c++;
        }
        else if (*c == '\'' || *c == '"') {
            quote = *c;
            *o++ = *c++;
        }
        else if (*c == ':' && c[1] == ':') {
            *o++ = *c++;        /* a PostgreSQL cast */
            *o++ = *c++;
        }
        else if (*c == ':' && (apr_isalpha(c[1]) || c[1] == '_')) {
            const char *start = ++c;
            char *name;

            while (apr_isalnum(*c) || *c == '_') {
                c++;
            }
            name = apr_pstrmemdup(p, start, c - start);
            if (!spintly_param_known(name)) {
                return apr_psprintf(p, "unknown placeholder :%s (known: "
                                    ":eventId, :orgId, :eventTime, "
                                    ":receivedAt, :keyName, :message, "
                                    ":requestId and every field of "
                                    "messageData.data)", name);
            }
            APR_ARRAY_PUSH(sql->names, const char *) = name;
            *o++ = '%';
            *o++ = 's';
        }
        else {
            if (*c == '%') {
                *o++ = '%';
            }
            *o++ = *c++;
        }
    }
    if (quote) {
        return "unterminated quote";
    }
    if (sql->names->nelts == 0) {
        return "the statement has no placeholder (such as :eventId)";
    }
    *o = '\0';
    sql->sql = buf;
    *out = sql;
    return NULL;
}

/* eventTimeEpoch as an ISO 8601 UTC timestamp, which SQLite's date
 * functions and PostgreSQL's timestamptz both read. */
static const char *event_time(apr_pool_t *p, const spintly_event_t *ev)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, apr_time_from_sec(ev->event_time));
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char **spintly_params_values(apr_pool_t *p, const spintly_sql_t *sql,
                                   const spintly_event_t *ev,
                                   const spintly_receipt_t *rc)
{
    const char **values = apr_palloc(p, sizeof(*values)
                                        * (sql->names->nelts + 1));
    int i;

    for (i = 0; i < sql->names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(sql->names, i, const char *);
        const char *v;

        if (!strcmp(name, "receivedAt")) {
            char *when = apr_palloc(p, 32);

            spintly_format_time(when, rc->received_at);
            v = when;
        }
        else if (!strcmp(name, "keyName")) {
            v = rc->key_name;
        }
        else if (!strcmp(name, "clientIp")) {
            v = rc->client_ip;
        }
        else if (!strcmp(name, "message")) {
            v = ev->message;
        }
        else if (!strcmp(name, "eventTime")) {
            v = event_time(p, ev);
        }
        else {
            v = spintly_event_value(p, ev, name);
        }
        values[i] = v;
    }
    values[i] = NULL;
    return values;
}
