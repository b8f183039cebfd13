/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <jansson.h>

#include <apr_strings.h>

#include "spintly_event.h"

/* What a member must hold.  README.md, "Validation", tables these rules
 * and says why each one is there. */
typedef enum {
    MEMBER_OBJECT,          /* a JSON object */
    MEMBER_VERSION,         /* the integer 1 */
    MEMBER_MSG_TYPE,        /* a string listed in SpintlyAcceptTypes */
    MEMBER_STRING,          /* any string */
    MEMBER_NONEMPTY_STRING,
    MEMBER_ID,              /* an integer from 1 to 2^63 - 1 */
    MEMBER_EVENT_TIME,      /* an integer from 1 to SPINTLY_MAX_EVENT_TIME */
    MEMBER_DIRECTION        /* "entry" or "exit" */
} member_kind_e;

typedef struct {
    const char *pointer;    /* where, as a JSON pointer without escapes */
    const char *name;       /* the member's name, the pointer's last part */
    int parent;             /* index of the rule for the object holding it,
                               -1 for the document itself */
    member_kind_e kind;
    int optional;           /* may be absent or null */
} member_rule_t;

/* The rules by name, in the order they are checked. */
enum {
    RULE_MESSAGE_VERSION, RULE_MESSAGE_DATA, RULE_MSG_TYPE,
    RULE_DATA_VERSION, RULE_REQUEST_ID, RULE_DATA, RULE_EVENT_ID,
    RULE_ORG_ID, RULE_EVENT_TIME, RULE_DIRECTION, RULE_ACCESS_TYPE,
    RULE_SITE_ID, RULE_ACCESS_POINT_ID, RULE_ORG_USER_ID,
    RULE_INTEGRATOR_ID, RULE_EMPLOYEE_CODE, RULE_ACCESS_POINT_NAME,
    RULE_NAME, RULE_MOBILE_ACCESS_MODE, RULE_COUNT
};

#define MD RULE_MESSAGE_DATA
#define DATA RULE_DATA

/* In the order they are checked, the first that fails being reported; an
 * object comes before its members.  Members not listed are not checked:
 * they are kept as they were sent. */
static const member_rule_t member_rules[RULE_COUNT + 1] = {
    [RULE_MESSAGE_VERSION] =
        { "/messageVersion", "messageVersion", -1, MEMBER_VERSION, 0 },
    [RULE_MESSAGE_DATA] =
        { "/messageData", "messageData", -1, MEMBER_OBJECT, 0 },
    [RULE_MSG_TYPE] =
        { "/messageData/msgType", "msgType", MD, MEMBER_MSG_TYPE, 0 },
    [RULE_DATA_VERSION] =
        { "/messageData/dataVersion", "dataVersion", MD, MEMBER_VERSION, 0 },
    [RULE_REQUEST_ID] =
        { "/messageData/requestId", "requestId", MD, MEMBER_STRING, 0 },
    [RULE_DATA] =
        { "/messageData/data", "data", MD, MEMBER_OBJECT, 0 },
    [RULE_EVENT_ID] =
        { "/messageData/data/eventId", "eventId", DATA, MEMBER_ID, 0 },
    [RULE_ORG_ID] =
        { "/messageData/data/orgId", "orgId", DATA, MEMBER_ID, 0 },
    [RULE_EVENT_TIME] =
        { "/messageData/data/eventTimeEpoch", "eventTimeEpoch", DATA,
          MEMBER_EVENT_TIME, 0 },
    [RULE_DIRECTION] =
        { "/messageData/data/direction", "direction", DATA,
          MEMBER_DIRECTION, 0 },
    [RULE_ACCESS_TYPE] =
        { "/messageData/data/accessType", "accessType", DATA,
          MEMBER_NONEMPTY_STRING, 0 },
    [RULE_SITE_ID] =
        { "/messageData/data/siteId", "siteId", DATA, MEMBER_ID, 0 },
    [RULE_ACCESS_POINT_ID] =
        { "/messageData/data/accessPointId", "accessPointId", DATA,
          MEMBER_ID, 0 },
    [RULE_ORG_USER_ID] =
        { "/messageData/data/orgUserId", "orgUserId", DATA, MEMBER_ID, 0 },
    [RULE_INTEGRATOR_ID] =
        { "/messageData/data/integratorId", "integratorId", DATA,
          MEMBER_ID, 0 },
    [RULE_EMPLOYEE_CODE] =
        { "/messageData/data/employeeCode", "employeeCode", DATA,
          MEMBER_STRING, 1 },
    [RULE_ACCESS_POINT_NAME] =
        { "/messageData/data/accessPointName", "accessPointName", DATA,
          MEMBER_STRING, 1 },
    [RULE_NAME] =
        { "/messageData/data/name", "name", DATA, MEMBER_STRING, 1 },
    [RULE_MOBILE_ACCESS_MODE] =
        { "/messageData/data/mobileAccessMode", "mobileAccessMode", DATA,
          MEMBER_STRING, 1 },
    [RULE_COUNT] = { NULL, NULL, -1, 0, 0 }
};

#undef MD
#undef DATA

#define EVENT_TIME_TOO_LATE \
    "must be seconds since 1970, at most 253402300799 " \
    "(9999-12-31T23:59:59Z)"

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
    char *out = apr_pstrndup(p, text, SPINTLY_MAX_EXCERPT);
    char *c;

    for (c = out; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
            *c = '?';
        }
    }
    return out;
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s[i] is the opening quote of a string: the index past its closing
 * quote, or len when it has none. */
static apr_size_t skip_string(const char *s, apr_size_t len, apr_size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            i++;
        }
        else if (s[i] == '"') {
            return i + 1;
        }
    }
    return len;
}

/* One level of the path to a value: a member of an object or an element
 * of an array. */
typedef struct {
    int in_object;
    apr_size_t index;       /* in an array: the element's, from 0 */
    const char *name;       /* in an object: the member's name as written,
                               quotes included */
    apr_size_t name_len;
} path_level_t;

/* Find the path to the scalar (number, true, false, null) whose text
 * ends at or after byte end.  The text before it must be well-formed JSON
 * nested at most SPINTLY_MAX_DEPTH deep, as jansson has found it when it
 * stops at a number it cannot hold.
 * @return the depth of the path, or -1 if there is no such scalar */
static int path_to_scalar(const char *s, apr_size_t len, apr_size_t end,
                          path_level_t *path, const char **token,
                          apr_size_t *token_len)
{
    int depth = 0, expect_name = 0;
    apr_size_t i = 0;

    while (i < len) {
        char c = s[i];

        if (c == '"') {
            apr_size_t start = i;

            i = skip_string(s, len, i);
            if (expect_name && depth > 0) {
                path[depth - 1].name = s + start;
                path[depth - 1].name_len = i - start;
                expect_name = 0;
            }
        }
        else if (c == '{' || c == '[') {
            if (depth == SPINTLY_MAX_DEPTH) {
                return -1;
            }
            path[depth].in_object = (c == '{');
            path[depth].index = 0;
            path[depth].name = NULL;
            path[depth].name_len = 0;
            expect_name = path[depth].in_object;
            depth++;
            i++;
        }
        else if (c == '}' || c == ']') {
            if (depth > 0) {
                depth--;
            }
            expect_name = 0;
            i++;
        }
        else if (c == ',') {
            if (depth > 0 && path[depth - 1].in_object) {
                expect_name = 1;
            }
            else if (depth > 0) {
                path[depth - 1].index++;
            }
            i++;
        }
        else if (c == ':' || is_json_space(c)) {
            i++;
        }
        else {
            apr_size_t start = i;

            do {
                i++;
            } while (i < len && !strchr(",:[]{}\"", s[i])
                     && !is_json_space(s[i]));
            if (i >= end) {
                *token = s + start;
                *token_len = i - start;
                return depth;
            }
        }
    }
    return -1;
}

/* A member name as written (quoted, maybe escaped) as a JSON pointer
 * segment: unescaped by jansson, then '~' as "~0" and '/' as "~1". */
static const char *pointer_segment(apr_pool_t *p, const char *name,
                                   apr_size_t name_len)
{
    json_t *decoded = json_loadb(name, name_len, JSON_DECODE_ANY, NULL);
    const char *text;
    apr_size_t n, i;
    char *out, *o;

    if (!json_is_string(decoded)) {
        json_decref(decoded);
        return "?";
    }
    text = json_string_value(decoded);
    n = json_string_length(decoded);
    out = o = apr_palloc(p, 2 * n + 1);
    for (i = 0; i < n; i++) {
        if (text[i] == '~' || text[i] == '/') {
            *o++ = '~';
            *o++ = text[i] == '~' ? '0' : '1';
        }
        else {
            *o++ = text[i];
        }
    }
    *o = '\0';
    json_decref(decoded);
    return out;
}

/* The JSON pointer of a path, or of its longest head that fits in
 * SPINTLY_MAX_EXCERPT bytes (then *whole is 0). */
static const char *pointer_of(apr_pool_t *p, const path_level_t *path,
                              int depth, int *whole)
{
    const char *pointer = "";
    int i;

    *whole = 1;
    for (i = 0; i < depth; i++) {
        const char *segment = path[i].in_object
            ? pointer_segment(p, path[i].name, path[i].name_len)
            : apr_psprintf(p, "%" APR_SIZE_T_FMT, path[i].index);
        const char *longer = apr_pstrcat(p, pointer, "/", segment, NULL);

        if (strlen(longer) > SPINTLY_MAX_EXCERPT) {
            *whole = 0;
            break;
        }
        pointer = longer;
    }
    return pointer;
}

/* The end of "<pointer> must be ..." for a value of the wrong type. */
static const char *type_expected(const member_rule_t *rule)
{
    switch (rule->kind) {
    case MEMBER_OBJECT:
        return "must be an object";
    case MEMBER_VERSION:
        return "must be 1";
    case MEMBER_MSG_TYPE:
        return "must be a string";
    case MEMBER_STRING:
        return rule->optional ? "must be a string or null"
                              : "must be a string";
    case MEMBER_NONEMPTY_STRING:
        return "must be a non-empty string";
    case MEMBER_ID:
    case MEMBER_EVENT_TIME:
        return "must be a positive integer";
    case MEMBER_DIRECTION:
        return "must be \"entry\" or \"exit\"";
    }
    return "is not valid";
}

/* What is wrong with v (not absent, not null) under rule, or NULL. */
static const char *member_fault(const member_rule_t *rule, json_t *v)
{
    const char *text;

    switch (rule->kind) {
    case MEMBER_OBJECT:
        return json_is_object(v) ? NULL : type_expected(rule);
    case MEMBER_VERSION:
        return json_is_integer(v) && json_integer_value(v) == 1
               ? NULL : type_expected(rule);
    case MEMBER_MSG_TYPE:
    case MEMBER_STRING:
        return json_is_string(v) ? NULL : type_expected(rule);
    case MEMBER_NONEMPTY_STRING:
        return json_is_string(v) && json_string_length(v) > 0
               ? NULL : type_expected(rule);
    case MEMBER_ID:
        return json_is_integer(v) && json_integer_value(v) > 0
               ? NULL : type_expected(rule);
    case MEMBER_EVENT_TIME:
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            return type_expected(rule);
        }
        return json_integer_value(v) <= SPINTLY_MAX_EVENT_TIME
               ? NULL : EVENT_TIME_TOO_LATE;
    case MEMBER_DIRECTION:
        if (!json_is_string(v)) {
            return type_expected(rule);
        }
        text = json_string_value(v);
        return !strcmp(text, "entry") || !strcmp(text, "exit")
               ? NULL : type_expected(rule);
    }
    return type_expected(rule);
}

/* What is wrong with a number too large for jansson under rule. */
static const char *member_overflow_fault(const member_rule_t *rule,
                                         int positive_integer)
{
    if (positive_integer && rule->kind == MEMBER_ID) {
        return "must be a positive integer that fits in 64 bits";
    }
    if (positive_integer && rule->kind == MEMBER_EVENT_TIME) {
        return EVENT_TIME_TOO_LATE;
    }
    return type_expected(rule);
}

/* jansson stopped at a number it cannot hold (an integer beyond 64 bits,
 * or a real beyond a double), ending at byte end.  That is a value out of
 * range, not broken JSON: 422 at the number's pointer. */
static int refuse_out_of_range(apr_pool_t *p, const char *body,
                               apr_size_t len, const json_error_t *jerr,
                               spintly_problem_t *problem)
{
    path_level_t path[SPINTLY_MAX_DEPTH];
    const member_rule_t *rule;
    const char *token, *pointer;
    apr_size_t token_len;
    int depth, whole, integer;

    depth = path_to_scalar(body, len, (apr_size_t)jerr->position, path,
                           &token, &token_len);
    if (depth < 0) {
        return refuse(problem, 400, NULL, apr_psprintf(p,
                      "invalid JSON at byte %d: %s", jerr->position,
                      printable(p, jerr->text)));
    }
    integer = !memchr(token, '.', token_len) && !memchr(token, 'e', token_len)
              && !memchr(token, 'E', token_len);
    pointer = pointer_of(p, path, depth, &whole);
    for (rule = member_rules; whole && rule->pointer; rule++) {
        if (!strcmp(rule->pointer, pointer)) {
            return refuse(problem, 422, pointer, apr_pstrcat(p, pointer, " ",
                          member_overflow_fault(rule, integer
                                                && token[0] != '-'),
                          NULL));
        }
    }
    return refuse(problem, 422, pointer, apr_pstrcat(p,
                  *pointer ? printable(p, pointer) : "the document",
                  whole ? " is " : " holds ",
                  integer ? "an integer that does not fit in 64 bits"
                          : "a number too large for a double", NULL));
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

/* found[RULE_...] is set to what each rule found (NULL when absent), as
 * far as the checks went. */
static int check_members(apr_pool_t *p, json_t *root,
                         const spintly_validation_t *rules,
                         spintly_problem_t *problem, json_t **found)
{
    const member_rule_t *rule;

    if (!json_is_object(root)) {
        return refuse(problem, 422, "",
                      "the document must be a JSON object");
    }
    for (rule = member_rules; rule->pointer; rule++) {
        json_t *parent = rule->parent < 0 ? root : found[rule->parent];
        json_t *v = json_is_object(parent)
                    ? json_object_get(parent, rule->name) : NULL;
        const char *fault;

        found[rule - member_rules] = v;
        if (v == NULL && !rule->optional) {
            return refuse(problem, 422, rule->pointer,
                          apr_pstrcat(p, rule->pointer, " is required",
                                      NULL));
        }
        if (v == NULL || (json_is_null(v) && rule->optional)) {
            continue;
        }
        fault = member_fault(rule, v);
        if (fault == NULL && rule->kind == MEMBER_MSG_TYPE
            && !type_accepted(rules, json_string_value(v))) {
            fault = apr_psprintf(p, "\"%s\" is not accepted here",
                                 printable(p, json_string_value(v)));
        }
        if (fault) {
            return refuse(problem, 422, rule->pointer,
                          apr_pstrcat(p, rule->pointer, " ", fault, NULL));
        }
    }
    return 0;
}

/* The 400 detail for what jansson refused. */
static const char *syntax_detail(apr_pool_t *p, const json_error_t *jerr)
{
    const char *what;

    switch (json_error_code(jerr)) {
    case json_error_null_character:
        what = "\\u0000 is not accepted in a string";
        break;
    case json_error_null_byte_in_key:
        what = "\\u0000 is not accepted in a member name";
        break;
    default:
        what = printable(p, jerr->text);
        break;
    }
    return apr_psprintf(p, "invalid JSON at byte %d: %s", jerr->position,
                        what);
}

/* Byte classes outside strings, for compact_scan. */
enum {
    BYTE_TOKEN = 0,         /* part of a number, true, false, null, or of
                               something JSON refuses */
    BYTE_SPACE,             /* white space */
    BYTE_QUOTE,             /* a string starts */
    BYTE_OPEN,              /* { [ */
    BYTE_CLOSE,             /* } ] */
    BYTE_PUNCT              /* : , */
};
static const unsigned char outside_string[256] = {
    [' '] = BYTE_SPACE, ['\t'] = BYTE_SPACE, ['\n'] = BYTE_SPACE,
    ['\r'] = BYTE_SPACE, ['"'] = BYTE_QUOTE,
    ['{'] = BYTE_OPEN, ['['] = BYTE_OPEN, ['}'] = BYTE_CLOSE,
    [']'] = BYTE_CLOSE, [':'] = BYTE_PUNCT, [','] = BYTE_PUNCT
};
/* Inside a string: a quote (1) ends it, a backslash (2) escapes the next
 * byte. */
static const unsigned char inside_string[256] = {
    ['"'] = 1, ['\\'] = 2
};

#define NOT_TOO_DEEP ((apr_size_t)-1)

/* spintly_json_compact, and the nesting check in the same pass: when
 * too_deep is not NULL and arrays and objects nest deeper than
 * SPINTLY_MAX_DEPTH, stop there, set *too_deep to the offset of the
 * bracket that opens one level too many and return 0; else *too_deep is
 * left alone (the caller sets it to NOT_TOO_DEEP).
 *
 * White space between two token bytes (as in "1 2" or "tr ue", which JSON
 * refuses) becomes one space, so that compacting never joins two tokens
 * into one: the text compacted is valid JSON exactly when the text is,
 * and then the same JSON. */
static apr_size_t compact_scan(char *out, const char *in, apr_size_t len,
                               apr_size_t *too_deep)
{
    const unsigned char *s = (const unsigned char *)in;
    const unsigned char *end = s + len;
    char *o = out;
    int depth = 0;
    int spaced = 0;         /* white space since the last byte copied */
    int after_token = 0;    /* the last byte copied was a token byte */

    /* A byte at a time through the tables: an event's runs between white
     * space are too short for memcpy to pay. */
    while (s < end) {
        unsigned char c = *s++;

        switch (outside_string[c]) {
        case BYTE_SPACE:
            /* indentation comes in runs */
            while (s < end && outside_string[*s] == BYTE_SPACE) {
                s++;
            }
            spaced = 1;
            continue;
        case BYTE_TOKEN:
            if (spaced && after_token) {
                *o++ = ' ';
            }
            *o++ = (char)c;
            spaced = 0;
            after_token = 1;
            continue;
        case BYTE_OPEN:
            if (++depth > SPINTLY_MAX_DEPTH && too_deep != NULL) {
                *too_deep = (apr_size_t)(s - 1 - (const unsigned char *)in);
                return 0;
            }
            break;
        case BYTE_CLOSE:
            depth--;
            break;
        case BYTE_QUOTE:
            /* a string: copy it through its closing quote */
            *o++ = (char)c;
            while (s < end) {
                unsigned char k;

                c = *s++;
                *o++ = (char)c;
                k = inside_string[c];
                if (k == 1) {
                    break;
                }
                if (k == 2 && s < end) {
                    *o++ = (char)*s++;
                }
            }
            spaced = 0;
            after_token = 0;
            continue;
        default:
            break;
        }
        *o++ = (char)c;
        spaced = 0;
        after_token = 0;
    }
    return (apr_size_t)(o - out);
}

apr_size_t spintly_json_compact(char *out, const char *in, apr_size_t len)
{
    return compact_scan(out, in, len, NULL);
}

static apr_status_t release_doc_cleanup(void *doc)
{
    json_decref((json_t *)doc);
    return APR_SUCCESS;
}

/* The message as one line when jansson accepted the body but not its
 * compacted text, which compact_scan's promise rules out: jansson writes
 * it instead, so that a record is never broken. */
static const char *dumped(apr_pool_t *p, json_t *root, apr_size_t *len)
{
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER
                                  | JSON_ENCODE_ANY);
    char *copy;

    if (text == NULL) {
        return NULL;
    }
    *len = strlen(text);
    copy = apr_pstrmemdup(p, text, *len);
    free(text);
    return copy;
}

int spintly_event_parse(apr_pool_t *p, const char *body, apr_size_t len,
                        const spintly_validation_t *rules,
                        spintly_event_t **evp, spintly_problem_t *problem)
{
    const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
    spintly_event_t *ev;
    json_error_t jerr;
    json_t *root, *found[RULE_COUNT];
    const char *nul = memchr(body, '\0', len);
    char *message;
    apr_size_t message_len, deep_at = NOT_TOO_DEEP;
    int rc;

    /* Byte numbers in details count from 1, as jansson's positions do,
     * and count the bytes received. */
    if (nul != NULL) {
        return refuse(problem, 400, NULL, apr_psprintf(p,
                      "invalid JSON: a NUL byte at byte %" APR_SIZE_T_FMT,
                      (apr_size_t)(nul - body) + 1));
    }
    /* One pass compacts the message for the record and refuses nesting
     * deeper than SPINTLY_MAX_DEPTH before jansson recurses; jansson then
     * reads the compacted text, without the white space it would skip a
     * byte at a time. */
    message = apr_palloc(p, len + 1);
    message_len = compact_scan(message, body, len, &deep_at);
    if (deep_at != NOT_TOO_DEEP) {
        return refuse(problem, 400, NULL, apr_psprintf(p,
                      "invalid JSON: nested deeper than %d at byte %"
                      APR_SIZE_T_FMT, SPINTLY_MAX_DEPTH, deep_at + 1));
    }
    if (message_len == 0) {
        return refuse(problem, 400, NULL, "invalid JSON: the body is empty");
    }
    message[message_len] = '\0';
    root = json_loadb(message, message_len, flags, &jerr);
    if (root == NULL) {
        /* Details name bytes of the body received: ask about those. */
        root = json_loadb(body, len, flags, &jerr);
        if (root == NULL) {
            if (json_error_code(&jerr) == json_error_numeric_overflow) {
                return refuse_out_of_range(p, body, len, &jerr, problem);
            }
            return refuse(problem, 400, NULL, syntax_detail(p, &jerr));
        }
        message = (char *)dumped(p, root, &message_len);
        if (message == NULL) {
            json_decref(root);
            return refuse(problem, 400, NULL, "invalid JSON");
        }
    }
    rc = check_members(p, root, rules, problem, found);
    if (rc) {
        json_decref(root);
        return rc;
    }
    apr_pool_cleanup_register(p, root, release_doc_cleanup,
                              apr_pool_cleanup_null);
    /* every required member was found and checked: no lookup again */
    ev = apr_pcalloc(p, sizeof(*ev));
    ev->message = message;
    ev->message_len = message_len;
    ev->doc = root;
    ev->message_data = found[RULE_MESSAGE_DATA];
    ev->data = found[RULE_DATA];
    ev->event_id = json_integer_value(found[RULE_EVENT_ID]);
    ev->org_id = json_integer_value(found[RULE_ORG_ID]);
    ev->event_time = json_integer_value(found[RULE_EVENT_TIME]);
    ev->request_id = json_string_value(found[RULE_REQUEST_ID]);
    ev->msg_type = json_string_value(found[RULE_MSG_TYPE]);
    *evp = ev;
    return 0;
}

const char *spintly_event_value(apr_pool_t *p, const spintly_event_t *ev,
                                const char *field)
{
    json_t *v;

    if (!strcmp(field, "requestId") || !strcmp(field, "msgType")) {
        v = json_object_get((json_t *)ev->message_data, field);
    }
    else {
        v = json_object_get((json_t *)ev->data, field);
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

/* n as width decimal digits, leading zeros included. */
static char *put_digits(char *o, int n, int width)
{
    char *end = o + width;

    while (width-- > 0) {
        o[width] = (char)('0' + n % 10);
        n /= 10;
    }
    return end;
}

void spintly_format_time(char *buf, apr_time_t t)
{
    apr_time_exp_t tm;
    char *o = buf;

    /* apr_snprintf would cost ten times as much, on every event */
    apr_time_exp_gmt(&tm, t);
    o = put_digits(o, tm.tm_year + 1900, 4);
    *o++ = '-';
    o = put_digits(o, tm.tm_mon + 1, 2);
    *o++ = '-';
    o = put_digits(o, tm.tm_mday, 2);
    *o++ = 'T';
    o = put_digits(o, tm.tm_hour, 2);
    *o++ = ':';
    o = put_digits(o, tm.tm_min, 2);
    *o++ = ':';
    o = put_digits(o, tm.tm_sec, 2);
    *o++ = '.';
    o = put_digits(o, tm.tm_usec, 6);
    *o++ = 'Z';
    *o = '\0';
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
                        + ev->message_len + 2);
    o = buf;
#define SPINTLY_PUT(s, n) do { memcpy(o, (s), (n)); o += (n); } while (0)
    SPINTLY_PUT(k_recv, sizeof(k_recv) - 1);
    SPINTLY_PUT(when, when_len);
    SPINTLY_PUT(k_key, sizeof(k_key) - 1);
    SPINTLY_PUT(rc->key_name, name_len);
    SPINTLY_PUT(k_ip, sizeof(k_ip) - 1);
    SPINTLY_PUT(rc->client_ip, ip_len);
    SPINTLY_PUT(k_msg, sizeof(k_msg) - 1);
    SPINTLY_PUT(ev->message, ev->message_len);
#undef SPINTLY_PUT
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
