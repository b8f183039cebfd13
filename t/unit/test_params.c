/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests for spintly_params.c: how SpintlyDBDInsert's named
 * placeholders become apr_dbd parameters, and the values an event gives.
 */

#include <string.h>

#include <apr_strings.h>

#include "spintly_params.h"
#include "unit.h"

static const char card[] =
    "{\"messageVersion\":1,\"messageData\":{\"requestId\":\"r-1\","
    "\"msgType\":\"access_event\",\"dataVersion\":1,\"data\":{"
    "\"orgId\":223,\"integratorId\":1,\"orgUserId\":335532,"
    "\"eventTimeEpoch\":1745235725,\"direction\":\"entry\","
    "\"accessType\":\"card\",\"eventId\":222423,\"accessPointId\":54,"
    "\"employeeCode\":\" A123\",\"accessPointName\":\"Entrance Door\","
    "\"mobileAccessMode\":null,\"siteId\":11,\"name\":\"john dor\","
    "\"attributes\":[{\"id\":1}],\"forAccess\":true}}}";

static spintly_sql_t *compile_ok(const char *text)
{
    spintly_sql_t *sql = NULL;
    const char *err = spintly_sql_compile(unit_pool, text, &sql);

    ck_assert_msg(err == NULL, "unexpected error: %s", err);
    return sql;
}

static const char *name_at(const spintly_sql_t *sql, int i)
{
    return APR_ARRAY_IDX(sql->names, i, const char *);
}

START_TEST(placeholders_become_parameters_in_order)
{
    spintly_sql_t *sql = compile_ok(
        "INSERT INTO t (a, b, c) VALUES (:eventId, :orgId, :eventId)");

    ck_assert_str_eq(sql->sql, "INSERT INTO t (a, b, c) VALUES (%s, %s, %s)");
    ck_assert_int_eq(sql->names->nelts, 3);
    ck_assert_str_eq(name_at(sql, 0), "eventId");
    ck_assert_str_eq(name_at(sql, 1), "orgId");
    ck_assert_str_eq(name_at(sql, 2), "eventId");
}
END_TEST

START_TEST(quotes_casts_and_percent_are_left_alone)
{
    spintly_sql_t *sql = compile_ok(
        "INSERT INTO t VALUES (CAST(:message AS jsonb), :eventTime::text, "
        "':notme', \"col:x\", '100%', 5 % 2)");

    ck_assert_str_eq(sql->sql,
        "INSERT INTO t VALUES (CAST(%s AS jsonb), %s::text, "
        "':notme', \"col:x\", '100%%', 5 %% 2)");
    ck_assert_int_eq(sql->names->nelts, 2);
    ck_assert_str_eq(name_at(sql, 0), "message");
    ck_assert_str_eq(name_at(sql, 1), "eventTime");
}
END_TEST

START_TEST(unknown_placeholder_is_named)
{
    spintly_sql_t *sql = NULL;
    const char *err = spintly_sql_compile(unit_pool,
        "INSERT INTO t VALUES (:eventId, :eventID)", &sql);

    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, ":eventID") != NULL, "got: %s", err);
    ck_assert_ptr_null(sql);
}
END_TEST

START_TEST(statement_needs_a_placeholder_and_closed_quotes)
{
    spintly_sql_t *sql = NULL;

    ck_assert_ptr_nonnull(spintly_sql_compile(unit_pool,
                          "INSERT INTO t VALUES (1)", &sql));
    ck_assert_ptr_nonnull(spintly_sql_compile(unit_pool,
                          "INSERT INTO t VALUES (:eventId, 'open)", &sql));
}
END_TEST

START_TEST(every_documented_name_is_known)
{
    const char *const *n;
    int count = 0;

    for (n = spintly_param_names; *n; n++, count++) {
        ck_assert(spintly_param_known(*n));
    }
    ck_assert_int_eq(count, 29);
    ck_assert(!spintly_param_known("eventid"));
    ck_assert(!spintly_param_known(""));
}
END_TEST

START_TEST(values_of_an_event)
{
    spintly_problem_t problem;
    spintly_event_t *ev = NULL;
    spintly_receipt_t rc;
    spintly_sql_t *sql = compile_ok(
        "INSERT INTO t VALUES (:eventId, :orgId, :eventTime, :receivedAt, "
        ":keyName, :clientIp, :requestId, :msgType, :employeeCode, "
        ":mobileAccessMode, :siteName, :attributes, :forAccess, :message)");
    const char **v;

    ck_assert_int_eq(spintly_event_parse(unit_pool, card, strlen(card), NULL,
                                         &ev, &problem), 0);
    rc.received_at = apr_time_from_sec(1764864000) + 250000;
    rc.key_name = "prod";
    rc.client_ip = "192.0.2.1";
    v = spintly_params_values(unit_pool, sql, ev, &rc);

    ck_assert_str_eq(v[0], "222423");
    ck_assert_str_eq(v[1], "223");
    ck_assert_str_eq(v[2], "2025-04-21T11:42:05Z");
    ck_assert_str_eq(v[3], "2025-12-04T16:00:00.250000Z");
    ck_assert_str_eq(v[4], "prod");
    ck_assert_str_eq(v[5], "192.0.2.1");
    ck_assert_str_eq(v[6], "r-1");
    ck_assert_str_eq(v[7], "access_event");
    ck_assert_str_eq(v[8], " A123");           /* leading space kept */
    ck_assert_ptr_null(v[9]);                  /* JSON null: SQL NULL */
    ck_assert_ptr_null(v[10]);                 /* absent: SQL NULL */
    ck_assert_str_eq(v[11], "[{\"id\":1}]");   /* arrays as JSON text */
    ck_assert_str_eq(v[12], "true");
    ck_assert_str_eq(v[13], card);             /* already compact */
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = unit_tcase("params");

    tcase_add_test(tc, placeholders_become_parameters_in_order);
    tcase_add_test(tc, quotes_casts_and_percent_are_left_alone);
    tcase_add_test(tc, unknown_placeholder_is_named);
    tcase_add_test(tc, statement_needs_a_placeholder_and_closed_quotes);
    tcase_add_test(tc, every_documented_name_is_known);
    tcase_add_test(tc, values_of_an_event);
    suite_add_tcase(s, tc);
    return s;
}
