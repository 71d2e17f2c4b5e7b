/* inbox-store: the partner inbox's own SQLite database.
 *
 * One row per received envelope, keyed by the envelope id (the sender's
 * Idempotency-Key), holding the opened report.  The database therefore
 * holds personal data: it lives in the private state directory (0700).
 * inbox_store_add returns only after COMMIT with synchronous=FULL, so a
 * "stored" reply or an acknowledgement is never sent for a row a crash
 * could lose. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define INBOX_STORE_ERROR (inbox_store_error_quark ())
GQuark inbox_store_error_quark (void);

typedef enum
{
  INBOX_STORE_ERROR_IO,        /* cannot open, disk full, corrupt */
  INBOX_STORE_ERROR_BUSY,      /* locked by another writer too long */
  INBOX_STORE_ERROR_NOT_FOUND,
  INBOX_STORE_ERROR_SCHEMA,    /* written by a newer saferoute-inbox */
} InboxStoreError;

typedef struct
{
  char   *id;             /* envelope id = Idempotency-Key */
  char   *ref;
  char   *partner;
  gint64  created_at;     /* when the report was made (UNIX s) */
  gint64  received_at;    /* when this inbox committed it */
  char   *source;         /* webhook | pull | import */
  char   *category;
  char   *language;
  char   *contact_method;
  char   *report_json;    /* the opened report */
} InboxEntry;

typedef struct _InboxStore InboxStore;

InboxStore *inbox_store_open  (const char  *path,
                               GError     **error);
void        inbox_store_close (InboxStore  *store);

/* Inserts ENTRY (received_at is set to NOW) in one committed transaction.
 * An id already stored is left as it is and *DUPLICATE is set. */
gboolean    inbox_store_add   (InboxStore       *store,
                               const InboxEntry *entry,
                               gint64            now,
                               gboolean         *duplicate,
                               GError          **error);
/* Newest first; array of InboxEntry*. */
GPtrArray  *inbox_store_list  (InboxStore  *store,
                               GError     **error);
InboxEntry *inbox_store_get   (InboxStore  *store,
                               const char  *id,
                               GError     **error);
gint64      inbox_store_count (InboxStore  *store,
                               GError     **error);

void        inbox_entry_free  (InboxEntry  *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InboxStore, inbox_store_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InboxEntry, inbox_entry_free)

G_END_DECLS
