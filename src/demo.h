/* demo: the demo partner that `--demo` programs share, so that
 * `make run` works with no configuration file at all.
 *
 * saferoute-gateway --demo, saferoute-kiosk --demo and saferoute-inbox
 * --demo started with the same --state-dir agree on one partner,
 * "demo-support", whose keys (X25519 key pair, HMAC secret) are created in
 * STATE_DIR/demo/ on first use (secret files 0600).  Its webhook is the
 * demo inbox at INBOX_URL/webhook. */
#pragma once

#include <glib.h>
#include "conf.h"

G_BEGIN_DECLS

#define DEMO_PARTNER_ID    "demo-support"
#define DEMO_GATEWAY_LISTEN "127.0.0.1:8081"
#define DEMO_KIOSK_LISTEN   "127.0.0.1:8080"
#define DEMO_INBOX_LISTEN   "127.0.0.1:8082"
#define DEMO_INBOX_URL      "http://127.0.0.1:8082"

/* Creates STATE_DIR/demo/{partner.key,partner.pub,hmac.secret} if absent. */
gboolean  demo_ensure_keys       (const char *state_dir,
                                  GError    **error);
char     *demo_secret_key_path   (const char *state_dir);
char     *demo_hmac_secret_path  (const char *state_dir);
/* A configuration holding the [partner demo-support] group (webhook to
 * INBOX_URL, all categories, all six languages, anywhere) and nothing
 * else; the caller adds its own groups.  Ensures the keys first. */
Conf     *demo_conf              (const char *state_dir,
                                  const char *inbox_url,
                                  GError    **error);

G_END_DECLS
