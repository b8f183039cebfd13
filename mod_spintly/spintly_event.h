/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly_event.h
 * @brief Spintly access events: parse, validate, and format as a record.
 *
 * The only part of mod_spintly that includes <jansson.h>.  Needs APR and
 * jansson only (no httpd), so it is unit-tested and fuzzed on its own.
 */

#ifndef SPINTLY_EVENT_H
#define SPINTLY_EVENT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/** Deepest nesting of arrays and objects accepted.  A Spintly event needs
 *  5 (the document, messageData, data, attributes, one attribute);
 *  jansson's own limit is 2048. */
#define SPINTLY_MAX_DEPTH 16

/** Latest eventTimeEpoch accepted, 9999-12-31T23:59:59Z: later times are
 *  not dates most consumers can format, and a time in milliseconds lands
 *  beyond it instead of passing for seconds. */
#define SPINTLY_MAX_EVENT_TIME APR_INT64_C(253402300799)

/** Longest excerpt of the body a detail quotes, and longest JSON pointer
 *  a problem names. */
#define SPINTLY_MAX_EXCERPT 120

/** Why a body was refused: enough for an RFC 9457 problem document. */
typedef struct spintly_problem_t {
    int status;             /**< 400: not one JSON text we accept;
                                 422: JSON, but not a valid event */
    const char *pointer;    /**< on 422, the JSON pointer (RFC 6901) of the
                                 offending member, "" for the document;
                                 NULL on 400 */
    const char *detail;     /**< one sentence of printable ASCII quoting at
                                 most SPINTLY_MAX_EXCERPT bytes of the body */
} spintly_problem_t;

/** A validated event.  The parsed document lives until the pool is
 *  cleared. */
typedef struct spintly_event_t {
    const char *message;    /**< the body compacted (spintly_json_compact),
                                 NUL-terminated: what records and the
                                 :message parameter hold */
    apr_size_t message_len;
    apr_int64_t event_id;
    apr_int64_t org_id;
    apr_int64_t event_time; /**< eventTimeEpoch, seconds */
    const char *request_id;
    const char *msg_type;
    void *doc;              /**< opaque: the parsed document */
    void *message_data;     /**< opaque: its messageData object */
    void *data;             /**< opaque: messageData.data */
} spintly_event_t;

/** What the validator accepts beyond the fixed rules. */
typedef struct spintly_validation_t {
    /** accepted messageData.msgType values (const char *); NULL or empty
     *  means "access_event" only */
    const apr_array_header_t *accept_types;
} spintly_validation_t;

/**
 * Parse and validate a POST body against the rules tabled in README.md
 * ("Validation").  400: the bytes are not one JSON text we accept (bad
 * syntax, empty, trailing data, a NUL byte or \u0000, invalid UTF-8, a
 * duplicate key, nesting deeper than SPINTLY_MAX_DEPTH).  422: JSON, but
 * not a valid event, a number beyond 64 bits included.
 * @param p pool for the event and the problem (the document is released
 *          when it is cleared)
 * @param body the bytes received (need not be NUL-terminated)
 * @param len their number
 * @param rules NULL for the defaults
 * @param ev set to the event on success
 * @param problem filled on failure
 * @return 0 on success, else the HTTP status (400 or 422)
 */
int spintly_event_parse(apr_pool_t *p, const char *body, apr_size_t len,
                        const spintly_validation_t *rules,
                        spintly_event_t **ev, spintly_problem_t *problem);

/**
 * A field of messageData.data (or requestId / msgType) as text, the way a
 * database parameter wants it.
 * @return the value (integers in decimal, true/false for booleans, JSON
 *         text for arrays and objects), or NULL when absent or null
 */
const char *spintly_event_value(apr_pool_t *p, const spintly_event_t *ev,
                                const char *field);

/**
 * Copy JSON text without the white space outside strings.  White space
 * between two bytes that belong to tokens (as in "1 2", which JSON
 * refuses) becomes one space, so that two tokens never join: the result
 * is valid JSON exactly when the input is, and then the same JSON.
 * Any bytes are accepted.
 * @param out room for len bytes
 * @return the number of bytes written, at most len
 */
apr_size_t spintly_json_compact(char *out, const char *in, apr_size_t len);

/**
 * Quote a string as a JSON string literal, escaping what JSON requires.
 * The input must be UTF-8 (bytes from 0x80 up pass through).
 */
const char *spintly_json_quote(apr_pool_t *p, const char *s);

/** Receipt details that go into a record next to the message. */
typedef struct spintly_receipt_t {
    apr_time_t received_at;
    const char *key_name;   /**< [A-Za-z0-9._:-], checked at config time */
    const char *client_ip;  /**< an IP address as text */
} spintly_receipt_t;

/**
 * Format receipt time as RFC 3339 UTC with microseconds,
 * e.g. "2026-12-04T16:10:42.123456Z".
 * @param buf at least 28 bytes
 */
void spintly_format_time(char *buf, apr_time_t t);

/**
 * The record: one line of JSON ending in '\n',
 * {"receivedAt":"...","keyName":"...","clientIp":"...","message":{...}},
 * with the message compacted from the bytes received (ev->message).
 * @param len set to the length, newline included
 */
char *spintly_record_format(apr_pool_t *p, const spintly_event_t *ev,
                            const spintly_receipt_t *rc, apr_size_t *len);

#endif /* SPINTLY_EVENT_H */
