/* inbox: what the parts of saferoute-inbox share (not a library header).
 *
 * One Inbox holds the partner's identity (partner id, secret key, webhook
 * secret) and its store.  Every way an envelope arrives (webhook, pull,
 * import) goes through inbox_receive, so every path checks the same
 * things in the same order: addressed to us, opens with our key, a valid
 * report, committed. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#include "envelope.h"
#include "report.h"
#include "seal.h"
#include "inbox-store.h"

G_BEGIN_DECLS

#define INBOX_ERROR (inbox_error_quark ())
GQuark inbox_error_quark (void);

typedef enum
{
  INBOX_ERROR_WRONG_PARTNER, /* envelope addressed to another partner */
  INBOX_ERROR_UNOPENED,      /* does not open with our key: 422 */
  INBOX_ERROR_MISMATCH,      /* envelope and report disagree (id, ref) */
  INBOX_ERROR_PULL,          /* the gateway's partner API failed */
} InboxError;

/* The webhook body limit: an envelope is at most ENVELOPE_JSON_MAX. */
#define INBOX_BODY_MAX (64 * 1024)

typedef struct
{
  char        *partner;        /* our partner id */
  guint8       public_key[SEAL_PUBLIC_KEY_BYTES];
  guint8       secret_key[SEAL_SECRET_KEY_BYTES];
  gboolean     have_key;
  char        *hmac_secret;    /* NULL: the webhook is refused (503) */
  char        *gateway_url;    /* pull */
  char        *pull_token;     /* pull */
  char        *listen;
  char        *state_dir;
  InboxStore  *store;
} Inbox;

Inbox    *inbox_new     (void);
void      inbox_free    (Inbox *inbox);

/* Checks ENVELOPE is ours, opens it, stores it (committed) with SOURCE.
 * *DUPLICATE says the id was already stored. */
gboolean  inbox_receive (Inbox          *inbox,
                         const Envelope *envelope,
                         const char     *source,
                         gboolean       *duplicate,
                         GError        **error);

/* The HTTP status for an error of inbox_receive. */
guint     inbox_status_for_error (const GError *error);

/* The fields of REPORT a support worker reads, as label/value pairs
 * (translated labels; values as stored), in display order.  Values never
 * NULL.  Free with g_ptr_array_unref. */
GPtrArray *inbox_report_fields   (const Report *report);
typedef struct
{
  const char *label;
  char       *value;
} InboxField;

/* Server pieces. */
void      inbox_webhook_register (Inbox *inbox, SoupServer *server);
void      inbox_page_register    (Inbox *inbox, SoupServer *server);
/* TRUE only for a loopback peer (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
gboolean  inbox_page_client_allowed (GSocketAddress *remote);

/* pull: fetch, open, store, then acknowledge each stored envelope.
 * Counts are optional.  FALSE if the gateway could not be asked at all or
 * any envelope failed. */
gboolean  inbox_pull    (Inbox   *inbox,
                         guint   *n_stored,
                         guint   *n_duplicate,
                         GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Inbox, inbox_free)

G_END_DECLS
