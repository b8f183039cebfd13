/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <jansson.h>

#include <apr_strings.h>

#include "spintly_event.h"

/* What a field of messageData.data must hold. */
typedef enum {
    FIELD_POSITIVE_INT,     /* integer > 0 */
    FIELD_INT,              /* any integer */
    FIELD_NONEMPTY_STRING,
    FIELD_STRING_OR_NULL,   /* a missing field counts as null */
    FIELD_DIRECTION         /* "entry" or "exit" */
} field_kind_e;

typedef struct {
    const char *name;
    field_kind_e kind;
} field_rule_t;

static const field_rule_t data_rules[] = {
    { "eventId",          FIELD_POSITIVE_INT },
    { "orgId",            FIELD_POSITIVE_INT },
    { "eventTimeEpoch",   FIELD_POSITIVE_INT },
    { "direction",        FIELD_DIRECTION },
    { "accessType",       FIELD_NONEMPTY_STRING },
    { "siteId",           FIELD_INT },
    { "accessPointId",    FIELD_INT },
    { "orgUserId",        FIELD_INT },
    { "integratorId",     FIELD_INT },
    { "employeeCode",     FIELD_STRING_OR_NULL },
    { "accessPointName",  FIELD_STRING_OR_NULL },
    { "name",             FIELD_STRING_OR_NULL },
    { "mobileAccessMode", FIELD_STRING_OR_NULL },
    { NULL, 0 }
};

static int refuse(spintly_problem_t *problem, int status,
                  const char *pointer, const char *detail)
{
    problem->status = status;
    problem->pointer = pointer;
    problem->detail = detail;
    return status;
}

/* Keep a detail printable and short whatever the input held. */
static const char *printable(apr_pool_t *p, const char *text)
{
    char *out = apr_pstrndup(p, text, 120);
    char *c;

    for (c = out; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
            *c = '?';
        }
    }
    return out;
}

/* Reject nesting deeper than SPINTLY_MAX_DEPTH before jansson recurses. */
static int depth_ok(const char *s, apr_size_t len, apr_size_t *where)
{
    int depth = 0, in_string = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (in_string) {
            if (c == '\\') {
                i++;
            }
            else if (c == '"') {
                in_string = 0;
            }
        }
        else if (c == '"') {
            in_string = 1;
        }
        else if (c == '{' || c == '[') {
            if (++depth > SPINTLY_MAX_DEPTH) {
                *where = i;
                return 0;
            }
        }
        else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

static apr_status_t release_doc_cleanup(void *doc)
{
    json_decref((json_t *)doc);
    return APR_SUCCESS;
}

static int check_integer_field(apr_pool_t *p, spintly_problem_t *problem,
                               const char *ptr, json_t *v, int positive,
                               apr_int64_t *out)
{
    if (!json_is_integer(v)) {
        return refuse(problem, 422, ptr, apr_pstrcat(p, ptr,
                      positive ? " must be a positive integer"
                               : " must be an integer", NULL));
    }
    if (positive && json_integer_value(v) <= 0) {
        return refuse(problem, 422, ptr,
                      apr_pstrcat(p, ptr, " must be a positive integer",
                                  NULL));
    }
    if (out) {
        *out = (apr_int64_t)json_integer_value(v);
    }
    return 0;
}

static int check_data(apr_pool_t *p, json_t *data, spintly_event_t *ev,
                      spintly_problem_t *problem)
{
    const field_rule_t *rule;

    for (rule = data_rules; rule->name; rule++) {
        json_t *v = json_object_get(data, rule->name);
        const char *ptr = apr_pstrcat(p, "/messageData/data/", rule->name,
                                      NULL);
        apr_int64_t *out = NULL;
        int rc;

        if (v == NULL && rule->kind != FIELD_STRING_OR_NULL) {
            return refuse(problem, 422, ptr,
                          apr_pstrcat(p, ptr, " is required", NULL));
        }
        switch (rule->kind) {
        case FIELD_POSITIVE_INT:
            if (!strcmp(rule->name, "eventId")) {
                out = &ev->event_id;
            }
            else if (!strcmp(rule->name, "orgId")) {
                out = &ev->org_id;
            }
            else {
                out = &ev->event_time;
            }
            /* fall through */
        case FIELD_INT:
            rc = check_integer_field(p, problem, ptr, v,
                                     rule->kind == FIELD_POSITIVE_INT, out);
            if (rc) {
                return rc;
            }
            break;
        case FIELD_NONEMPTY_STRING:
            if (!json_is_string(v) || json_string_length(v) == 0) {
                return refuse(problem, 422, ptr, apr_pstrcat(p, ptr,
                              " must be a non-empty string", NULL));
            }
            break;
        case FIELD_STRING_OR_NULL:
            if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
                return refuse(problem, 422, ptr, apr_pstrcat(p, ptr,
                              " must be a string or null", NULL));
            }
            break;
        case FIELD_DIRECTION:
            if (!json_is_string(v)
                || (strcmp(json_string_value(v), "entry")
                    && strcmp(json_string_value(v), "exit"))) {
                return refuse(problem, 422, ptr, apr_pstrcat(p, ptr,
                              " must be \"entry\" or \"exit\"", NULL));
            }
            break;
        }
    }
    return 0;
}

static int type_accepted(const spintly_validation_t *rules, const char *type)
{
    int i;

    if (rules == NULL || rules->accept_types == NULL
        || rules->accept_types->nelts == 0) {
        return !strcmp(type, "access_event");
    }
    for (i = 0; i < rules->accept_types->nelts; i++) {
        if (!strcmp(type, APR_ARRAY_IDX(rules->accept_types, i,
                                        const char *))) {
            return 1;
        }
    }
    return 0;
}

static int check_document(apr_pool_t *p, json_t *root,
                          const spintly_validation_t *rules,
                          spintly_event_t *ev, spintly_problem_t *problem)
{
    json_t *md, *v, *data;

    if (!json_is_object(root)) {
        return refuse(problem, 422, "",
                      "the document must be a JSON object");
    }
    v = json_object_get(root, "messageVersion");
    if (v == NULL) {
        return refuse(problem, 422, "/messageVersion",
                      "/messageVersion is required");
    }
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        return refuse(problem, 422, "/messageVersion",
                      "/messageVersion must be 1");
    }
    md = json_object_get(root, "messageData");
    if (!json_is_object(md)) {
        return refuse(problem, 422, "/messageData", md == NULL
                      ? "/messageData is required"
                      : "/messageData must be an object");
    }
    v = json_object_get(md, "msgType");
    if (!json_is_string(v)) {
        return refuse(problem, 422, "/messageData/msgType", v == NULL
                      ? "/messageData/msgType is required"
                      : "/messageData/msgType must be a string");
    }
    if (!type_accepted(rules, json_string_value(v))) {
        return refuse(problem, 422, "/messageData/msgType",
                      apr_psprintf(p, "/messageData/msgType \"%s\" is not "
                                   "accepted here",
                                   printable(p, json_string_value(v))));
    }
    ev->msg_type = json_string_value(v);
    v = json_object_get(md, "dataVersion");
    if (v == NULL) {
        return refuse(problem, 422, "/messageData/dataVersion",
                      "/messageData/dataVersion is required");
    }
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        return refuse(problem, 422, "/messageData/dataVersion",
                      "/messageData/dataVersion must be 1");
    }
    v = json_object_get(md, "requestId");
    if (!json_is_string(v)) {
        return refuse(problem, 422, "/messageData/requestId", v == NULL
                      ? "/messageData/requestId is required"
                      : "/messageData/requestId must be a string");
    }
    ev->request_id = json_string_value(v);
    data = json_object_get(md, "data");
    if (!json_is_object(data)) {
        return refuse(problem, 422, "/messageData/data", data == NULL
                      ? "/messageData/data is required"
                      : "/messageData/data must be an object");
    }
    return check_data(p, data, ev, problem);
}

int spintly_event_parse(apr_pool_t *p, const char *body, apr_size_t len,
                        const spintly_validation_t *rules,
                        spintly_event_t **evp, spintly_problem_t *problem)
{
    spintly_event_t *ev;
    json_error_t jerr;
    json_t *root;
    apr_size_t where;
    int rc;

    if (!depth_ok(body, len, &where)) {
        return refuse(problem, 400, NULL, apr_psprintf(p,
                      "invalid JSON: nested deeper than %d at byte %"
                      APR_SIZE_T_FMT, SPINTLY_MAX_DEPTH, where));
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return refuse(problem, 400, NULL, apr_psprintf(p,
                      "invalid JSON at byte %d: %s", jerr.position,
                      printable(p, jerr.text)));
    }
    ev = apr_pcalloc(p, sizeof(*ev));
    ev->raw = body;
    ev->raw_len = len;
    ev->doc = root;
    rc = check_document(p, root, rules, ev, problem);
    if (rc) {
        json_decref(root);
        return rc;
    }
    apr_pool_cleanup_register(p, root, release_doc_cleanup,
                              apr_pool_cleanup_null);
    *evp = ev;
    return 0;
}

const char *spintly_event_value(apr_pool_t *p, const spintly_event_t *ev,
                                const char *field)
{
    json_t *md = json_object_get((json_t *)ev->doc, "messageData");
    json_t *v;

    if (!strcmp(field, "requestId") || !strcmp(field, "msgType")) {
        v = json_object_get(md, field);
    }
    else {
        v = json_object_get(json_object_get(md, "data"), field);
    }
    if (v == NULL) {
        return NULL;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
    case JSON_REAL:
        return apr_psprintf(p, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_OBJECT:
    case JSON_ARRAY: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        const char *copy = apr_pstrdup(p, text);
        free(text);
        return copy;
    }
    default:
        return NULL;
    }
}

apr_size_t spintly_json_compact(char *out, const char *in, apr_size_t len)
{
    const char *end = in + len;
    char *o = out;
    int in_string = 0;

    while (in < end) {
        const char *run = in;

        if (in_string) {
            /* copy up to and including the closing quote */
            while (in < end && *in != '"') {
                in += (*in == '\\' && in + 1 < end) ? 2 : 1;
            }
            if (in < end) {
                in++;
                in_string = 0;
            }
            memcpy(o, run, in - run);
            o += in - run;
            continue;
        }
        while (in < end && *in != '"' && *in != ' ' && *in != '\n'
               && *in != '\r' && *in != '\t') {
            in++;
        }
        memcpy(o, run, in - run);
        o += in - run;
        if (in < end) {
            if (*in == '"') {
                *o++ = '"';
                in_string = 1;
            }
            in++;
        }
    }
    return (apr_size_t)(o - out);
}

const char *spintly_event_compact(apr_pool_t *p, const spintly_event_t *ev)
{
    char *out = apr_palloc(p, ev->raw_len + 1);

    out[spintly_json_compact(out, ev->raw, ev->raw_len)] = '\0';
    return out;
}

void spintly_format_time(char *buf, apr_time_t t)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, t);
    apr_snprintf(buf, 28, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec);
}

char *spintly_record_format(apr_pool_t *p, const spintly_event_t *ev,
                            const spintly_receipt_t *rc, apr_size_t *len)
{
    static const char k_recv[] = "{\"receivedAt\":\"";
    static const char k_key[] = "\",\"keyName\":\"";
    static const char k_ip[] = "\",\"clientIp\":\"";
    static const char k_msg[] = "\",\"message\":";
    char when[32];
    apr_size_t name_len = strlen(rc->key_name);
    apr_size_t ip_len = strlen(rc->client_ip);
    apr_size_t when_len;
    char *buf, *o;

    spintly_format_time(when, rc->received_at);
    when_len = strlen(when);
    buf = apr_palloc(p, sizeof(k_recv) + when_len + sizeof(k_key) + name_len
                        + sizeof(k_ip) + ip_len + sizeof(k_msg)
                        + ev->raw_len + 2);
    o = buf;
#define SPINTLY_PUT(s, n) do { memcpy(o, (s), (n)); o += (n); } while (0)
    SPINTLY_PUT(k_recv, sizeof(k_recv) - 1);
    SPINTLY_PUT(when, when_len);
    SPINTLY_PUT(k_key, sizeof(k_key) - 1);
    SPINTLY_PUT(rc->key_name, name_len);
    SPINTLY_PUT(k_ip, sizeof(k_ip) - 1);
    SPINTLY_PUT(rc->client_ip, ip_len);
    SPINTLY_PUT(k_msg, sizeof(k_msg) - 1);
#undef SPINTLY_PUT
    o += spintly_json_compact(o, ev->raw, ev->raw_len);
    *o++ = '}';
    *o++ = '\n';
    *len = (apr_size_t)(o - buf);
    return buf;
}

const char *spintly_json_quote(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *out = apr_palloc(p, strlen(s) * 6 + 3);
    char *o = out;

    *o++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c < 0x20) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}
