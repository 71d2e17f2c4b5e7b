/* forward: takes due deliveries from the store and hands them to partners.
 *
 * libcurl's multi interface driven by the GLib main loop (curl's socket and
 * timer callbacks, honoured to the letter), bounded concurrency, connection
 * reuse, timeouts.  Webhook (HMAC-signed, Idempotency-Key), e-mail over SMTP
 * with STARTTLS (plain SMTP only to loopback), relay to a gateway (bearer
 * token).  Replies are classified as DESIGN.md says: 2xx delivered; 4xx but
 * 408/429 held; anything else, or a timeout, deferred with exponential
 * backoff and jitter (Retry-After honoured), held once too old.
 * TLS peer verification is always on; http:// only to loopback.
 *
 * forward talks to the rest only through store_* and the partner directory,
 * so it could later run as its own sandboxed process. */
#pragma once

#include <glib.h>
#include "store.h"
#include "partner.h"
#include "conf.h"

G_BEGIN_DECLS

#define FORWARD_ERROR (forward_error_quark ())
GQuark forward_error_quark (void);

typedef enum
{
  FORWARD_ERROR_CONFIG,
  FORWARD_ERROR_CURL,
  FORWARD_ERROR_UNREACHABLE,
} ForwardError;

typedef struct
{
  guint   concurrency;        /* transfers at once (8) */
  gint64  timeout_seconds;    /* per transfer (30) */
  gint64  connect_timeout_seconds; /* (10) */
  gint64  retry_base_seconds; /* first backoff (30) */
  double  retry_factor;       /* (2.0) */
  gint64  retry_cap_seconds;  /* longest backoff (3600) */
  gint64  max_age_seconds;    /* then held (7 days) */
  gint64  retention_seconds;  /* delivered envelopes purged after (7 days) */
  gint64  lease_seconds;      /* active lease (timeout + 60) */
  gint64  poll_seconds;       /* look for work written by other processes (2) */
  char   *relay_url;          /* kiosk: forward everything to this gateway */
  char   *relay_token;
  char   *ca_file;            /* extra CA bundle (tests, private CAs) */
} ForwardOptions;

/* Defaults above; the [retention] group and the program's own group
 * ([gateway] or [kiosk]) override: retry_base, retry_factor, retry_cap,
 * max_age, delivered (retention), forward_concurrency, forward_timeout,
 * relay_url, relay_token, ca_file. */
void      forward_options_init      (ForwardOptions *options);
gboolean  forward_options_from_conf (ForwardOptions *options,
                                     const Conf     *conf,
                                     const char     *group,
                                     GError        **error);
void      forward_options_clear     (ForwardOptions *options);

/* Seconds to wait before attempt ATTEMPTS+1 (ATTEMPTS >= 1 failures so
 * far): base * factor^(attempts-1), capped, with +-20% jitter from
 * RANDOM_UNIT in [0,1). Pure: tests and the store's callers use it. */
gint64    forward_backoff           (const ForwardOptions *options,
                                     guint                 attempts,
                                     double                random_unit);

typedef enum
{
  FORWARD_OUTCOME_DELIVERED,
  FORWARD_OUTCOME_RETRY,
  FORWARD_OUTCOME_PERMANENT,
} ForwardOutcome;
/* HTTP status (0 = no reply) and curl result -> outcome. */
ForwardOutcome forward_classify     (long http_status,
                                     int  curl_code);

typedef struct
{
  guint64 attempts;
  guint64 delivered;
  guint64 deferred;
  guint64 held;
  guint   in_flight;
} ForwardStats;

typedef struct _Forwarder Forwarder;

/* Runs on the thread-default main context of the caller. */
Forwarder *forward_new     (Store                  *store,
                            const PartnerDirectory *partners,
                            const ForwardOptions   *options,
                            GError                **error);
void       forward_start   (Forwarder *forwarder);
/* Something was just enqueued: look now rather than at the next poll. */
void       forward_kick    (Forwarder *forwarder);
void       forward_get_stats (Forwarder *forwarder, ForwardStats *stats);
/* Stops starting transfers; in-flight ones are abandoned (their lease
 * expires and they are retried: at-least-once). */
void       forward_free    (Forwarder *forwarder);

/* saferoutectl partners check: can we reach PARTNER's endpoint, without
 * sending a report?  (Webhook: TLS/TCP connect and a HEAD/OPTIONS without
 * a body; e-mail: SMTP connect, EHLO, STARTTLS, QUIT; pull: nothing to
 * reach, TRUE.)  Blocking; DETAIL says what was checked. */
gboolean   forward_check_partner (const Partner        *partner,
                                  const ForwardOptions *options,
                                  char                **detail,
                                  GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Forwarder, forward_free)

G_END_DECLS
