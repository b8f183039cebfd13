/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests for spintly_keys.c: what SpintlyKey and SpintlyKeyFile accept,
 * the names keys get, and which x-api-key values let a request through.
 */

#include <string.h>

#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "spintly_keys.h"
#include "unit.h"

/* Keys used throughout; each is valid and none is a substring of another
 * test's expected message.  The SHA-1 prefixes were computed with
 * sha1sum(1). */
#define KEY_FRONT "Zq7vK2mN9pR4sT6w"                 /* exactly 16 bytes */
#define KEY_FRONT_FPR "sha1:9f3f2b54"
#define KEY_SIDE "b8Xw!~-ord3r_K3y.b"
#define KEY_SIDE_FPR "sha1:691f1c38"
#define KEY_GATE "c0ffee-Tea-9876543210-abcdefghijklmn"
#define KEY_GATE_FPR "sha1:041579fe"

/* A string of n copies of c, from unit_pool. */
static char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(unit_pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static apr_array_header_t *new_keys(void)
{
    return apr_array_make(unit_pool, 4, sizeof(spintly_key_t));
}

/* err must be a message, and must not reveal key: neither the whole key
 * nor any 8 consecutive bytes of it may appear. */
static void assert_error_hides_key(const char *err, const char *key)
{
    apr_size_t len = strlen(key), i;
    apr_size_t width = len < 8 ? len : 8;

    ck_assert_msg(err != NULL, "expected an error message, got success");
    for (i = 0; width > 0 && i + width <= len; i++) {
        char window[9];

        apr_cpystrn(window, key + i, width + 1);
        ck_assert_msg(strstr(err, window) == NULL,
                      "error message \"%s\" reveals part of the key", err);
    }
}

static apr_status_t remove_file(void *path)
{
    apr_file_remove(path, NULL);
    return APR_SUCCESS;
}

/* A new file holding text, with the given permissions, removed with
 * unit_pool.  Returns its path. */
static const char *key_file(const char *text, apr_fileperms_t perms)
{
    const char *tmp;
    char *path;
    apr_file_t *f;

    ck_assert_int_eq(apr_temp_dir_get(&tmp, unit_pool), APR_SUCCESS);
    path = apr_pstrcat(unit_pool, tmp, "/spintly-keys-XXXXXX", NULL);
    ck_assert_int_eq(apr_file_mktemp(&f, path, APR_FOPEN_CREATE
                                     | APR_FOPEN_WRITE | APR_FOPEN_EXCL,
                                     unit_pool), APR_SUCCESS);
    apr_pool_cleanup_register(unit_pool, path, remove_file,
                              apr_pool_cleanup_null);
    ck_assert_int_eq(apr_file_write_full(f, text, strlen(text), NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_close(f), APR_SUCCESS);
    ck_assert_int_eq(apr_file_perms_set(path, perms), APR_SUCCESS);
    return path;
}

/* The key called name, or fail. */
static const spintly_key_t *key_named(const apr_array_header_t *keys,
                                      const char *name)
{
    int i;

    for (i = 0; i < keys->nelts; i++) {
        const spintly_key_t *k = &APR_ARRAY_IDX(keys, i, spintly_key_t);

        if (!strcmp(k->name, name)) {
            return k;
        }
    }
    ck_abort_msg("no key is named %s", name);
    return NULL;
}

/* The name of the key that value lets in, or NULL. */
static const char *name_matched(const apr_array_header_t *keys,
                                const char *value, apr_size_t len)
{
    const spintly_key_t *k = spintly_keys_match(keys, value, len);

    return k ? k->name : NULL;
}

static const char *name_matched_str(const apr_array_header_t *keys,
                                    const char *value)
{
    return name_matched(keys, value, strlen(value));
}

/* Three keys, as SpintlyKey KEY_FRONT front, KEY_SIDE side, KEY_GATE
 * (unnamed) would configure them. */
static apr_array_header_t *three_keys(void)
{
    apr_array_header_t *keys = new_keys();

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_FRONT,
                                        "front"));
    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_SIDE, "side"));
    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_GATE, NULL));
    ck_assert_int_eq(keys->nelts, 3);
    return keys;
}

/* ---- key syntax ------------------------------------------------------ */

START_TEST(syntax_accepts_printable_ascii_16_to_256_bytes)
{
    ck_assert_ptr_null(spintly_key_check_syntax(KEY_FRONT));
    ck_assert_ptr_null(spintly_key_check_syntax(KEY_SIDE));
    ck_assert_ptr_null(spintly_key_check_syntax(repeat('k', 256)));
    ck_assert_ptr_null(spintly_key_check_syntax(
                           "!\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~"));
}
END_TEST

/* Each bad key, and the words its message must hold. */
static const struct {
    const char *key;
    const char *says;
} bad_keys[] = {
    { "", "too short" },
    { "Xy7Qw3Zp9Lm2Kd4", "too short" },             /* 15 bytes */
    { "Zq7vK2mN9pR4 sT6w", "without spaces" },
    { "Zq7vK2mN9pR4\tsT6w", "without spaces" },
    { "Zq7vK2mN9pR4sT6w\n", "without spaces" },
    { "Zq7vK2mN9pR4sT6w\x7f", "printable ASCII" },
    { "Zq7vK2mN9pR4sT\xc3\xa9w", "printable ASCII" },
};

START_TEST(syntax_rejects_bad_keys_without_echoing_them)
{
    const char *err = spintly_key_check_syntax(bad_keys[_i].key);

    assert_error_hides_key(err, bad_keys[_i].key);
    ck_assert_msg(strstr(err, bad_keys[_i].says) != NULL,
                  "bad key %d: \"%s\" does not say \"%s\"", _i, err,
                  bad_keys[_i].says);
}
END_TEST

START_TEST(syntax_rejects_257_bytes)
{
    const char *key = repeat('k', 257);
    const char *err = spintly_key_check_syntax(key);

    assert_error_hides_key(err, key);
    ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

/* ---- key names ------------------------------------------------------- */

START_TEST(name_accepts_letters_digits_dot_underscore_colon_dash)
{
    ck_assert_ptr_null(spintly_key_check_name("a"));
    ck_assert_ptr_null(spintly_key_check_name("Front-Door_2.main:v1"));
    ck_assert_ptr_null(spintly_key_check_name(repeat('n', 64)));
    ck_assert_ptr_null(spintly_key_check_name(KEY_FRONT_FPR));
}
END_TEST

static const char *const bad_names[] = {
    "", "front door", "front/door", "front\"door", "front,door", "caf\xc3\xa9",
    "tab\tname", "semi;colon",
};

START_TEST(name_rejects_other_characters)
{
    const char *err = spintly_key_check_name(bad_names[_i]);

    ck_assert_msg(err != NULL, "name \"%s\" was accepted", bad_names[_i]);
}
END_TEST

START_TEST(name_rejects_65_characters)
{
    ck_assert_pstr_eq(spintly_key_check_name(repeat('n', 65)),
                      "key name must be 1 to 64 characters");
}
END_TEST

/* ---- fingerprints ---------------------------------------------------- */

START_TEST(fingerprint_is_sha1_prefix)
{
    ck_assert_str_eq(spintly_key_fingerprint(unit_pool, KEY_FRONT),
                     KEY_FRONT_FPR);
    ck_assert_str_eq(spintly_key_fingerprint(unit_pool, KEY_SIDE),
                     KEY_SIDE_FPR);
    /* the FIPS 180 test vector */
    ck_assert_str_eq(spintly_key_fingerprint(unit_pool, "abc"),
                     "sha1:a9993e36");
}
END_TEST

START_TEST(unnamed_key_is_named_by_fingerprint)
{
    apr_array_header_t *keys = new_keys();

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_GATE, NULL));
    ck_assert_int_eq(keys->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(keys, 0, spintly_key_t).name,
                     KEY_GATE_FPR);
}
END_TEST

/* ---- adding keys ----------------------------------------------------- */

START_TEST(add_keeps_name_and_key)
{
    apr_array_header_t *keys = new_keys();
    char name[] = "front";
    const spintly_key_t *k;

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_FRONT, name));
    /* the name is copied, not borrowed */
    name[0] = 'X';
    k = key_named(keys, "front");
    ck_assert_uint_eq(k->len, strlen(KEY_FRONT));
    ck_assert_ptr_eq(spintly_keys_match(keys, KEY_FRONT, strlen(KEY_FRONT)),
                     k);
}
END_TEST

START_TEST(add_rejects_the_same_key_twice)
{
    apr_array_header_t *keys = new_keys();
    const char *err;

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_SIDE, "one"));
    err = spintly_keys_add(unit_pool, keys, KEY_SIDE, "two");
    assert_error_hides_key(err, KEY_SIDE);
    ck_assert_str_eq(err, "the same key is configured twice "
                     "(as one and as two)");
    ck_assert_int_eq(keys->nelts, 1);
}
END_TEST

START_TEST(add_rejects_the_same_unnamed_key_twice)
{
    apr_array_header_t *keys = new_keys();
    const char *err;

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_SIDE, NULL));
    err = spintly_keys_add(unit_pool, keys, KEY_SIDE, NULL);
    assert_error_hides_key(err, KEY_SIDE);
    ck_assert_ptr_nonnull(strstr(err, "configured twice"));
    ck_assert_ptr_nonnull(strstr(err, KEY_SIDE_FPR));
    ck_assert_int_eq(keys->nelts, 1);
}
END_TEST

START_TEST(add_rejects_two_keys_with_one_name)
{
    apr_array_header_t *keys = new_keys();
    const char *err;

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_FRONT, "door"));
    err = spintly_keys_add(unit_pool, keys, KEY_SIDE, "door");
    assert_error_hides_key(err, KEY_SIDE);
    assert_error_hides_key(err, KEY_FRONT);
    ck_assert_str_eq(err, "two keys are named door");
    ck_assert_int_eq(keys->nelts, 1);
}
END_TEST

START_TEST(add_rejects_bad_key_or_name)
{
    apr_array_header_t *keys = new_keys();
    const char *err;

    err = spintly_keys_add(unit_pool, keys, "Xy7Qw3Zp9Lm2Kd4", "short");
    assert_error_hides_key(err, "Xy7Qw3Zp9Lm2Kd4");
    err = spintly_keys_add(unit_pool, keys, KEY_FRONT, "front door");
    assert_error_hides_key(err, KEY_FRONT);
    ck_assert_int_eq(keys->nelts, 0);
}
END_TEST

/* ---- key files ------------------------------------------------------- */

START_TEST(file_loads_keys_names_comments_and_blank_lines)
{
    apr_array_header_t *keys = new_keys();
    int world_readable = -1;
    const char *path = key_file(
        "# Keys for the webhook: KEY [NAME]\n"
        "\n"
        KEY_FRONT " front\n"
        "   \t  \n"
        "    # an indented comment " KEY_GATE "\n"
        "\t" KEY_SIDE "\t  side.gate:2   # trailing comment\r\n"
        KEY_GATE "\n"
        "#" KEY_FRONT "-commented-out\n"
        "last-line-without-newline-0123 last",
        APR_FPROT_UREAD | APR_FPROT_UWRITE);

    ck_assert_ptr_null(spintly_keys_load_file(unit_pool, keys, path,
                                              &world_readable));
    ck_assert_int_eq(keys->nelts, 4);
    ck_assert_int_eq(world_readable, 0);
    ck_assert_pstr_eq(name_matched_str(keys, KEY_FRONT), "front");
    ck_assert_pstr_eq(name_matched_str(keys, KEY_SIDE), "side.gate:2");
    ck_assert_pstr_eq(name_matched_str(keys, KEY_GATE), KEY_GATE_FPR);
    ck_assert_pstr_eq(name_matched_str(keys,
                                       "last-line-without-newline-0123"),
                      "last");
    ck_assert_ptr_null(name_matched_str(keys, KEY_FRONT "-commented-out"));
    ck_assert_ptr_null(name_matched_str(keys, KEY_SIDE "\r"));
}
END_TEST

/* A key file with one bad line, where it is, and what the message says. */
static const struct {
    const char *text;
    int line;
    const char *says;
} bad_files[] = {
    { "# ok so far\n" KEY_FRONT " front\n\n" KEY_SIDE " side extra\n",
      4, "expected KEY [NAME]" },
    { KEY_FRONT "\nXy7Qw3Zp9Lm2Kd4 short\n", 2, "too short" },
    { KEY_FRONT "\n" KEY_SIDE "\n" KEY_GATE " gate/main\n",
      3, "key name may hold only" },
    { KEY_FRONT " one\n#\n" KEY_FRONT " two\n", 3,
      "the same key is configured twice (as one and as two)" },
    { KEY_FRONT " door\n" KEY_SIDE " door\n", 2, "two keys are named door" },
    { "\n\n" KEY_FRONT "\xc3\xa9 front\n", 3, "printable ASCII" },
};

START_TEST(file_bad_line_is_named_by_file_and_line)
{
    apr_array_header_t *keys = new_keys();
    int world_readable;
    const char *path = key_file(bad_files[_i].text, APR_FPROT_UREAD);
    const char *err = spintly_keys_load_file(unit_pool, keys, path,
                                             &world_readable);
    const char *where = apr_psprintf(unit_pool, "%s line %d: ", path,
                                     bad_files[_i].line);

    assert_error_hides_key(err, KEY_FRONT);
    assert_error_hides_key(err, KEY_SIDE);
    assert_error_hides_key(err, KEY_GATE);
    ck_assert_msg(!strncmp(err, where, strlen(where)),
                  "\"%s\" does not start with \"%s\"", err, where);
    ck_assert_msg(strstr(err, bad_files[_i].says) != NULL,
                  "\"%s\" does not say \"%s\"", err, bad_files[_i].says);
}
END_TEST

START_TEST(file_line_too_long_is_refused)
{
    apr_array_header_t *keys = new_keys();
    int world_readable;
    const char *path = key_file(apr_pstrcat(unit_pool, KEY_FRONT "\n",
                                            repeat('k', 2000), "\n", NULL),
                                APR_FPROT_UREAD);
    const char *err = spintly_keys_load_file(unit_pool, keys, path,
                                             &world_readable);

    ck_assert_pstr_eq(err, apr_pstrcat(unit_pool, path,
                                       " line 2: line too long", NULL));
}
END_TEST

START_TEST(file_world_readable_is_reported)
{
    static const struct {
        apr_fileperms_t perms;
        int world_readable;
    } modes[] = {
        { APR_FPROT_UREAD | APR_FPROT_UWRITE, 0 },
        { APR_FPROT_UREAD | APR_FPROT_GREAD, 0 },
        { APR_FPROT_UREAD | APR_FPROT_GREAD | APR_FPROT_WREAD, 1 },
        { APR_FPROT_UREAD | APR_FPROT_WREAD, 1 },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        apr_array_header_t *keys = new_keys();
        int world_readable = -1;
        const char *path = key_file(KEY_FRONT "\n", modes[i].perms);

        ck_assert_ptr_null(spintly_keys_load_file(unit_pool, keys, path,
                                                  &world_readable));
        ck_assert_msg(world_readable == modes[i].world_readable,
                      "mode %04o: world_readable is %d", modes[i].perms,
                      world_readable);
    }
}
END_TEST

START_TEST(file_missing_is_named_with_reason)
{
    apr_array_header_t *keys = new_keys();
    int world_readable;
    const char *path = apr_pstrcat(unit_pool, key_file("", APR_FPROT_UREAD),
                                   ".does-not-exist", NULL);

    ck_assert_pstr_eq(spintly_keys_load_file(unit_pool, keys, path,
                                             &world_readable),
                      apr_pstrcat(unit_pool, "cannot read ", path,
                                  ": No such file or directory", NULL));
}
END_TEST

START_TEST(file_that_is_a_directory_is_refused)
{
    apr_array_header_t *keys = new_keys();
    int world_readable;
    const char *dir;

    ck_assert_int_eq(apr_temp_dir_get(&dir, unit_pool), APR_SUCCESS);
    ck_assert_pstr_eq(spintly_keys_load_file(unit_pool, keys, dir,
                                             &world_readable),
                      apr_pstrcat(unit_pool, "cannot read ", dir,
                                  ": Is a directory", NULL));
}
END_TEST

START_TEST(file_without_keys_is_refused)
{
    static const char *const texts[] = {
        "", "\n\n", "# only a comment\n   # and another " KEY_FRONT "\n",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        apr_array_header_t *keys = new_keys();
        int world_readable;
        const char *path = key_file(texts[i], APR_FPROT_UREAD);

        ck_assert_pstr_eq(spintly_keys_load_file(unit_pool, keys, path,
                                                 &world_readable),
                          apr_pstrcat(unit_pool, path, " holds no key",
                                      NULL));
        ck_assert_int_eq(keys->nelts, 0);
    }
}
END_TEST

/* ---- matching presented values --------------------------------------- */

START_TEST(match_finds_the_right_key_among_several)
{
    apr_array_header_t *keys = three_keys();

    ck_assert_ptr_eq(spintly_keys_match(keys, KEY_FRONT, strlen(KEY_FRONT)),
                     &APR_ARRAY_IDX(keys, 0, spintly_key_t));
    ck_assert_ptr_eq(spintly_keys_match(keys, KEY_SIDE, strlen(KEY_SIDE)),
                     &APR_ARRAY_IDX(keys, 1, spintly_key_t));
    ck_assert_ptr_eq(spintly_keys_match(keys, KEY_GATE, strlen(KEY_GATE)),
                     &APR_ARRAY_IDX(keys, 2, spintly_key_t));
    ck_assert_pstr_eq(name_matched_str(keys, KEY_GATE), KEY_GATE_FPR);
}
END_TEST

START_TEST(match_respects_the_given_length)
{
    apr_array_header_t *keys = three_keys();
    /* the value need not end in NUL: only len bytes count */
    const char *value = KEY_SIDE "trailing bytes not part of the value";

    ck_assert_pstr_eq(name_matched(keys, value, strlen(KEY_SIDE)), "side");
}
END_TEST

START_TEST(match_tells_apart_a_key_and_its_extension)
{
    apr_array_header_t *keys = new_keys();

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_FRONT, "short"));
    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, KEY_FRONT "X",
                                        "longer"));
    ck_assert_pstr_eq(name_matched_str(keys, KEY_FRONT), "short");
    ck_assert_pstr_eq(name_matched_str(keys, KEY_FRONT "X"), "longer");
    ck_assert_ptr_null(name_matched_str(keys, KEY_FRONT "XX"));
}
END_TEST

START_TEST(match_accepts_a_256_byte_key_but_not_257_bytes)
{
    apr_array_header_t *keys = new_keys();
    char *longest = repeat('k', SPINTLY_KEY_MAX);
    char *too_long = repeat('k', SPINTLY_KEY_MAX + 1);

    ck_assert_ptr_null(spintly_keys_add(unit_pool, keys, longest, "max"));
    ck_assert_pstr_eq(name_matched_str(keys, longest), "max");
    /* the first 256 bytes are the key, but the value is longer */
    ck_assert_ptr_null(name_matched_str(keys, too_long));
    ck_assert_ptr_null(name_matched_str(keys, repeat('k', 4096)));
}
END_TEST

START_TEST(match_refuses_near_misses)
{
    apr_array_header_t *keys = three_keys();
    char swapped[] = KEY_SIDE;
    char one_letter[] = KEY_FRONT;
    char *c;
    const char *const misses[] = {
        KEY_FRONT ", " KEY_SIDE,            /* two headers, joined by httpd */
        KEY_SIDE ", " KEY_FRONT,
        KEY_FRONT ", " KEY_FRONT,           /* the same header sent twice */
        KEY_FRONT ",",
        " " KEY_FRONT,
        KEY_FRONT " ",
        "\"" KEY_FRONT "\"",
        "Bearer " KEY_FRONT,
        "Zq7vK2mN9pR4sT6", /* prefix */
        KEY_FRONT "w",     /* one byte more */
        "Zq7vK2mN9pR4sT6x", /* same length, last byte differs */
        "zq7vK2mN9pR4sT6w", /* same length, first byte differs */
    };
    apr_size_t i;

    for (c = swapped; *c; c++) {
        if (apr_islower(*c)) {
            *c = (char)apr_toupper(*c);
        }
        else if (apr_isupper(*c)) {
            *c = (char)apr_tolower(*c);
        }
    }
    one_letter[3] = 'V';    /* Zq7vK2... -> Zq7VK2... */
    ck_assert_ptr_null(name_matched_str(keys, swapped));
    ck_assert_ptr_null(name_matched_str(keys, one_letter));
    for (i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
        ck_assert_msg(spintly_keys_match(keys, misses[i], strlen(misses[i]))
                      == NULL, "near miss %d was let in", (int)i);
    }
}
END_TEST

START_TEST(match_refuses_empty_value)
{
    apr_array_header_t *keys = three_keys();

    ck_assert_ptr_null(name_matched(keys, "", 0));
    ck_assert_ptr_null(name_matched(keys, KEY_FRONT, 0));
}
END_TEST

START_TEST(match_refuses_values_with_nul_bytes)
{
    apr_array_header_t *keys = three_keys();
    char value[64];
    apr_size_t len = strlen(KEY_FRONT);

    /* the key, then a NUL */
    memcpy(value, KEY_FRONT, len + 1);
    ck_assert_ptr_null(name_matched(keys, value, len + 1));
    /* a NUL, then the key */
    value[0] = '\0';
    memcpy(value + 1, KEY_FRONT, len);
    ck_assert_ptr_null(name_matched(keys, value, len + 1));
    /* the key with its last byte replaced by a NUL */
    memcpy(value, KEY_FRONT, len);
    value[len - 1] = '\0';
    ck_assert_ptr_null(name_matched(keys, value, len));
    /* the key, a NUL and the key again */
    memcpy(value, KEY_FRONT, len);
    value[len] = '\0';
    memcpy(value + len + 1, KEY_FRONT, len);
    ck_assert_ptr_null(name_matched(keys, value, 2 * len + 1));
}
END_TEST

START_TEST(match_without_keys_refuses_everything)
{
    ck_assert_ptr_null(spintly_keys_match(NULL, KEY_FRONT,
                                          strlen(KEY_FRONT)));
    ck_assert_ptr_null(spintly_keys_match(new_keys(), KEY_FRONT,
                                          strlen(KEY_FRONT)));
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("spintly_keys");
    TCase *tc;

    tc = unit_tcase("syntax");
    tcase_add_test(tc, syntax_accepts_printable_ascii_16_to_256_bytes);
    tcase_add_loop_test(tc, syntax_rejects_bad_keys_without_echoing_them, 0,
                        sizeof(bad_keys) / sizeof(bad_keys[0]));
    tcase_add_test(tc, syntax_rejects_257_bytes);
    suite_add_tcase(s, tc);

    tc = unit_tcase("names");
    tcase_add_test(tc, name_accepts_letters_digits_dot_underscore_colon_dash);
    tcase_add_loop_test(tc, name_rejects_other_characters, 0,
                        sizeof(bad_names) / sizeof(bad_names[0]));
    tcase_add_test(tc, name_rejects_65_characters);
    tcase_add_test(tc, fingerprint_is_sha1_prefix);
    tcase_add_test(tc, unnamed_key_is_named_by_fingerprint);
    suite_add_tcase(s, tc);

    tc = unit_tcase("add");
    tcase_add_test(tc, add_keeps_name_and_key);
    tcase_add_test(tc, add_rejects_the_same_key_twice);
    tcase_add_test(tc, add_rejects_the_same_unnamed_key_twice);
    tcase_add_test(tc, add_rejects_two_keys_with_one_name);
    tcase_add_test(tc, add_rejects_bad_key_or_name);
    suite_add_tcase(s, tc);

    tc = unit_tcase("file");
    tcase_add_test(tc, file_loads_keys_names_comments_and_blank_lines);
    tcase_add_loop_test(tc, file_bad_line_is_named_by_file_and_line, 0,
                        sizeof(bad_files) / sizeof(bad_files[0]));
    tcase_add_test(tc, file_line_too_long_is_refused);
    tcase_add_test(tc, file_world_readable_is_reported);
    tcase_add_test(tc, file_missing_is_named_with_reason);
    tcase_add_test(tc, file_that_is_a_directory_is_refused);
    tcase_add_test(tc, file_without_keys_is_refused);
    suite_add_tcase(s, tc);

    tc = unit_tcase("match");
    tcase_add_test(tc, match_finds_the_right_key_among_several);
    tcase_add_test(tc, match_respects_the_given_length);
    tcase_add_test(tc, match_tells_apart_a_key_and_its_extension);
    tcase_add_test(tc, match_accepts_a_256_byte_key_but_not_257_bytes);
    tcase_add_test(tc, match_refuses_near_misses);
    tcase_add_test(tc, match_refuses_empty_value);
    tcase_add_test(tc, match_refuses_values_with_nul_bytes);
    tcase_add_test(tc, match_without_keys_refuses_everything);
    suite_add_tcase(s, tc);

    return s;
}
