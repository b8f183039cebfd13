/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>
#include <sys/stat.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_sha1.h>

#include "spintly_keys.h"

const char *spintly_key_check_syntax(const char *key)
{
    apr_size_t len = strlen(key);
    const unsigned char *c;

    if (len < SPINTLY_KEY_MIN) {
        return "key is too short (at least 16 characters)";
    }
    if (len > SPINTLY_KEY_MAX) {
        return "key is too long (at most 256 characters)";
    }
    for (c = (const unsigned char *)key; *c; c++) {
        if (*c < 0x21 || *c > 0x7e) {
            return "key must be printable ASCII without spaces";
        }
    }
    return NULL;
}

const char *spintly_key_check_name(const char *name)
{
    apr_size_t len = strlen(name);
    const char *c;

    if (len == 0 || len > SPINTLY_KEY_NAME_MAX) {
        return "key name must be 1 to 64 characters";
    }
    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("._:-", *c)) {
            return "key name may hold only letters, digits and . _ : -";
        }
    }
    return NULL;
}

const char *spintly_key_fingerprint(apr_pool_t *p, const char *key)
{
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;

    apr_sha1_init(&ctx);
    apr_sha1_update_binary(&ctx, (const unsigned char *)key, strlen(key));
    apr_sha1_final(digest, &ctx);
    return apr_psprintf(p, "sha1:%02x%02x%02x%02x",
                        digest[0], digest[1], digest[2], digest[3]);
}

const char *spintly_keys_add(apr_pool_t *p, apr_array_header_t *keys,
                             const char *key, const char *name)
{
    spintly_key_t *k;
    const char *err;
    int i;

    if ((err = spintly_key_check_syntax(key)) != NULL) {
        return err;
    }
    if (name == NULL) {
        name = spintly_key_fingerprint(p, key);
    }
    else if ((err = spintly_key_check_name(name)) != NULL) {
        return err;
    }
    for (i = 0; i < keys->nelts; i++) {
        k = &APR_ARRAY_IDX(keys, i, spintly_key_t);
        if (k->len == strlen(key) && !memcmp(k->secret, key, k->len)) {
            return apr_psprintf(p, "the same key is configured twice "
                                "(as %s and as %s)", k->name, name);
        }
        if (!strcmp(k->name, name)) {
            return apr_psprintf(p, "two keys are named %s", name);
        }
    }
    k = apr_array_push(keys);
    memset(k->secret, 0, sizeof(k->secret));
    k->len = strlen(key);
    memcpy(k->secret, key, k->len);
    k->name = apr_pstrdup(p, name);
    return NULL;
}

const char *spintly_keys_load_file(apr_pool_t *p, apr_array_header_t *keys,
                                   const char *path, int *world_readable)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char line[1024];
    int lineno = 0, found = 0;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        char buf[120];
        return apr_psprintf(p, "cannot read %s: %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    *world_readable = 0;
    if (apr_file_info_get(&fi, APR_FINFO_PROT, f) == APR_SUCCESS
        && (fi.protection & APR_FPROT_WREAD)) {
        *world_readable = 1;
    }
    while ((rv = apr_file_gets(line, sizeof(line), f)) == APR_SUCCESS) {
        char *key, *name, *extra, *last;
        const char *err;

        lineno++;
        if (!strchr(line, '\n') && !apr_file_eof(f)) {
            apr_file_close(f);
            return apr_psprintf(p, "%s line %d: line too long", path, lineno);
        }
        key = apr_strtok(line, " \t\r\n", &last);
        if (key == NULL || *key == '#') {
            continue;
        }
        name = apr_strtok(NULL, " \t\r\n", &last);
        extra = apr_strtok(NULL, " \t\r\n", &last);
        if (extra != NULL && *extra != '#') {
            apr_file_close(f);
            return apr_psprintf(p, "%s line %d: expected KEY [NAME]",
                                path, lineno);
        }
        if ((err = spintly_keys_add(p, keys, key, name)) != NULL) {
            apr_file_close(f);
            return apr_psprintf(p, "%s line %d: %s", path, lineno, err);
        }
        found++;
        memset(line, 0, sizeof(line));
    }
    apr_file_close(f);
    if (rv != APR_EOF) {
        char buf[120];
        return apr_psprintf(p, "cannot read %s: %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    if (!found) {
        return apr_psprintf(p, "%s holds no key", path);
    }
    return NULL;
}

/* Constant time: every key is compared over all SPINTLY_KEY_MAX bytes, and
 * the result is gathered without a branch on the data. */
const spintly_key_t *spintly_keys_match(const apr_array_header_t *keys,
                                        const char *presented,
                                        apr_size_t len)
{
    unsigned char padded[SPINTLY_KEY_MAX];
    apr_size_t found = 0;
    int i;

    if (keys == NULL || len == 0 || len > SPINTLY_KEY_MAX) {
        return NULL;
    }
    memset(padded, 0, sizeof(padded));
    memcpy(padded, presented, len);

    for (i = 0; i < keys->nelts; i++) {
        const spintly_key_t *k = &APR_ARRAY_IDX(keys, i, spintly_key_t);
        unsigned int acc = (unsigned int)(k->len ^ len);
        volatile unsigned int diff;
        apr_size_t j;
        unsigned int eq;

        /* every byte of every key, whatever differs where */
        for (j = 0; j < SPINTLY_KEY_MAX; j++) {
            acc |= k->secret[j] ^ padded[j];
        }
        diff = acc;
        /* eq is all ones when diff is 0, else 0 */
        eq = (unsigned int)((((apr_uint64_t)diff) - 1) >> 32);
        eq = 0u - (eq & 1u);
        found |= (apr_size_t)(eq & (unsigned int)(i + 1));
    }
    memset(padded, 0, sizeof(padded));
    if (found == 0) {
        return NULL;
    }
    return &APR_ARRAY_IDX(keys, found - 1, spintly_key_t);
}
