/* store: the durable queue and the sharing ledger.
 *
 * The only module that knows SQL (SQLite today; a PostgreSQL backend is
 * planned, so no SQLite type appears here).  One accepted report is one
 * transaction: envelope + delivery + ledger row, committed with
 * synchronous=FULL before anyone is told "sent".  Delivery states:
 *
 *   queued -> active -> delivered
 *               |  \--> deferred -> active ...   (retry later)
 *               \----> held                      (for a human)
 *
 * The store records states and times; forward.c decides when to retry and
 * when to give up.  Nothing is ever deleted silently: held deliveries stay
 * until a human retries or purges them; delivered envelopes lose their
 * ciphertext after the retention period but keep their ledger row. */
#pragma once

#include <glib.h>
#include "envelope.h"

G_BEGIN_DECLS

#define STORE_ERROR (store_error_quark ())
GQuark store_error_quark (void);

typedef enum
{
  STORE_ERROR_IO,        /* cannot open, corrupt, any other failure */
  STORE_ERROR_BUSY,      /* locked by another writer for too long: 503 */
  STORE_ERROR_NOT_FOUND,
  STORE_ERROR_STATE,     /* the delivery is not in a state that allows this */
  STORE_ERROR_SCHEMA,    /* written by a newer saferoute */
  STORE_ERROR_FULL,      /* the disk is full: 503, nothing was written */
} StoreError;

/* The code for an SQLite result code (extended or not), for every store
 * of SQLite files (this one, smsstore): BUSY and FULL, or IO. */
StoreError store_error_code (int sqlite_result);

typedef enum
{
  DELIVERY_QUEUED,
  DELIVERY_ACTIVE,
  DELIVERY_DEFERRED,
  DELIVERY_DELIVERED,
  DELIVERY_HELD,
  DELIVERY_N_STATES
} DeliveryState;

/* How a delivery leaves this machine. */
typedef enum
{
  DELIVERY_METHOD_WEBHOOK,
  DELIVERY_METHOD_EMAIL,
  DELIVERY_METHOD_PULL,   /* waits for the partner to fetch it */
  DELIVERY_METHOD_RELAY,  /* kiosk -> gateway relay, sealed, blind */
} DeliveryMethod;

typedef struct
{
  char          *id;              /* = envelope id = Idempotency-Key */
  char          *partner;
  char          *ref;
  DeliveryMethod method;
  DeliveryState  state;
  guint          attempts;
  gint64         created_at;      /* when accepted (UNIX s) */
  gint64         next_attempt_at; /* due time for queued/deferred */
  gint64         last_attempt_at; /* 0 = never */
  gint64         lease_until;     /* active only */
  gint64         delivered_at;    /* 0 = not yet */
  char          *last_error;      /* short, no personal data */
  char          *envelope_json;   /* NULL once purged */
} Delivery;

/* One row of the sharing ledger (promise 2): what went to whom, never the
 * content.  Kept after the envelope is purged. */
typedef struct
{
  char   *id;             /* envelope id */
  char   *ref;
  char   *partner;
  char   *channel;        /* kiosk | sms | web | api | relay */
  char   *category;       /* NULL when relayed sealed */
  char   *language;
  char   *shared_fields;  /* "category,message,contact.phone" or NULL */
  gint64  created_at;
  gint64  delivered_at;   /* 0 = not yet */
  DeliveryState state;    /* the delivery's state */
} LedgerEntry;

/* What to enqueue: the envelope as it will be sent and its ledger row. */
typedef struct
{
  const Envelope    *envelope;
  const char        *envelope_json;
  DeliveryMethod     method;
  const LedgerEntry *ledger;   /* id/ref/partner/state are taken from the envelope */
} StoreItem;

typedef struct _Store Store;

/* Opens (creating and migrating) the database at PATH; deliveries left
 * active by a crash go back to deferred, due now. */
Store     *store_open            (const char *path,
                                  GError    **error);
void       store_close           (Store      *store);
const char *store_path           (const Store *store);

/* One transaction for all N items (group commit): either every item is
 * durable when this returns TRUE, or none is.  An item whose envelope id
 * is already stored is skipped (idempotent) and counted in *DUPLICATES. */
gboolean   store_enqueue         (Store           *store,
                                  const StoreItem *items,
                                  guint            n_items,
                                  guint           *duplicates,
                                  GError         **error);

/* Group commit for the forwarder: the store_mark_* and store_claim_due
 * calls made between begin and commit share one transaction and so one
 * fsync.  Call no other store_* function in between (store_enqueue has a
 * transaction of its own and would fail), and keep both in one function,
 * never across main-loop iterations: the batch holds the write lock.  If
 * commit fails, nothing of the batch happened (its deliveries stay active
 * until their leases lapse). */
gboolean   store_batch_begin     (Store   *store,
                                  GError **error);
gboolean   store_batch_commit    (Store   *store,
                                  GError **error);

/* Claims up to LIMIT due webhook/email/relay deliveries (queued or
 * deferred, next_attempt_at <= NOW) in one statement, marks them active
 * with a lease until NOW + LEASE_SECONDS.  Array of Delivery*. */
GPtrArray *store_claim_due       (Store   *store,
                                  gint64   now,
                                  guint    limit,
                                  gint64   lease_seconds,
                                  GError **error);
/* Earliest next_attempt_at of a pushable delivery; -1 if none. */
gint64     store_next_due        (Store   *store,
                                  GError **error);

gboolean   store_mark_delivered  (Store      *store,
                                  const char *id,
                                  gint64      now,
                                  GError    **error);
gboolean   store_mark_deferred   (Store      *store,
                                  const char *id,
                                  gint64      now,
                                  gint64      next_attempt_at,
                                  const char *last_error,
                                  GError    **error);
gboolean   store_mark_held       (Store      *store,
                                  const char *id,
                                  gint64      now,
                                  const char *reason,
                                  GError    **error);

/* Operator actions.  retry: held/deferred -> queued, due now.  hold: any
 * undelivered -> held.  purge: removes a held delivery's envelope (the
 * ledger row stays, state held, last_error says purged by operator). */
gboolean   store_retry           (Store *store, const char *id, GError **error);
gboolean   store_hold            (Store *store, const char *id, const char *reason, GError **error);
gboolean   store_purge           (Store *store, const char *id, GError **error);

/* Drops the ciphertext of deliveries delivered before NOW - RETENTION.
 * Returns how many were purged, or -1 on error. */
gint64     store_purge_delivered (Store   *store,
                                  gint64   now,
                                  gint64   retention_seconds,
                                  GError **error);

/* Pull partners: up to LIMIT undelivered pull deliveries for PARTNER, oldest
 * first.  ack marks one delivered if it belongs to PARTNER. */
GPtrArray *store_pull_pending    (Store      *store,
                                  const char *partner,
                                  guint       limit,
                                  GError    **error);
gboolean   store_ack             (Store      *store,
                                  const char *partner,
                                  const char *id,
                                  gint64      now,
                                  GError    **error);

gboolean   store_counts          (Store   *store,
                                  guint64  counts[DELIVERY_N_STATES],
                                  GError **error);
/* STATE < 0: all states.  Newest first. */
GPtrArray *store_list            (Store   *store,
                                  int      state,
                                  guint    limit,
                                  GError **error);
Delivery  *store_get             (Store      *store,
                                  const char *id,
                                  GError    **error);
/* Ledger rows for a reference code (a report may have several). */
GPtrArray *store_ledger_for_ref  (Store      *store,
                                  const char *ref,
                                  GError    **error);
/* Aggregate statistics without personal data: count of ledger rows per
 * (category, channel, language, partner, state), as GVariant a(sssssu). */
GVariant  *store_ledger_stats    (Store   *store,
                                  GError **error);

void        delivery_free         (Delivery *delivery);
void        ledger_entry_free     (LedgerEntry *entry);
const char *delivery_state_to_string   (DeliveryState state);
gboolean    delivery_state_from_string (const char *text, DeliveryState *state);
const char *delivery_method_to_string  (DeliveryMethod method);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Delivery, delivery_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LedgerEntry, ledger_entry_free)

G_END_DECLS
