/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Runs the libFuzzer target fuzz_event.c without libFuzzer: every file
 * named, and every file in every directory named, is given to
 * LLVMFuzzerTestOneInput once, in name order.  Built with AddressSanitizer
 * and UndefinedBehaviorSanitizer by `make fuzz-replay` (part of
 * `make test`), so a seed or a past crash that breaks a promise or trips a
 * sanitizer fails the build: a sanitizer report aborts the process.
 *
 *     fuzz_replay t/fuzz/corpus [more files or directories]
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* The file's bytes in a buffer of exactly their size, as libFuzzer gives
 * them, so that reading past the end is caught. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long size;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        if (f) {
            fclose(f);
        }
        return -1;
    }
    data = malloc(size ? (size_t)size : 1);
    if (data == NULL
        || fread(data, 1, (size_t)size, f) != (size_t)size) {
        perror(path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)size);
    free(data);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_entry(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* @return the number of files replayed, or -1 */
static int replay_path(const char *path)
{
    struct dirent **names;
    struct stat st;
    int n, i, done = 0;

    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return replay_file(path) == 0 ? 1 : -1;
    }
    n = scandir(path, &names, is_entry, by_name);
    if (n < 0) {
        perror(path);
        return -1;
    }
    for (i = 0; i < n; i++) {
        char *file = malloc(strlen(path) + strlen(names[i]->d_name) + 2);

        if (file == NULL) {
            return -1;
        }
        sprintf(file, "%s/%s", path, names[i]->d_name);
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(file) != 0) {
                done = -1;
            }
            else if (done >= 0) {
                done++;
            }
        }
        free(file);
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    int i, total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        int n = replay_path(argv[i]);

        if (n < 0) {
            return 1;
        }
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "%s: no input to replay\n", argv[0]);
        return 1;
    }
    printf("fuzz_replay: %d inputs replayed, no finding\n", total);
    return 0;
}
