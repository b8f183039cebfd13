/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_bench_floor: the floor of `make bench`.  A handler that reads the
 * request body and answers 204, nothing else: what httpd itself costs for
 * a POST, against which mod_spintly is measured.  Built by build/bench.mk
 * with apxs into build/out/bench; never installed.
 *
 *     <Location /spintly>
 *         SetHandler bench-floor
 *     </Location>
 */

#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>

static int bench_floor_handler(request_rec *r)
{
    char buf[8192];
    long n = 0;
    int rc;

    if (r->handler == NULL || strcmp(r->handler, "bench-floor")) {
        return DECLINED;
    }
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        return rc;
    }
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
            /* read and drop */
        }
    }
    if (n < 0) {
        return HTTP_BAD_REQUEST;
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}

static void bench_floor_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(bench_floor_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_floor) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    bench_floor_register_hooks,
    AP_MODULE_FLAG_NONE
};
