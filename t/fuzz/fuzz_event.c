/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target over what mod_spintly runs on every request body:
 * spintly_event_parse; for an accepted event spintly_record_format,
 * spintly_event_compact and spintly_event_value; for a refused one the
 * problem document that send_problem builds with spintly_json_quote.
 *
 * Besides what the sanitizers catch, it checks the promises the module
 * makes, and aborts (a crash for libFuzzer) when one is broken:
 * - a refused body gets 400 without a pointer or 422 with one, a detail
 *   of printable ASCII that quotes little of the body, and a problem
 *   document that is valid JSON;
 * - an accepted event's ids and time are in range, and its record is one
 *   line of JSON holding the very document received;
 * - the module parses the compacted body, not the body: jansson must
 *   judge both alike (accepted by the module means jansson accepts the
 *   body as received and finds the same document; a body jansson accepts
 *   is refused for its content, nesting or a NUL byte only, never as bad
 *   syntax; a body jansson refuses, other than for a number too large, is
 *   refused with 400);
 * - compacting never grows the text (the record's buffer relies on it)
 *   and is idempotent.
 *
 * APR pools hide overruns inside their blocks from AddressSanitizer, so
 * what writes into a caller's buffer is also called here on an exact-size
 * malloc'ed one.  Built by build/fuzz.mk, with fuzz_replay.c when run
 * without libFuzzer.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "spintly_event.h"

/* Longest detail the module may send: a 120-byte pointer or excerpt and
 * the sentence around it. */
#define LONGEST_DETAIL 320

#define FUZZ_CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_event: %s (%s:%d)\n", (what), __FILE__, \
                    __LINE__); \
            abort(); \
        } \
    } while (0)

static apr_pool_t *fuzz_root;
static spintly_validation_t two_types;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_array_header_t *types;

    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&fuzz_root, NULL) != APR_SUCCESS) {
        abort();
    }
    types = apr_array_make(fuzz_root, 2, sizeof(const char *));
    APR_ARRAY_PUSH(types, const char *) = "access_event";
    APR_ARRAY_PUSH(types, const char *) = "door_event";
    two_types.accept_types = types;
    return 0;
}

static int is_printable_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* The problem document as send_problem writes it must parse back to the
 * same detail and pointer. */
static void check_problem(apr_pool_t *p, int status,
                          const spintly_problem_t *problem)
{
    const char *doc;
    json_t *parsed;

    FUZZ_CHECK(status == 400 || status == 422, "status is 400 or 422");
    FUZZ_CHECK(problem->status == status, "problem carries the status");
    FUZZ_CHECK((status == 422) == (problem->pointer != NULL),
               "a pointer on 422 only");
    FUZZ_CHECK(problem->detail != NULL, "a detail");
    FUZZ_CHECK(is_printable_ascii(problem->detail), "detail is printable");
    FUZZ_CHECK(strlen(problem->detail) <= LONGEST_DETAIL, "detail is short");
    FUZZ_CHECK(problem->pointer == NULL
               || strlen(problem->pointer) <= SPINTLY_MAX_EXCERPT,
               "pointer is short");
    FUZZ_CHECK(problem->pointer == NULL || problem->pointer[0] == '\0'
               || problem->pointer[0] == '/', "pointer is a JSON pointer");

    doc = apr_pstrcat(p, "{\"type\":\"about:blank\",\"title\":\"T\","
                      "\"status\":", apr_itoa(p, status), ",\"detail\":",
                      spintly_json_quote(p, problem->detail),
                      problem->pointer ? ",\"pointer\":" : "",
                      problem->pointer
                      ? spintly_json_quote(p, problem->pointer) : "",
                      "}\n", NULL);
    parsed = json_loads(doc, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(parsed != NULL, "problem document is JSON");
    FUZZ_CHECK(!strcmp(json_string_value(json_object_get(parsed, "detail")),
                       problem->detail), "detail survives quoting");
    FUZZ_CHECK(problem->pointer == NULL
               || !strcmp(json_string_value(json_object_get(parsed,
                                                            "pointer")),
                          problem->pointer), "pointer survives quoting");
    json_decref(parsed);
}

/* spintly_json_compact on an exact-size buffer: it must not grow the
 * text, and compacting again must change nothing. */
static size_t check_compact(const char *text, size_t len, char **out)
{
    char *once = malloc(len ? len : 1);
    char *twice;
    size_t n, m;

    FUZZ_CHECK(once != NULL, "malloc");
    n = spintly_json_compact(once, text, len);
    FUZZ_CHECK(n <= len, "compacting never grows the text");
    twice = malloc(n ? n : 1);
    FUZZ_CHECK(twice != NULL, "malloc");
    m = spintly_json_compact(twice, once, n);
    FUZZ_CHECK(m == n && !memcmp(once, twice, n), "compacting is idempotent");
    free(twice);
    *out = once;
    return n;
}

static const char *const fields[] = {
    "eventId", "orgId", "eventTimeEpoch", "direction", "accessType",
    "siteId", "accessPointId", "orgUserId", "integratorId", "employeeCode",
    "accessPointName", "name", "mobileAccessMode", "requestId", "msgType",
    "attributes", "forAccess", "accessorId", "timezonedEventTime",
};

static void check_event(apr_pool_t *p, const spintly_event_t *ev,
                        const unsigned char *data, size_t size)
{
    spintly_receipt_t receipt;
    const char *id;
    char *record, *mine;
    size_t mine_len, i;
    apr_size_t len;
    json_t *parsed;

    FUZZ_CHECK(ev->event_id > 0 && ev->org_id > 0, "ids are positive");
    FUZZ_CHECK(ev->event_time > 0
               && ev->event_time <= SPINTLY_MAX_EVENT_TIME,
               "event time in range");
    FUZZ_CHECK(ev->request_id != NULL && ev->msg_type != NULL,
               "requestId and msgType are strings");

    id = spintly_event_value(p, ev, "eventId");
    FUZZ_CHECK(id && !strcmp(id, apr_psprintf(p, "%" APR_INT64_T_FMT,
                                              ev->event_id)),
               "eventId as text is the event's id");
    /* what a database parameter would get: the sanitizers watch */
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        spintly_event_value(p, ev, fields[i]);
    }

    mine_len = check_compact((const char *)data, size, &mine);
    FUZZ_CHECK(ev->message_len == mine_len
               && !memcmp(ev->message, mine, mine_len)
               && ev->message[mine_len] == '\0',
               "the event's message is the body compacted");

    receipt.received_at = apr_time_from_sec(1745235725) + 123456;
    receipt.key_name = "sha1:9f3f2b54";
    receipt.client_ip = "2001:db8::1";
    record = spintly_record_format(p, ev, &receipt, &len);
    FUZZ_CHECK(len > 0 && record[len - 1] == '\n', "record ends a line");
    FUZZ_CHECK(memchr(record, '\n', len - 1) == NULL
               && memchr(record, '\r', len) == NULL, "record is one line");
    FUZZ_CHECK(len == strlen("{\"receivedAt\":\"2025-04-21T11:42:05.123456Z"
                             "\",\"keyName\":\"sha1:9f3f2b54\",\"clientIp\":"
                             "\"2001:db8::1\",\"message\":") + mine_len + 2,
               "record is the receipt, the compact message and '}\\n'");
    parsed = json_loadb(record, len, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(parsed != NULL, "record is JSON");
    FUZZ_CHECK(json_object_size(parsed) == 4, "record has four members");
    FUZZ_CHECK(json_equal(json_object_get(parsed, "message"),
                          (json_t *)ev->doc),
               "record's message is the document received");
    json_decref(parsed);
    free(mine);
}

/* What jansson makes of the body as received, against the module's
 * verdict on the compacted text. */
static void check_same_judgement(const unsigned char *data, size_t size,
                                 int status, const spintly_event_t *ev,
                                 const spintly_problem_t *problem)
{
    json_error_t jerr;
    json_t *direct = json_loadb((const char *)data, size,
                                JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                &jerr);

    if (status == 0) {
        FUZZ_CHECK(direct != NULL, "jansson accepts what the module does");
        FUZZ_CHECK(json_equal(direct, (json_t *)ev->doc),
                   "the compacted body is the same document");
    }
    else if (direct != NULL) {
        FUZZ_CHECK(status == 422 || strstr(problem->detail, "nested deeper")
                   || strstr(problem->detail, "NUL byte"),
                   "JSON jansson accepts is not refused as bad syntax");
    }
    else if (json_error_code(&jerr) != json_error_numeric_overflow) {
        FUZZ_CHECK(status == 400, "what jansson refuses is a 400");
    }
    json_decref(direct);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    spintly_event_t *ev = NULL;
    spintly_problem_t problem = { -1, NULL, NULL };
    int status;

    if (apr_pool_create(&p, fuzz_root) != APR_SUCCESS) {
        abort();
    }
    /* half the inputs with the default types, half with a list */
    status = spintly_event_parse(p, (const char *)data, size,
                                 size % 2 ? &two_types : NULL, &ev,
                                 &problem);
    check_same_judgement(data, size, status, ev, &problem);
    if (status == 0) {
        FUZZ_CHECK(ev != NULL, "an accepted body gives an event");
        check_event(p, ev, data, size);
    }
    else {
        check_problem(p, status, &problem);
    }
    /* releases the parsed document: LeakSanitizer sees what is left */
    apr_pool_destroy(p);
    return 0;
}
