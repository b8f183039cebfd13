/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests for spintly_event.c: which bodies are accepted, which status
 * and JSON pointer a refused one gets, the text database parameters get,
 * and the one-line record written for each accepted event.
 *
 * Variants of the reference payloads (t/data, copied byte for byte from
 * Spintly's published examples) are made with jansson, as a client would.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_strings.h>

#include "spintly_event.h"
#include "unit.h"

#define CARD_COMPACT \
    "{\"messageVersion\":1,\"messageData\":{\"requestId\":" \
    "\"dcea82c5-6135-4ccf-95a6-3cef3b62f4b8\",\"msgType\":\"access_event\"," \
    "\"dataVersion\":1,\"data\":{\"orgId\":223,\"integratorId\":1," \
    "\"orgUserId\":335532,\"eventTimeEpoch\":1745235725," \
    "\"direction\":\"entry\",\"accessType\":\"card\",\"eventId\":222423," \
    "\"accessPointId\":54,\"employeeCode\":\"A123\"," \
    "\"accessPointName\":\"Entrance Door\",\"mobileAccessMode\":null," \
    "\"siteId\":11,\"name\":\"john dor\"}}}"

/* 2025-04-21T11:42:05.123456Z: the card event's time, plus 123456 us */
#define RECEIVED_AT (apr_time_from_sec(1745235725) + 123456)

/* ---- helpers --------------------------------------------------------- */

typedef struct {
    const char *text;
    apr_size_t len;
} body_t;

/* A file of t/data, read into unit_pool. */
static body_t data_file(const char *name)
{
    const char *path = apr_pstrcat(unit_pool, UNIT_DATA_DIR "/", name, NULL);
    apr_file_t *f;
    apr_finfo_t fi;
    body_t body;
    char *buf;

    ck_assert_msg(apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT,
                                unit_pool) == APR_SUCCESS,
                  "cannot open %s", path);
    ck_assert_int_eq(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    buf = apr_palloc(unit_pool, (apr_size_t)fi.size + 1);
    ck_assert_int_eq(apr_file_read_full(f, buf, (apr_size_t)fi.size, NULL),
                     APR_SUCCESS);
    buf[fi.size] = '\0';
    apr_file_close(f);
    body.text = buf;
    body.len = (apr_size_t)fi.size;
    return body;
}

static apr_status_t json_release(void *json)
{
    json_decref(json);
    return APR_SUCCESS;
}

/* json, released with unit_pool. */
static json_t *pooled(json_t *json)
{
    ck_assert_ptr_nonnull(json);
    apr_pool_cleanup_register(unit_pool, json, json_release,
                              apr_pool_cleanup_null);
    return json;
}

/* JSON text parsed by jansson (any value, duplicate keys refused). */
static json_t *json_of(const char *text, apr_size_t len)
{
    json_error_t err;
    json_t *json = json_loadb(text, len, JSON_DECODE_ANY
                              | JSON_REJECT_DUPLICATES, &err);

    ck_assert_msg(json != NULL, "jansson cannot parse %.*s: %s",
                  (int)(len > 200 ? 200 : len), text, err.text);
    return pooled(json);
}

static json_t *json_of_str(const char *text)
{
    return json_of(text, strlen(text));
}

/* A reference payload as a document to modify. */
static json_t *reference(const char *name)
{
    body_t body = data_file(name);

    return json_of(body.text, body.len);
}

/* doc as pretty-printed text, the way a client might send it. */
static body_t text_of(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER
                            | JSON_ENCODE_ANY);
    body_t body;

    ck_assert_ptr_nonnull(text);
    body.text = apr_pstrdup(unit_pool, text);
    body.len = strlen(text);
    free(text);
    return body;
}

/* Set the member at path ("messageData/data/eventId") to the JSON text
 * value, or remove it when value is NULL. */
static void set_member(json_t *doc, const char *path, const char *value)
{
    char *copy = apr_pstrdup(unit_pool, path);
    char *slash, *member = copy;
    json_t *parent = doc;

    while ((slash = strchr(member, '/')) != NULL) {
        *slash = '\0';
        parent = json_object_get(parent, member);
        ck_assert_msg(json_is_object(parent), "%s: %s is not an object",
                      path, member);
        member = slash + 1;
    }
    if (value == NULL) {
        ck_assert_int_eq(json_object_del(parent, member), 0);
    }
    else {
        ck_assert_int_eq(json_object_set(parent, member, json_of_str(value)),
                         0);
    }
}

/* A problem filled with values spintly_event_parse never uses, so that a
 * test sees whether it was set. */
static spintly_problem_t no_problem(void)
{
    spintly_problem_t problem = { -1, "unset", "unset" };

    return problem;
}

static int parse_with(const spintly_validation_t *rules, body_t body,
                      spintly_event_t **ev, spintly_problem_t *problem)
{
    *ev = NULL;
    *problem = no_problem();
    return spintly_event_parse(unit_pool, body.text, body.len, rules, ev,
                               problem);
}

static int parse(body_t body, spintly_event_t **ev,
                 spintly_problem_t *problem)
{
    return parse_with(NULL, body, ev, problem);
}

/* An accepted event, or fail with the problem. */
static spintly_event_t *accepted_with(const spintly_validation_t *rules,
                                      body_t body)
{
    spintly_event_t *ev;
    spintly_problem_t problem;
    int status = parse_with(rules, body, &ev, &problem);

    ck_assert_msg(status == 0, "refused with %d: %s", status,
                  problem.detail);
    ck_assert_ptr_nonnull(ev);
    return ev;
}

static spintly_event_t *accepted(body_t body)
{
    return accepted_with(NULL, body);
}

/* The card event with the member at path set to value (NULL: removed). */
static body_t card_with(const char *path, const char *value)
{
    json_t *doc = reference("card_event.json");

    set_member(doc, path, value);
    return text_of(doc);
}

/* The card event's text with a member inserted first, as text: for what
 * jansson would not produce (duplicate keys, deep nesting). */
static body_t card_with_first_member(const char *member)
{
    body_t card = data_file("card_event.json");
    body_t body;

    ck_assert_int_eq(card.text[0], '{');
    body.text = apr_pstrcat(unit_pool, "{", member, ",", card.text + 1,
                            NULL);
    body.len = strlen(body.text);
    return body;
}

/* body must be refused with status, a problem with the same status and
 * pointer, and (unless detail is NULL) exactly that detail. */
static void assert_refused(body_t body, int status, const char *pointer,
                           const char *detail)
{
    spintly_event_t *ev;
    spintly_problem_t problem;
    int rc = parse(body, &ev, &problem);

    ck_assert_msg(rc == status, "status %d, expected %d (%s)", rc, status,
                  rc ? problem.detail : "accepted");
    ck_assert_int_eq(problem.status, status);
    ck_assert_pstr_eq(problem.pointer, pointer);
    if (detail) {
        ck_assert_pstr_eq(problem.detail, detail);
    }
    ck_assert_ptr_null(ev);
}

/* A detail goes into logs and responses: no control or non-ASCII bytes. */
static void assert_printable(const char *text)
{
    const unsigned char *c;

    ck_assert_ptr_nonnull(text);
    for (c = (const unsigned char *)text; *c; c++) {
        ck_assert_msg(*c >= 0x20 && *c < 0x7f,
                      "byte 0x%02x in \"%s\"", *c, text);
    }
}

/* n copies of s, from unit_pool. */
static char *repeat(const char *s, int n)
{
    apr_size_t len = strlen(s);
    char *out = apr_palloc(unit_pool, len * n + 1);
    char *o = out;

    while (n-- > 0) {
        memcpy(o, s, len);
        o += len;
    }
    *o = '\0';
    return out;
}

/* ---- the reference payloads ------------------------------------------ */

START_TEST(card_reference_is_accepted)
{
    body_t body = data_file("card_event.json");
    spintly_event_t *ev = accepted(body);

    ck_assert_str_eq(ev->message, CARD_COMPACT);
    ck_assert_uint_eq(ev->message_len, strlen(CARD_COMPACT));
    ck_assert_int_eq(ev->event_id, 222423);
    ck_assert_int_eq(ev->org_id, 223);
    ck_assert_int_eq(ev->event_time, 1745235725);
    ck_assert_str_eq(ev->request_id, "dcea82c5-6135-4ccf-95a6-3cef3b62f4b8");
    ck_assert_str_eq(ev->msg_type, "access_event");
}
END_TEST

START_TEST(mobile_reference_is_accepted)
{
    body_t body = data_file("mobile_event.json");
    spintly_event_t *ev = accepted(body);

    char *compact = json_dumps(json_of(body.text, body.len),
                               JSON_COMPACT | JSON_PRESERVE_ORDER);

    ck_assert_ptr_nonnull(compact);
    ck_assert_str_eq(ev->message, compact);
    ck_assert_uint_eq(ev->message_len, strlen(compact));
    free(compact);
    ck_assert_int_eq(ev->event_id, 226907180);
    ck_assert_int_eq(ev->org_id, 2409);
    ck_assert_int_eq(ev->event_time, 1743588066);
    ck_assert_str_eq(ev->request_id, "7a9aff55-d695-4d4e-8069-1b772bf9b321");
    ck_assert_str_eq(ev->msg_type, "access_event");
}
END_TEST

START_TEST(only_len_bytes_of_the_body_count)
{
    body_t card = data_file("card_event.json");
    body_t body;

    body.text = apr_pstrcat(unit_pool, card.text, "} trailing garbage", NULL);
    body.len = card.len;
    accepted(body);
}
END_TEST

/* ---- required members ------------------------------------------------ */

static const struct {
    const char *path;
    const char *pointer;
} required[] = {
    { "messageVersion", "/messageVersion" },
    { "messageData", "/messageData" },
    { "messageData/msgType", "/messageData/msgType" },
    { "messageData/dataVersion", "/messageData/dataVersion" },
    { "messageData/requestId", "/messageData/requestId" },
    { "messageData/data", "/messageData/data" },
    { "messageData/data/eventId", "/messageData/data/eventId" },
    { "messageData/data/orgId", "/messageData/data/orgId" },
    { "messageData/data/eventTimeEpoch", "/messageData/data/eventTimeEpoch" },
    { "messageData/data/direction", "/messageData/data/direction" },
    { "messageData/data/accessType", "/messageData/data/accessType" },
    { "messageData/data/siteId", "/messageData/data/siteId" },
    { "messageData/data/accessPointId", "/messageData/data/accessPointId" },
    { "messageData/data/orgUserId", "/messageData/data/orgUserId" },
    { "messageData/data/integratorId", "/messageData/data/integratorId" },
};

START_TEST(missing_required_member_is_422_at_its_pointer)
{
    assert_refused(card_with(required[_i].path, NULL), 422,
                   required[_i].pointer,
                   apr_pstrcat(unit_pool, required[_i].pointer,
                               " is required", NULL));
}
END_TEST

static const char *const optional[] = {
    "messageData/data/employeeCode",
    "messageData/data/accessPointName",
    "messageData/data/name",
    "messageData/data/mobileAccessMode",
};

START_TEST(missing_optional_member_is_accepted)
{
    accepted(card_with(optional[_i], NULL));
}
END_TEST

START_TEST(all_optional_members_missing_or_null_is_accepted)
{
    json_t *missing = reference("mobile_event.json");
    json_t *null = reference("mobile_event.json");
    apr_size_t i;

    for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
        set_member(missing, optional[i], NULL);
        set_member(null, optional[i], "null");
    }
    accepted(text_of(missing));
    accepted(text_of(null));
}
END_TEST

/* ---- wrong types ----------------------------------------------------- */

static const struct {
    const char *path;
    const char *value;
    const char *detail;     /* after the pointer */
} wrong_types[] = {
    { "messageVersion", "\"1\"", " must be 1" },
    { "messageVersion", "1.0", " must be 1" },
    { "messageVersion", "true", " must be 1" },
    { "messageData", "[]", " must be an object" },
    { "messageData", "null", " must be an object" },
    { "messageData/msgType", "1", " must be a string" },
    { "messageData/msgType", "null", " must be a string" },
    { "messageData/msgType", "[\"access_event\"]", " must be a string" },
    { "messageData/dataVersion", "\"1\"", " must be 1" },
    { "messageData/requestId", "42", " must be a string" },
    { "messageData/requestId", "null", " must be a string" },
    { "messageData/data", "\"x\"", " must be an object" },
    { "messageData/data", "[{}]", " must be an object" },
    { "messageData/data", "null", " must be an object" },
    { "messageData/data/eventId", "\"222423\"", " must be a positive integer" },
    { "messageData/data/eventId", "222423.0", " must be a positive integer" },
    { "messageData/data/orgId", "null", " must be a positive integer" },
    { "messageData/data/eventTimeEpoch", "\"1745235725\"",
      " must be a positive integer" },
    { "messageData/data/eventTimeEpoch", "1745235725.5",
      " must be a positive integer" },
    { "messageData/data/eventTimeEpoch", "1745235725.0",
      " must be a positive integer" },
    { "messageData/data/eventTimeEpoch", "1.745235725e9",
      " must be a positive integer" },
    { "messageData/data/eventTimeEpoch", "null",
      " must be a positive integer" },
    { "messageData/data/eventId", "[222423]", " must be a positive integer" },
    { "messageData/data/eventId", "{\"id\": 222423}",
      " must be a positive integer" },
    { "messageData/dataVersion", "1.0", " must be 1" },
    { "messageData/dataVersion", "null", " must be 1" },
    { "messageData/msgType", "{}", " must be a string" },
    { "messageData/data/direction", "1", " must be \"entry\" or \"exit\"" },
    { "messageData/data/direction", "null", " must be \"entry\" or \"exit\"" },
    { "messageData/data/direction", "[\"entry\"]",
      " must be \"entry\" or \"exit\"" },
    { "messageData/data/accessType", "\"\"", " must be a non-empty string" },
    { "messageData/data/accessType", "null", " must be a non-empty string" },
    { "messageData/data/accessType", "3", " must be a non-empty string" },
    { "messageData/data/siteId", "\"11\"", " must be a positive integer" },
    { "messageData/data/accessPointId", "54.0",
      " must be a positive integer" },
    { "messageData/data/orgUserId", "true", " must be a positive integer" },
    { "messageData/data/integratorId", "null",
      " must be a positive integer" },
    { "messageData/data/employeeCode", "1234", " must be a string or null" },
    { "messageData/data/accessPointName", "{}", " must be a string or null" },
    { "messageData/data/name", "[\"john\"]", " must be a string or null" },
    { "messageData/data/mobileAccessMode", "false",
      " must be a string or null" },
};

START_TEST(wrong_type_is_422_at_its_pointer)
{
    const char *pointer = apr_pstrcat(unit_pool, "/", wrong_types[_i].path,
                                      NULL);

    assert_refused(card_with(wrong_types[_i].path, wrong_types[_i].value),
                   422, pointer,
                   apr_pstrcat(unit_pool, pointer, wrong_types[_i].detail,
                               NULL));
}
END_TEST

START_TEST(document_that_is_not_an_object_is_422)
{
    static const char *const bodies[] = {
        "[]", "[{\"messageVersion\":1}]", "\"access_event\"", " 42 ",
        "-1.5e3", "true", "false", "null", "\"\"",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        body_t body = { bodies[i], strlen(bodies[i]) };

        assert_refused(body, 422, "", "the document must be a JSON object");
    }
}
END_TEST

/* ---- values ---------------------------------------------------------- */

static const char *const ids[] = {
    "messageData/data/eventId", "messageData/data/orgId",
    "messageData/data/siteId", "messageData/data/accessPointId",
    "messageData/data/orgUserId", "messageData/data/integratorId",
    "messageData/data/eventTimeEpoch",
};

static const char *const not_positive[] = {
    "0", "-1", "-223", "-9223372036854775808",
};

START_TEST(zero_or_negative_id_or_time_is_422)
{
    apr_size_t i;

    for (i = 0; i < sizeof(not_positive) / sizeof(not_positive[0]); i++) {
        const char *pointer = apr_pstrcat(unit_pool, "/", ids[_i], NULL);

        assert_refused(card_with(ids[_i], not_positive[i]), 422, pointer,
                       apr_pstrcat(unit_pool, pointer,
                                   " must be a positive integer", NULL));
    }
}
END_TEST

START_TEST(smallest_id_is_1)
{
    spintly_event_t *ev = accepted(card_with(ids[_i], "1"));
    const char *name = strrchr(ids[_i], '/') + 1;

    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, name), "1");
}
END_TEST

START_TEST(largest_ids_are_int64_max)
{
    json_t *doc = reference("card_event.json");
    spintly_event_t *ev;
    apr_size_t i;

    /* all but eventTimeEpoch, the last of ids */
    for (i = 0; i + 1 < sizeof(ids) / sizeof(ids[0]); i++) {
        set_member(doc, ids[i], "9223372036854775807");
    }
    ev = accepted(text_of(doc));
    ck_assert_int_eq(ev->event_id, APR_INT64_C(9223372036854775807));
    ck_assert_int_eq(ev->org_id, APR_INT64_C(9223372036854775807));
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "integratorId"),
                      "9223372036854775807");
}
END_TEST

#define TOO_LATE " must be seconds since 1970, at most 253402300799 " \
                 "(9999-12-31T23:59:59Z)"

START_TEST(event_time_up_to_year_9999_is_accepted)
{
    spintly_event_t *ev = accepted(card_with(
        "messageData/data/eventTimeEpoch", "253402300799"));

    ck_assert_int_eq(ev->event_time, SPINTLY_MAX_EVENT_TIME);
}
END_TEST

static const char *const too_late[] = {
    "253402300800",             /* 10000-01-01T00:00:00Z */
    "1745235725000",            /* the card event's time in milliseconds */
    "9223372036854775807",
};

START_TEST(event_time_after_year_9999_is_422)
{
    assert_refused(card_with("messageData/data/eventTimeEpoch",
                             too_late[_i]),
                   422, "/messageData/data/eventTimeEpoch",
                   "/messageData/data/eventTimeEpoch" TOO_LATE);
}
END_TEST

/* The card event's text with its first "from" replaced by "to": for
 * numbers jansson cannot hold, which it cannot write either. */
static body_t card_text_with(const char *from, const char *to)
{
    body_t card = data_file("card_event.json");
    const char *at = strstr(card.text, from);
    body_t body;

    ck_assert_msg(at != NULL, "%s is not in the card event", from);
    body.text = apr_pstrcat(unit_pool,
                            apr_pstrndup(unit_pool, card.text,
                                         at - card.text),
                            to, at + strlen(from), NULL);
    body.len = strlen(body.text);
    return body;
}

/* Numbers beyond 64-bit integers or doubles are JSON: 422 at the number,
 * saying what the member needed. */
static const struct {
    const char *from;
    const char *to;
    const char *pointer;
    const char *detail;
} out_of_range[] = {
    { "\"eventId\": 222423", "\"eventId\": 9223372036854775808",
      "/messageData/data/eventId",
      "/messageData/data/eventId must be a positive integer that fits in "
      "64 bits" },
    { "\"eventId\": 222423", "\"eventId\": 123456789012345678901234567890",
      "/messageData/data/eventId",
      "/messageData/data/eventId must be a positive integer that fits in "
      "64 bits" },
    { "\"eventId\": 222423", "\"eventId\": -9223372036854775809",
      "/messageData/data/eventId",
      "/messageData/data/eventId must be a positive integer" },
    { "\"eventId\": 222423", "\"eventId\": 1e400",
      "/messageData/data/eventId",
      "/messageData/data/eventId must be a positive integer" },
    { "\"siteId\": 11", "\"siteId\": 18446744073709551616",
      "/messageData/data/siteId",
      "/messageData/data/siteId must be a positive integer that fits in "
      "64 bits" },
    { "\"eventTimeEpoch\": 1745235725",
      "\"eventTimeEpoch\": 17452357250000000000000",
      "/messageData/data/eventTimeEpoch",
      "/messageData/data/eventTimeEpoch" TOO_LATE },
    { "\"eventId\": 222423", "\"eventId\": -0",
      "/messageData/data/eventId",
      "/messageData/data/eventId must be a positive integer" },
    { "\"messageVersion\": 1", "\"messageVersion\": 10000000000000000000",
      "/messageVersion", "/messageVersion must be 1" },
    { "\"name\": \"john dor\"", "\"name\": -1E+999",
      "/messageData/data/name",
      "/messageData/data/name must be a string or null" },
    /* members not checked: the number's own pointer */
    { "\"name\": \"john dor\"",
      "\"name\": \"john dor\", \"accessorId\": 99999999999999999999",
      "/messageData/data/accessorId",
      "/messageData/data/accessorId is an integer that does not fit in "
      "64 bits" },
    { "\"siteId\": 11",
      "\"siteId\": 11, \"attributes\": [{\"id\": 4}, {\"id\": 1, "
      "\"termId\": 2e308}]",
      "/messageData/data/attributes/1/termId",
      "/messageData/data/attributes/1/termId is a number too large for a "
      "double" },
    { "\"messageVersion\": 1",
      "\"a/b~c\": [[], {\"x\": []}, [0, 9223372036854775808]], "
      "\"messageVersion\": 1",
      "/a~1b~0c/2/1",
      "/a~1b~0c/2/1 is an integer that does not fit in 64 bits" },
    { "\"messageVersion\": 1",
      "\"caf\\u00e9\": {\"\\\"q\\\"\": -99999999999999999999}, "
      "\"messageVersion\": 1",
      "/caf\xc3\xa9/\"q\"",
      "/caf?" "?/\"q\" is an integer that does not fit in 64 bits" },
};

START_TEST(number_beyond_64_bits_is_422_at_its_pointer)
{
    assert_refused(card_text_with(out_of_range[_i].from,
                                  out_of_range[_i].to),
                   422, out_of_range[_i].pointer, out_of_range[_i].detail);
}
END_TEST

START_TEST(number_beyond_64_bits_as_the_document_is_422)
{
    body_t body = { "\n 1e999 \n", 9 };

    assert_refused(body, 422, "", "the document is a number too large for "
                   "a double");
}
END_TEST

START_TEST(number_beyond_64_bits_under_a_long_name_names_its_parent)
{
    const char *name = repeat("n", 200);
    body_t body = card_text_with("\"siteId\": 11", apr_pstrcat(unit_pool,
        "\"siteId\": 11, \"", name, "\": 99999999999999999999", NULL));

    /* the pointer would quote 200 bytes of the body: its parent instead */
    assert_refused(body, 422, "/messageData/data",
                   "/messageData/data holds an integer that does not fit "
                   "in 64 bits");
}
END_TEST

START_TEST(ids_keep_64_bit_precision)
{
    json_t *doc = reference("card_event.json");
    spintly_event_t *ev;

    /* 2^53 + 1: a double would round it */
    set_member(doc, "messageData/data/eventId", "9007199254740993");
    set_member(doc, "messageData/data/orgId", "9223372036854775807");
    ev = accepted(text_of(doc));
    ck_assert_int_eq(ev->event_id, APR_INT64_C(9007199254740993));
    ck_assert_int_eq(ev->org_id, APR_INT64_C(9223372036854775807));
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "eventId"),
                      "9007199254740993");
}
END_TEST

static const char *const bad_directions[] = {
    "\"Entry\"", "\"EXIT\"", "\"in\"", "\"out\"", "\"\"", "\"entry \"",
    "\"entryexit\"", "\"exi\"",
};

START_TEST(direction_other_than_entry_or_exit_is_422)
{
    assert_refused(card_with("messageData/data/direction",
                             bad_directions[_i]),
                   422, "/messageData/data/direction",
                   "/messageData/data/direction must be \"entry\" or "
                   "\"exit\"");
}
END_TEST

START_TEST(direction_exit_is_accepted)
{
    spintly_event_t *ev = accepted(card_with("messageData/data/direction",
                                             "\"exit\""));

    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "direction"),
                      "exit");
}
END_TEST

static const struct {
    const char *path;
    const char *value;
} bad_versions[] = {
    { "messageVersion", "0" },
    { "messageVersion", "2" },
    { "messageVersion", "-1" },
    { "messageData/dataVersion", "0" },
    { "messageData/dataVersion", "2" },
    { "messageData/dataVersion", "1.5" },
};

START_TEST(version_other_than_1_is_422)
{
    const char *pointer = apr_pstrcat(unit_pool, "/", bad_versions[_i].path,
                                      NULL);

    assert_refused(card_with(bad_versions[_i].path, bad_versions[_i].value),
                   422, pointer,
                   apr_pstrcat(unit_pool, pointer, " must be 1", NULL));
}
END_TEST

/* ---- message types --------------------------------------------------- */

static spintly_validation_t accepting(int n, const char *const *types)
{
    apr_array_header_t *list = apr_array_make(unit_pool, 2,
                                              sizeof(const char *));
    spintly_validation_t rules;

    while (n-- > 0) {
        APR_ARRAY_PUSH(list, const char *) = *types++;
    }
    rules.accept_types = list;
    return rules;
}

START_TEST(msg_type_other_than_access_event_is_422)
{
    assert_refused(card_with("messageData/msgType", "\"door_event\""), 422,
                   "/messageData/msgType",
                   "/messageData/msgType \"door_event\" is not accepted "
                   "here");
    assert_refused(card_with("messageData/msgType", "\"Access_Event\""), 422,
                   "/messageData/msgType", NULL);
    assert_refused(card_with("messageData/msgType", "\"\""), 422,
                   "/messageData/msgType", NULL);
}
END_TEST

START_TEST(msg_type_listed_in_accept_types_is_accepted)
{
    static const char *const both[] = { "access_event", "door_event" };
    spintly_validation_t rules = accepting(2, both);
    spintly_event_t *ev;

    ev = accepted_with(&rules, card_with("messageData/msgType",
                                         "\"door_event\""));
    ck_assert_str_eq(ev->msg_type, "door_event");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "msgType"),
                      "door_event");
    ev = accepted_with(&rules, data_file("card_event.json"));
    ck_assert_str_eq(ev->msg_type, "access_event");
}
END_TEST

START_TEST(accept_types_replaces_the_default)
{
    static const char *const door[] = { "door_event" };
    spintly_validation_t rules = accepting(1, door);
    spintly_event_t *ev;
    spintly_problem_t problem;

    ck_assert_int_eq(parse_with(&rules, data_file("card_event.json"), &ev,
                                &problem), 422);
    ck_assert_pstr_eq(problem.pointer, "/messageData/msgType");
    ck_assert_int_eq(parse_with(&rules, card_with("messageData/msgType",
                                                  "\"fire_event\""),
                                &ev, &problem), 422);
}
END_TEST

START_TEST(empty_accept_types_means_access_event)
{
    spintly_validation_t rules = accepting(0, NULL);
    spintly_event_t *ev;
    spintly_problem_t problem;

    accepted_with(&rules, data_file("card_event.json"));
    ck_assert_int_eq(parse_with(&rules, card_with("messageData/msgType",
                                                  "\"door_event\""),
                                &ev, &problem), 422);
}
END_TEST

START_TEST(refused_msg_type_is_quoted_short_and_printable)
{
    const char *type = apr_pstrcat(unit_pool, "\"evil\\r\\nSPT0001: \\u0001",
                                   repeat("x", 1000), "\"", NULL);
    spintly_event_t *ev;
    spintly_problem_t problem;

    ck_assert_int_eq(parse(card_with("messageData/msgType", type), &ev,
                           &problem), 422);
    assert_printable(problem.detail);
    ck_assert_msg(strlen(problem.detail) < 200, "detail of %d bytes",
                  (int)strlen(problem.detail));
    ck_assert_msg(!strncmp(problem.detail, "/messageData/msgType \"evil??",
                           28), "detail: %s", problem.detail);
}
END_TEST

/* ---- not JSON -------------------------------------------------------- */

#define NUL_OUTSIDE_STRING "{\"messageVersion\":\0 1}"
#define NUL_IN_STRING "{\"x\":\"a\0b\"}"

/* A body made of prefix, then (when use_card) the card event's text less
 * skip bytes at the front and cut at the end, then suffix; len, when not
 * 0, overrides strlen for bodies holding a NUL. */
static const struct {
    const char *what;
    const char *prefix;
    int use_card;
    apr_size_t skip, cut;
    const char *suffix;
    apr_size_t len;
} not_json[] = {
    { "empty", "", 0, 0, 0, "", 0 },
    { "white space", " \r\n\t ", 0, 0, 0, "", 0 },
    { "plain text", "access_event", 0, 0, 0, "", 0 },
    { "form data", "messageVersion=1&eventId=2", 0, 0, 0, "", 0 },
    { "one brace", "{", 0, 0, 0, "", 0 },
    { "truncated", "", 1, 0, 10, "", 0 },
    { "last brace missing", "", 1, 0, 2, "", 0 },
    { "trailing garbage", "", 1, 0, 0, "x", 0 },
    { "a second document", "", 1, 0, 0, "{}", 0 },
    { "a trailing comma", "{\"messageVersion\":1,}", 0, 0, 0, "", 0 },
    { "single quotes", "{'messageVersion':1}", 0, 0, 0, "", 0 },
    { "a NUL byte", NUL_OUTSIDE_STRING, 0, 0, 0, "",
      sizeof(NUL_OUTSIDE_STRING) - 1 },
    { "a NUL in a string", NUL_IN_STRING, 0, 0, 0, "",
      sizeof(NUL_IN_STRING) - 1 },
    { "invalid UTF-8", "{\"messageVersion\":1,\"x\":\"\xff\"}", 0, 0, 0,
      "", 0 },
    { "a duplicate top-level key", "{\"messageVersion\":1,", 1, 1, 0,
      "", 0 },
    { "a duplicate key in data",
      "{\"messageVersion\":1,\"messageData\":{\"msgType\":\"access_event\","
      "\"dataVersion\":1,\"requestId\":\"r\",\"data\":{\"eventId\":1,"
      "\"eventId\":2}}}", 0, 0, 0, "", 0 },
    { "a duplicate key spelt with an escape",
      "{\"messageVersion\":1,\"messageVers\\u0069on\":1}", 0, 0, 0, "", 0 },
    { "a BOM", "\xef\xbb\xbf", 1, 0, 0, "", 0 },
    { "\\u0000 in a string", "{\"name\":\"a\\u0000b\",", 1, 1, 0, "", 0 },
    { "\\u0000 in a name", "{\"a\\u0000\":1,", 1, 1, 0, "", 0 },
    { "overlong UTF-8 for /", "{\"x\":\"\xc0\xaf\",", 1, 1, 0, "", 0 },
    { "overlong 3-byte UTF-8", "{\"x\":\"\xe0\x80\xaf\",", 1, 1, 0, "", 0 },
    { "overlong 4-byte UTF-8", "{\"x\":\"\xf0\x80\x80\xaf\",", 1, 1, 0, "",
      0 },
    { "a surrogate in UTF-8", "{\"x\":\"\xed\xa0\x80\",", 1, 1, 0, "", 0 },
    { "beyond U+10FFFF", "{\"x\":\"\xf4\x90\x80\x80\",", 1, 1, 0, "", 0 },
    { "a cut UTF-8 sequence", "{\"x\":\"caf\xc3\",", 1, 1, 0, "", 0 },
    { "a continuation byte alone", "{\"x\":\"\x80\",", 1, 1, 0, "", 0 },
    { "invalid UTF-8 in a name", "{\"\xfe\":1,", 1, 1, 0, "", 0 },
    { "a lone high surrogate", "{\"x\":\"\\ud800\",", 1, 1, 0, "", 0 },
    { "a lone low surrogate", "{\"x\":\"\\udc00 \",", 1, 1, 0, "", 0 },
    { "a bad escape", "{\"x\":\"\\x41\",", 1, 1, 0, "", 0 },
    { "a raw tab in a string", "{\"x\":\"a\tb\",", 1, 1, 0, "", 0 },
    { "a raw line feed in a string", "{\"x\":\"a\nb\",", 1, 1, 0, "", 0 },
    { "a raw control character", "{\"x\":\"\x01\",", 1, 1, 0, "", 0 },
    { "an unclosed string", "{\"messageVersion\":1,\"x\":\"abc", 0, 0, 0,
      "", 0 },
    { "NaN", "{\"x\":NaN,", 1, 1, 0, "", 0 },
    { "Infinity", "{\"x\":-Infinity,", 1, 1, 0, "", 0 },
    { "a leading zero", "{\"x\":0123,", 1, 1, 0, "", 0 },
    { "a plus sign", "{\"x\":+1,", 1, 1, 0, "", 0 },
    { "hexadecimal", "{\"x\":0x10,", 1, 1, 0, "", 0 },
    { "a bare dot", "{\"x\":1.,", 1, 1, 0, "", 0 },
    { "a comment", "/* spintly */", 1, 0, 0, "", 0 },
    { "a name without quotes", "{messageVersion:1,", 1, 1, 0, "", 0 },
    { "a trailing comma in an array", "{\"x\":[1,],", 1, 1, 0, "", 0 },
    { "a JSON line after the document", "", 1, 0, 0, "\n{\"x\":1}\n", 0 },
};

START_TEST(not_json_is_400_without_pointer)
{
    body_t body;

    if (not_json[_i].use_card) {
        body_t card = data_file("card_event.json");
        const char *tail = card.text + not_json[_i].skip;

        body.text = apr_pstrcat(unit_pool, not_json[_i].prefix,
                                apr_pstrndup(unit_pool, tail,
                                             strlen(tail) - not_json[_i].cut),
                                not_json[_i].suffix, NULL);
        body.len = strlen(body.text);
    }
    else {
        body.text = not_json[_i].prefix;
        body.len = not_json[_i].len ? not_json[_i].len
                                    : strlen(not_json[_i].prefix);
    }
    {
        spintly_event_t *ev;
        spintly_problem_t problem;
        int status = parse(body, &ev, &problem);

        ck_assert_msg(status == 400, "%s: status %d (%s)", not_json[_i].what,
                      status, status ? problem.detail : "accepted");
        ck_assert_int_eq(problem.status, 400);
        ck_assert_ptr_null(problem.pointer);
        ck_assert_msg(!strncmp(problem.detail, "invalid JSON", 12),
                      "%s: detail \"%s\"", not_json[_i].what,
                      problem.detail);
        assert_printable(problem.detail);
        ck_assert_ptr_null(ev);
    }
}
END_TEST

/* Details that say exactly what and where. */
START_TEST(empty_body_says_so)
{
    body_t empty = { "", 0 };
    body_t blank = { " \r\n\t\n", 5 };

    assert_refused(empty, 400, NULL, "invalid JSON: the body is empty");
    assert_refused(blank, 400, NULL, "invalid JSON: the body is empty");
}
END_TEST

START_TEST(nul_byte_is_400_at_its_byte)
{
    body_t body = { NUL_IN_STRING, sizeof(NUL_IN_STRING) - 1 };

    /* {"x":"a then the NUL: byte 8, counting from 1 */
    assert_refused(body, 400, NULL, "invalid JSON: a NUL byte at byte 8");
}
END_TEST

START_TEST(nul_escape_is_400_and_named)
{
    body_t value = { "{\"x\":\"a\\u0000b\"}", 16 };
    body_t name = { "{\"a\\u0000\":1}", 13 };
    spintly_event_t *ev;
    spintly_problem_t problem;

    ck_assert_int_eq(parse(value, &ev, &problem), 400);
    ck_assert_msg(unit_contains(problem.detail, strlen(problem.detail),
                                "\\u0000 is not accepted in a string"),
                  "detail: %s", problem.detail);
    ck_assert_int_eq(parse(name, &ev, &problem), 400);
    ck_assert_msg(unit_contains(problem.detail, strlen(problem.detail),
                                "\\u0000 is not accepted in a member name"),
                  "detail: %s", problem.detail);
}
END_TEST

START_TEST(syntax_error_names_its_byte_and_a_short_excerpt)
{
    const char *junk = repeat("garbage ", 2000);
    body_t trailing = card_text_with("\"name\": \"john dor\"\n",
                                     apr_pstrcat(unit_pool,
                                                 "\"name\": \"john dor\"\n",
                                                 "}}} ", junk, NULL));
    spintly_event_t *ev;
    spintly_problem_t problem;

    ck_assert_int_eq(parse(trailing, &ev, &problem), 400);
    assert_printable(problem.detail);
    ck_assert_msg(!strncmp(problem.detail, "invalid JSON at byte ", 21),
                  "detail: %s", problem.detail);
    ck_assert_msg(strlen(problem.detail) < 200, "detail of %d bytes",
                  (int)strlen(problem.detail));
}
END_TEST

/* The module parses the body compacted; a detail still counts the bytes
 * received, as jansson does on the body itself. */
START_TEST(syntax_error_byte_counts_the_body_received)
{
    body_t body = card_text_with("\"name\": \"john dor\"",
                                 "\"name\": john dor");
    json_error_t jerr;
    json_t *direct = json_loadb(body.text, body.len, 0, &jerr);

    ck_assert_ptr_null(direct);
    ck_assert_int_gt(jerr.position, 600);
    assert_refused(body, 400, NULL,
                   apr_psprintf(unit_pool, "invalid JSON at byte %d: %s",
                                jerr.position, jerr.text));
}
END_TEST

/* White space that JSON refuses between two tokens must not vanish and
 * join them into one that it accepts. */
static const struct {
    const char *from;
    const char *to;
} split_tokens[] = {
    { "\"orgId\": 223", "\"orgId\": 2 23" },
    { "\"orgId\": 223", "\"orgId\": 22\n\t3" },
    { "\"eventId\": 222423", "\"eventId\": 222423 1" },
    { "\"siteId\": 11", "\"siteId\": 1\r\n1" },
    { "\"mobileAccessMode\": null", "\"mobileAccessMode\": nu ll" },
    { "\"mobileAccessMode\": null", "\"mobileAccessMode\": tr ue" },
    { "\"eventTimeEpoch\": 1745235725",
      "\"eventTimeEpoch\": 1745235725 e0" },
    { "\"accessPointId\": 54", "\"accessPointId\": 5 .4" },
    { "\"messageVersion\": 1", "\"messageVersion\": - 1" },
};

START_TEST(split_tokens_are_400)
{
    body_t body = card_text_with(split_tokens[_i].from, split_tokens[_i].to);
    spintly_event_t *ev;
    spintly_problem_t problem;
    int status = parse(body, &ev, &problem);

    ck_assert_msg(status == 400, "%s: status %d (%s)", split_tokens[_i].to,
                  status, status ? problem.detail : "accepted");
    ck_assert_msg(!strncmp(problem.detail, "invalid JSON at byte ", 21),
                  "detail: %s", problem.detail);
}
END_TEST

START_TEST(nesting_to_max_depth_is_accepted)
{
    /* the root object is level 1, so the member may add 15 */
    body_t body = card_with_first_member(
        apr_pstrcat(unit_pool, "\"deep\":", repeat("[", SPINTLY_MAX_DEPTH - 1),
                    repeat("]", SPINTLY_MAX_DEPTH - 1), NULL));

    accepted(body);
}
END_TEST

START_TEST(nesting_deeper_than_max_depth_is_400)
{
    body_t body = card_with_first_member(
        apr_pstrcat(unit_pool, "\"deep\":", repeat("[", SPINTLY_MAX_DEPTH),
                    repeat("]", SPINTLY_MAX_DEPTH), NULL));

    /* the offending bracket: after '{', "deep": and 15 brackets, counting
     * from 1 */
    assert_refused(body, 400, NULL,
                   apr_psprintf(unit_pool, "invalid JSON: nested deeper "
                                "than %d at byte %d", SPINTLY_MAX_DEPTH,
                                1 + 7 + SPINTLY_MAX_DEPTH));
}
END_TEST

START_TEST(nesting_100000_deep_is_400)
{
    body_t body;

    body.text = apr_pstrcat(unit_pool, repeat("{\"a\":[", 50000),
                            repeat("]}", 50000), NULL);
    body.len = strlen(body.text);
    assert_refused(body, 400, NULL, NULL);
}
END_TEST

START_TEST(brackets_inside_strings_are_not_nesting)
{
    json_t *doc = reference("card_event.json");

    set_member(doc, "messageData/data/name", apr_pstrcat(unit_pool,
               "\"", repeat("[{", 40), "\"", NULL));
    set_member(doc, "messageData/data/accessPointName", apr_pstrcat(unit_pool,
               "\"\\\"", repeat("[", 40), "\\\\\"", NULL));
    accepted(text_of(doc));
}
END_TEST

/* ---- unknown members ------------------------------------------------- */

START_TEST(unknown_members_are_kept)
{
    json_t *doc = reference("mobile_event.json");
    spintly_event_t *ev;
    json_t *record;
    apr_size_t len;
    spintly_receipt_t receipt = { RECEIVED_AT, "front", "192.0.2.1" };
    char *line;

    set_member(doc, "messageData/data/siteName", "\"HQ, Pune\"");
    set_member(doc, "messageData/data/attributes",
               "[{\"id\": 7, \"name\": \"Shift A\", \"termId\": 2}]");
    set_member(doc, "messageData/data/forAccess", "true");
    set_member(doc, "messageData/data/forAttendance", "false");
    set_member(doc, "messageData/data/temperature", "36.5");
    set_member(doc, "messageData/data/timezonedEventTime",
               "\"2025-04-02T15:31:06+05:30\"");
    set_member(doc, "messageData/extra", "{\"a\": null}");
    set_member(doc, "futureVersionHint", "[1, \"two\"]");
    ev = accepted(text_of(doc));
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "siteName"),
                      "HQ, Pune");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "attributes"),
                      "[{\"id\":7,\"name\":\"Shift A\",\"termId\":2}]");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "forAccess"),
                      "true");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "forAttendance"),
                      "false");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "temperature"),
                      "36.5");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev,
                                          "timezonedEventTime"),
                      "2025-04-02T15:31:06+05:30");
    /* and the record carries all of them */
    line = spintly_record_format(unit_pool, ev, &receipt, &len);
    record = json_of(line, len);
    ck_assert(json_equal(json_object_get(record, "message"), doc));
}
END_TEST

/* ---- what Spintly's own payloads vary in ------------------------------ */

static const struct {
    const char *path;
    const char *value;
} lenient[] = {
    /* accessType and mobileAccessMode: any string, known or not */
    { "messageData/data/accessType", "\"fingerprint\"" },
    { "messageData/data/accessType", "\"face\"" },
    { "messageData/data/accessType", "\"Card\"" },
    { "messageData/data/mobileAccessMode", "\"clickToAccess\"" },
    { "messageData/data/mobileAccessMode", "\"tapToAccess\"" },
    { "messageData/data/mobileAccessMode", "\"proximity\"" },
    { "messageData/data/mobileAccessMode", "\"mobileNfcAcces\"" },
    { "messageData/data/mobileAccessMode", "\"\"" },
    /* employeeCode: free text, not always a person */
    { "messageData/data/employeeCode", "\"   12334\"" },
    { "messageData/data/employeeCode", "\"firePanel\"" },
    { "messageData/data/employeeCode", "\"\"" },
    { "messageData/data/name", "\"\"" },
    { "messageData/data/accessPointName", "\"Gate \\u2192 Lobby\"" },
    /* requestId is any string */
    { "messageData/requestId", "\"\"" },
    { "messageData/requestId", "\"42\"" },
    /* members of the longer field list are not checked, whatever they
     * hold */
    { "messageData/data/forAccess", "\"yes\"" },
    { "messageData/data/accessorId", "\"12321\"" },
    { "messageData/data/phone", "919876543210" },
    { "messageData/data/email", "null" },
    { "messageData/data/attributes", "{}" },
    { "messageData/data/timezonedEventTime", "1745235725" },
    /* the rest of the document too */
    { "messageData/extra", "[1.5, -0, 1e-400, \"\\u0001\"]" },
    { "messageData/data/eventId", "9223372036854775807" },
};

START_TEST(what_spintly_varies_is_accepted_and_kept)
{
    spintly_receipt_t receipt = { RECEIVED_AT, "front", "192.0.2.1" };
    json_t *doc = reference("mobile_event.json");
    spintly_event_t *ev;
    apr_size_t len;
    char *line;

    set_member(doc, lenient[_i].path, lenient[_i].value);
    ev = accepted(text_of(doc));
    line = spintly_record_format(unit_pool, ev, &receipt, &len);
    ck_assert(json_equal(json_object_get(json_of(line, len), "message"),
                         doc));
}
END_TEST

START_TEST(the_longer_field_list_is_accepted)
{
    /* the variant of Spintly's page with every field, made concrete */
    static const char longer[] =
        "{\"messageVersion\":1,\"messageData\":{\"requestId\":"
        "\"e5e26bf5-502b-410a-ac1e-e3cf570bc5f3\",\"msgType\":"
        "\"access_event\",\"dataVersion\":1,\"data\":{\"orgId\":3775,"
        "\"integratorId\":45,\"orgUserId\":471759,\"eventTimeEpoch\":"
        "1723042077,\"timezonedEventTime\":\"2024-08-07T20:17:57+05:30\","
        "\"direction\":\"exit\",\"accessType\":\"card\",\"forAccess\":true,"
        "\"forAttendance\":false,\"eventId\":1189780,\"accessPointId\":7854,"
        "\"employeeCode\":\"firePanel\",\"siteName\":\"my new site\","
        "\"accessPointName\":\"Main door\",\"siteId\":123,\"accessorId\":"
        "12321,\"mobileAccessMode\":\"mobileNfcAcces\",\"attributes\":[{"
        "\"id\":433,\"name\":\"Department\",\"termId\":2127,\"termName\":"
        "\"Operations\"}],\"email\":\"abc@newUser.com\",\"name\":"
        "\"abc user\",\"siteLocation\":\"site1\",\"phone\":"
        "\"+91487254574\"}}}";
    body_t body = { longer, sizeof(longer) - 1 };
    spintly_event_t *ev = accepted(body);

    ck_assert_int_eq(ev->event_id, 1189780);
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "employeeCode"),
                      "firePanel");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "forAccess"),
                      "true");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "attributes"),
                      "[{\"id\":433,\"name\":\"Department\",\"termId\":2127,"
                      "\"termName\":\"Operations\"}]");
}
END_TEST

START_TEST(escaped_direction_is_its_decoded_text)
{
    spintly_event_t *ev = accepted(card_with("messageData/data/direction",
                                             "\"\\u0065xit\""));

    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "direction"),
                      "exit");
}
END_TEST

/* ---- spintly_event_value --------------------------------------------- */

START_TEST(value_of_integers_is_decimal)
{
    spintly_event_t *ev = accepted(data_file("card_event.json"));

    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "eventId"),
                      "222423");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "orgId"), "223");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "eventTimeEpoch"),
                      "1745235725");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "orgUserId"),
                      "335532");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "siteId"), "11");
}
END_TEST

START_TEST(value_of_strings_is_their_text)
{
    spintly_event_t *ev = accepted(data_file("mobile_event.json"));

    /* employeeCode keeps its leading space */
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "employeeCode"),
                      " 12334");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "mobileAccessMode"),
                      "click_to_access/tap_to_access");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "name"),
                      "jane doe");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "requestId"),
                      "7a9aff55-d695-4d4e-8069-1b772bf9b321");
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "msgType"),
                      "access_event");
}
END_TEST

START_TEST(value_of_escaped_string_is_unescaped)
{
    spintly_event_t *ev = accepted(card_with(
        "messageData/data/name", "\"O\\\"Brien \\\\ caf\\u00e9\\tx\""));

    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "name"),
                      "O\"Brien \\ caf\xc3\xa9\tx");
}
END_TEST

START_TEST(value_of_null_is_null)
{
    spintly_event_t *ev = accepted(data_file("card_event.json"));

    ck_assert_ptr_null(spintly_event_value(unit_pool, ev,
                                           "mobileAccessMode"));
}
END_TEST

START_TEST(value_of_missing_member_is_null)
{
    spintly_event_t *ev = accepted(card_with("messageData/data/name", NULL));

    ck_assert_ptr_null(spintly_event_value(unit_pool, ev, "name"));
    ck_assert_ptr_null(spintly_event_value(unit_pool, ev, "siteName"));
    /* a member of messageData, not of data */
    ck_assert_ptr_null(spintly_event_value(unit_pool, ev, "dataVersion"));
}
END_TEST

/* ---- spintly_json_compact -------------------------------------------- */

static const struct {
    const char *in;
    const char *out;
} compactions[] = {
    { " { \"a\" : \"x y  z\" ,\n\t\"b\" : [ 1 , 2 , { } ] }\r\n",
      "{\"a\":\"x y  z\",\"b\":[1,2,{}]}" },
    { "{\"a b\" : 1 , \" c \":\"  \"}", "{\"a b\":1,\" c \":\"  \"}" },
    /* escaped quotes inside a string do not end it */
    { "{\"a\": \"say \\\"hi there\\\" \" , \"b\" : 1}",
      "{\"a\":\"say \\\"hi there\\\" \",\"b\":1}" },
    /* a string ending in an escaped backslash does end */
    { "{\"p\": \"C:\\\\ dir\\\\\" , \"q\" : \" x \"}",
      "{\"p\":\"C:\\\\ dir\\\\\",\"q\":\" x \"}" },
    { "[ \"\\\\\\\" \\\\\" , \"\\\\\" , \" \" ]",
      "[\"\\\\\\\" \\\\\",\"\\\\\",\" \"]" },
    { "[ \"\" , \"\\t\\n \\u0020\" , \"caf\\u00e9 caf\xc3\xa9\" ]",
      "[\"\",\"\\t\\n \\u0020\",\"caf\\u00e9 caf\xc3\xa9\"]" },
    { "[true , false , null , -1.5e3 ]", "[true,false,null,-1.5e3]" },
    { CARD_COMPACT, CARD_COMPACT },
};

/* Compact in, check the result is out, that nothing past it was written,
 * and that it is the same JSON. */
static void assert_compacts(const char *in, apr_size_t in_len,
                            const char *out)
{
    char *buf = apr_palloc(unit_pool, in_len + 16);
    apr_size_t n;

    memset(buf, '#', in_len + 16);
    n = spintly_json_compact(buf, in, in_len);
    ck_assert_msg(n == strlen(out) && !memcmp(buf, out, n),
                  "compacted to \"%.*s\", expected \"%s\"", (int)n, buf, out);
    ck_assert_int_eq(buf[n], '#');
    ck_assert(json_equal(json_of(buf, n), json_of(in, in_len)));
}

START_TEST(compact_removes_white_space_outside_strings_only)
{
    assert_compacts(compactions[_i].in, strlen(compactions[_i].in),
                    compactions[_i].out);
}
END_TEST

/* Not JSON, and kept that way: white space between two token bytes
 * becomes one space instead of joining them. */
static const struct {
    const char *in;
    const char *out;
} compactions_not_json[] = {
    { "[1 2]", "[1 2]" },
    { "[ 1 \t\n 2 , 3 ]", "[1 2,3]" },
    { "{ \"a\" : tr  ue }", "{\"a\":tr ue}" },
    { "{\"a\": - 1}", "{\"a\":- 1}" },
    { "[1 \"a\" 2]", "[1\"a\"2]" },
    { "  x  y  ", "x y" },
    { "[\"unclosed  ", "[\"unclosed  " },
    { "[\"a\\", "[\"a\\" },
    { "\f [ ]", "\f[]" },
};

START_TEST(compact_keeps_tokens_apart)
{
    const char *in = compactions_not_json[_i].in;
    const char *out = compactions_not_json[_i].out;
    apr_size_t in_len = strlen(in);
    char *buf = apr_palloc(unit_pool, in_len + 16);
    apr_size_t n;

    memset(buf, '#', in_len + 16);
    n = spintly_json_compact(buf, in, in_len);
    ck_assert_msg(n == strlen(out) && !memcmp(buf, out, n),
                  "compacted to \"%.*s\", expected \"%s\"", (int)n, buf, out);
    ck_assert_int_eq(buf[n], '#');
    ck_assert_ptr_null(json_loadb(buf, n, JSON_DECODE_ANY, NULL));
    ck_assert_ptr_null(json_loadb(in, in_len, JSON_DECODE_ANY, NULL));
}
END_TEST

START_TEST(compact_of_the_card_reference)
{
    body_t card = data_file("card_event.json");

    assert_compacts(card.text, card.len, CARD_COMPACT);
}
END_TEST

START_TEST(compact_of_the_mobile_reference)
{
    body_t mobile = data_file("mobile_event.json");
    char *expected = json_dumps(json_of(mobile.text, mobile.len),
                                JSON_COMPACT | JSON_PRESERVE_ORDER);

    ck_assert_ptr_nonnull(expected);
    assert_compacts(mobile.text, mobile.len,
                    apr_pstrdup(unit_pool, expected));
    free(expected);
}
END_TEST

/* ---- time and record ------------------------------------------------- */

static const struct {
    apr_time_t t;
    const char *text;
} times[] = {
    { 0, "1970-01-01T00:00:00.000000Z" },
    { RECEIVED_AT, "2025-04-21T11:42:05.123456Z" },
    { APR_INT64_C(1745235725000042), "2025-04-21T11:42:05.000042Z" },
    { APR_INT64_C(951868799999999), "2000-02-29T23:59:59.999999Z" },
    { APR_INT64_C(4102444799999999), "2099-12-31T23:59:59.999999Z" },
};

START_TEST(time_is_rfc3339_utc_with_microseconds)
{
    char buf[64];

    memset(buf, '#', sizeof(buf));
    spintly_format_time(buf, times[_i].t);
    ck_assert_str_eq(buf, times[_i].text);
    ck_assert_int_eq(buf[28], '#');
}
END_TEST

/* Format ev, check it is one line of JSON with exactly the four members,
 * and return it parsed. */
static json_t *record_of(const spintly_event_t *ev,
                         const spintly_receipt_t *receipt)
{
    apr_size_t len = 0, i;
    char *line = spintly_record_format(unit_pool, ev, receipt, &len);
    json_t *record;

    ck_assert_ptr_nonnull(line);
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(line[len - 1], '\n');
    for (i = 0; i + 1 < len; i++) {
        ck_assert_msg(line[i] != '\n' && line[i] != '\r',
                      "line break at byte %d of %d", (int)i, (int)len);
    }
    ck_assert_msg(!strncmp(line, "{\"receivedAt\":\"", 15),
                  "record starts %.40s", line);
    record = json_of(line, len);
    ck_assert(json_is_object(record));
    ck_assert_uint_eq(json_object_size(record), 4);
    ck_assert_pstr_eq(json_string_value(json_object_get(record, "keyName")),
                      receipt->key_name);
    ck_assert_pstr_eq(json_string_value(json_object_get(record, "clientIp")),
                      receipt->client_ip);
    ck_assert(json_equal(json_object_get(record, "message"),
                         (json_t *)ev->doc));
    return record;
}

START_TEST(record_is_one_line_of_json_with_receipt_and_message)
{
    spintly_receipt_t receipt = { RECEIVED_AT, "front-door", "203.0.113.7" };
    spintly_event_t *ev = accepted(data_file("mobile_event.json"));
    json_t *record = record_of(ev, &receipt);

    ck_assert_pstr_eq(json_string_value(json_object_get(record,
                                                        "receivedAt")),
                      "2025-04-21T11:42:05.123456Z");
}
END_TEST

START_TEST(record_of_card_event_is_exact)
{
    spintly_receipt_t receipt = { RECEIVED_AT, "sha1:9f3f2b54",
                                  "2001:db8::1" };
    spintly_event_t *ev = accepted(data_file("card_event.json"));
    const char *expected =
        "{\"receivedAt\":\"2025-04-21T11:42:05.123456Z\","
        "\"keyName\":\"sha1:9f3f2b54\",\"clientIp\":\"2001:db8::1\","
        "\"message\":" CARD_COMPACT "}\n";
    apr_size_t len;
    char *line = spintly_record_format(unit_pool, ev, &receipt, &len);

    ck_assert_msg(len == strlen(expected) && !memcmp(line, expected, len),
                  "record \"%.*s\"", (int)len, line);
    record_of(ev, &receipt);
}
END_TEST

START_TEST(record_keeps_strings_byte_for_byte)
{
    spintly_receipt_t receipt = { 0, "k", "::1" };
    const char *name = "  Mary \"MJ\" O'Neil \\ caf\xc3\xa9 \t end  ";
    json_t *doc = reference("card_event.json");
    spintly_event_t *ev;
    json_t *record;

    json_object_set_new(json_object_get(json_object_get(doc, "messageData"),
                                        "data"), "name", json_string(name));
    ev = accepted(text_of(doc));
    record = record_of(ev, &receipt);
    ck_assert_pstr_eq(json_string_value(json_object_get(record,
                                                        "receivedAt")),
                      "1970-01-01T00:00:00.000000Z");
    ck_assert_pstr_eq(json_string_value(json_object_get(json_object_get(
        json_object_get(json_object_get(record, "message"), "messageData"),
        "data"), "name")), name);
}
END_TEST

START_TEST(record_of_a_10_kb_event)
{
    spintly_receipt_t receipt = { RECEIVED_AT, "front", "198.51.100.20" };
    const char *name = repeat("Ab \"q\" \\ ", 1200);   /* 10.8 KB */
    json_t *doc = reference("mobile_event.json");
    body_t body;
    spintly_event_t *ev;
    json_t *record;

    json_object_set_new(json_object_get(json_object_get(doc, "messageData"),
                                        "data"), "name", json_string(name));
    body = text_of(doc);
    ck_assert_uint_gt(body.len, 10 * 1024);
    ev = accepted(body);
    ck_assert_pstr_eq(spintly_event_value(unit_pool, ev, "name"), name);
    record = record_of(ev, &receipt);
    ck_assert(json_equal(json_object_get(record, "message"), doc));
}
END_TEST

/* ---- spintly_json_quote ---------------------------------------------- */

static const struct {
    const char *in;
    const char *out;
} quotes[] = {
    { "", "\"\"" },
    { "front-door", "\"front-door\"" },
    { "say \"hi\"", "\"say \\\"hi\\\"\"" },
    { "C:\\dir\\", "\"C:\\\\dir\\\\\"" },
    { "line\nbreak\ttab\r", "\"line\\u000abreak\\u0009tab\\u000d\"" },
    { "\x01\x1f\x1b[31m", "\"\\u0001\\u001f\\u001b[31m\"" },
    { "caf\xc3\xa9 \x7f /", "\"caf\xc3\xa9 \x7f /\"" },
};

START_TEST(quote_escapes_quotes_backslashes_and_control_characters)
{
    ck_assert_str_eq(spintly_json_quote(unit_pool, quotes[_i].in),
                     quotes[_i].out);
}
END_TEST

START_TEST(quote_round_trips_every_ascii_character)
{
    char all[128];
    const char *quoted;
    json_t *parsed;
    int c;

    for (c = 1; c < 128; c++) {
        all[c - 1] = (char)c;
    }
    all[127] = '\0';
    quoted = spintly_json_quote(unit_pool, all);
    parsed = json_of_str(quoted);
    ck_assert(json_is_string(parsed));
    ck_assert_str_eq(json_string_value(parsed), all);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("spintly_event");
    TCase *tc;

#define LOOP(tc, test, table) \
    tcase_add_loop_test(tc, test, 0, sizeof(table) / sizeof(table[0]))

    tc = unit_tcase("reference");
    tcase_add_test(tc, card_reference_is_accepted);
    tcase_add_test(tc, mobile_reference_is_accepted);
    tcase_add_test(tc, only_len_bytes_of_the_body_count);
    suite_add_tcase(s, tc);

    tc = unit_tcase("members");
    LOOP(tc, missing_required_member_is_422_at_its_pointer, required);
    LOOP(tc, missing_optional_member_is_accepted, optional);
    tcase_add_test(tc, all_optional_members_missing_or_null_is_accepted);
    LOOP(tc, wrong_type_is_422_at_its_pointer, wrong_types);
    tcase_add_test(tc, document_that_is_not_an_object_is_422);
    tcase_add_test(tc, unknown_members_are_kept);
    suite_add_tcase(s, tc);

    tc = unit_tcase("lenient");
    LOOP(tc, what_spintly_varies_is_accepted_and_kept, lenient);
    tcase_add_test(tc, the_longer_field_list_is_accepted);
    tcase_add_test(tc, escaped_direction_is_its_decoded_text);
    suite_add_tcase(s, tc);

    tc = unit_tcase("values");
    LOOP(tc, zero_or_negative_id_or_time_is_422, ids);
    LOOP(tc, smallest_id_is_1, ids);
    tcase_add_test(tc, largest_ids_are_int64_max);
    tcase_add_test(tc, ids_keep_64_bit_precision);
    tcase_add_test(tc, event_time_up_to_year_9999_is_accepted);
    LOOP(tc, event_time_after_year_9999_is_422, too_late);
    LOOP(tc, number_beyond_64_bits_is_422_at_its_pointer, out_of_range);
    tcase_add_test(tc, number_beyond_64_bits_as_the_document_is_422);
    tcase_add_test(tc,
                   number_beyond_64_bits_under_a_long_name_names_its_parent);
    LOOP(tc, direction_other_than_entry_or_exit_is_422, bad_directions);
    tcase_add_test(tc, direction_exit_is_accepted);
    LOOP(tc, version_other_than_1_is_422, bad_versions);
    tcase_add_test(tc, msg_type_other_than_access_event_is_422);
    tcase_add_test(tc, msg_type_listed_in_accept_types_is_accepted);
    tcase_add_test(tc, accept_types_replaces_the_default);
    tcase_add_test(tc, empty_accept_types_means_access_event);
    tcase_add_test(tc, refused_msg_type_is_quoted_short_and_printable);
    suite_add_tcase(s, tc);

    tc = unit_tcase("not_json");
    LOOP(tc, not_json_is_400_without_pointer, not_json);
    tcase_add_test(tc, empty_body_says_so);
    tcase_add_test(tc, nul_byte_is_400_at_its_byte);
    tcase_add_test(tc, nul_escape_is_400_and_named);
    tcase_add_test(tc, syntax_error_names_its_byte_and_a_short_excerpt);
    tcase_add_test(tc, syntax_error_byte_counts_the_body_received);
    LOOP(tc, split_tokens_are_400, split_tokens);
    tcase_add_test(tc, nesting_to_max_depth_is_accepted);
    tcase_add_test(tc, nesting_deeper_than_max_depth_is_400);
    tcase_add_test(tc, nesting_100000_deep_is_400);
    tcase_add_test(tc, brackets_inside_strings_are_not_nesting);
    suite_add_tcase(s, tc);

    tc = unit_tcase("value");
    tcase_add_test(tc, value_of_integers_is_decimal);
    tcase_add_test(tc, value_of_strings_is_their_text);
    tcase_add_test(tc, value_of_escaped_string_is_unescaped);
    tcase_add_test(tc, value_of_null_is_null);
    tcase_add_test(tc, value_of_missing_member_is_null);
    suite_add_tcase(s, tc);

    tc = unit_tcase("compact");
    LOOP(tc, compact_removes_white_space_outside_strings_only, compactions);
    LOOP(tc, compact_keeps_tokens_apart, compactions_not_json);
    tcase_add_test(tc, compact_of_the_card_reference);
    tcase_add_test(tc, compact_of_the_mobile_reference);
    suite_add_tcase(s, tc);

    tc = unit_tcase("record");
    LOOP(tc, time_is_rfc3339_utc_with_microseconds, times);
    tcase_add_test(tc, record_is_one_line_of_json_with_receipt_and_message);
    tcase_add_test(tc, record_of_card_event_is_exact);
    tcase_add_test(tc, record_keeps_strings_byte_for_byte);
    tcase_add_test(tc, record_of_a_10_kb_event);
    suite_add_tcase(s, tc);

    tc = unit_tcase("quote");
    LOOP(tc, quote_escapes_quotes_backslashes_and_control_characters,
         quotes);
    tcase_add_test(tc, quote_round_trips_every_ascii_character);
    suite_add_tcase(s, tc);

#undef LOOP
    return s;
}
