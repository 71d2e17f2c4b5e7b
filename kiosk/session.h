/* session: the kiosk's unfinished reports, in server memory only.
 *
 * A session is keyed by a random id (the cookie) and carries its own
 * random CSRF token.  It is wiped (every string zeroed) when the person
 * sends, exits, finishes or leaves it idle: the sweep runs on a timer, so
 * a closed browser loses its session too.  Nothing is ever written to
 * disk.  The store holds at most MAX sessions: a new one evicts the
 * oldest, so a flood of requests cannot grow memory without bound. */
#pragma once

#include <glib.h>
#include "wizard.h"

G_BEGIN_DECLS

#define SESSION_ID_BYTES 32
#define SESSION_COOKIE   "saferoute_session"

typedef struct
{
  char           id[SESSION_ID_BYTES * 2 + 1];
  char           csrf[SESSION_ID_BYTES * 2 + 1];
  char          *lang;        /* last language used, or NULL */
  char          *text_size;   /* "normal" "large" "larger" */
  char          *last_path;   /* where "I am still here" returns */
  Wizard        *wizard;      /* NULL until a report is started */
  WizardReceipt *receipt;     /* set once sent, until finished */
  gint64         last_seen;   /* g_get_monotonic_time (), microseconds */
  GList         *link;        /* in the store's least-recently-used list */
} Session;

typedef struct _SessionStore SessionStore;

SessionStore *session_store_new     (gint64 idle_timeout_us,
                                     guint  max_sessions);
/* Wipes every session. */
void          session_store_free    (SessionStore *store);
Session      *session_store_create  (SessionStore *store,
                                     gint64        now);
/* NULL when unknown or expired (an expired one is wiped now). */
Session      *session_store_lookup  (SessionStore *store,
                                     const char   *id,
                                     gint64        now);
void          session_store_remove  (SessionStore *store,
                                     Session      *session);
/* The person did something: restart the idle clock. */
void          session_store_touch   (SessionStore *store,
                                     Session      *session,
                                     gint64        now);
/* Wipes sessions idle for longer than the timeout; returns how many. */
guint         session_store_sweep   (SessionStore *store,
                                     gint64        now);
guint         session_store_size    (SessionStore *store);

/* Constant-time comparison with the session's token. */
gboolean      session_csrf_valid    (const Session *session,
                                     const char    *token);
/* Drops the wizard (wiped) and the receipt. */
void          session_reset         (Session *session);
void          session_set_string    (char **slot,
                                     const char *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionStore, session_store_free)

G_END_DECLS
