/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/**
 * @file spintly.h
 * @brief Things every part of mod_spintly shares.
 */

#ifndef SPINTLY_H
#define SPINTLY_H

#define SPINTLY_VERSION "0.1.0"

/**
 * Stable tag for a log line: SPINTLY_LOGNO(0007) gives "SPT0007: ".
 * httpd's APLOGNO() numbers belong to httpd; these are ours.  Numbers are
 * never reused; tests expect or forbid lines by their tag.
 */
#define SPINTLY_LOGNO(n) "SPT" #n ": "

#endif /* SPINTLY_H */
