/* smsstore: what the SMS front door keeps between two text messages.
 *
 * Three tables in the gateway's state directory (sms.db, 0600, its own
 * file so that it can be wiped or kept on tmpfs without touching the
 * delivery queue):
 *   sessions  sender -> conversation (draft included), updated_at, stopped
 *   seen      (provider, message id) -> the reply given, and while a report
 *             is being committed the report itself (pending)
 *   outbox    envelope id -> a confirmation to text once it is delivered
 * SENDER is always a keyed hash of the phone number, never the number.
 * Every blob is ciphertext made by the caller (smsdesk); this module never
 * sees a key.  Errors are STORE_ERROR_IO, or STORE_ERROR_BUSY and
 * STORE_ERROR_FULL (the disk), which the doors answer 503.
 * No SQLite type appears here. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SmsStore SmsStore;

typedef struct
{
  char   *sender;
  GBytes *reply;     /* the reply sent, as stored */
  GBytes *pending;   /* a report not yet known to be committed, or NULL */
} SmsSeen;

typedef struct
{
  char   *envelope_id;
  char   *sender;
  char   *provider;
  GBytes *data;      /* who to text and what: ciphertext */
} SmsOutbox;

SmsStore  *smsstore_open            (const char *path,
                                     GError    **error);
void       smsstore_close           (SmsStore   *store);

/* Group commit: between begin and commit every step, settle and forget is
 * a savepoint in one transaction, made durable by the one commit (which
 * rolls everything back if it fails).  Nothing in a batch is durable, so
 * nothing may be promised, before smsstore_batch_commit returns TRUE. */
gboolean   smsstore_batch_begin     (SmsStore   *store,
                                     GError    **error);
gboolean   smsstore_batch_commit    (SmsStore   *store,
                                     GError    **error);
/* The same commit, visible at once but durable only once a later
 * smsstore_sync() has returned TRUE: the caller syncs, in another thread
 * if it likes, while this one goes on with the next batch.  Every other
 * change in this module is durable when its function returns. */
gboolean   smsstore_batch_commit_unsynced (SmsStore *store,
                                           GError  **error);
/* Makes every commit before the call durable.  Safe to call from other
 * threads while this store is used (it only syncs a file).  Once a sync
 * has failed, this and every change fail (STORE_ERROR_IO) until the store
 * is opened again: the kernel reports a lost write-back only once. */
gboolean   smsstore_sync            (SmsStore   *store,
                                     GError    **error);

/* *DATA is NULL when SENDER has no session. */
gboolean   smsstore_session_get     (SmsStore   *store,
                                     const char *sender,
                                     GBytes    **data,
                                     GError    **error);

/* One transaction: SENDER's session becomes SESSION (NULL deletes it) and,
 * when MSG_ID is given, (PROVIDER, MSG_ID) is recorded as seen with REPLY
 * and PENDING.  A message id already seen is an error (STORE_ERROR_STATE). */
gboolean   smsstore_step            (SmsStore   *store,
                                     const char *sender,
                                     GBytes     *session,
                                     gboolean    stopped,
                                     const char *provider,
                                     const char *msg_id,
                                     GBytes     *reply,
                                     GBytes     *pending,
                                     gint64      now,
                                     GError    **error);
/* The report pending under (PROVIDER, MSG_ID) was committed (or refused):
 * drop it, set the reply to REPLY, SENDER's session to SESSION (NULL keeps
 * it) and add OUTBOX (NULL: none), in one transaction. */
gboolean   smsstore_settle          (SmsStore        *store,
                                     const char      *provider,
                                     const char      *msg_id,
                                     GBytes          *reply,
                                     const char      *sender,
                                     GBytes          *session,
                                     const SmsOutbox *outbox,
                                     gint64           now,
                                     GError         **error);
/* Drops the replies kept for SENDER's earlier messages (the check message
 * repeats what they typed) but keeps their ids, so a late retry still has
 * no second effect (it gets no reply).  (PROVIDER, KEEP_ID)'s reply stays. */
gboolean   smsstore_wipe_replies    (SmsStore   *store,
                                     const char *sender,
                                     const char *provider,
                                     const char *keep_id,
                                     GError    **error);
/* NULL (and no error) when not seen. */
SmsSeen   *smsstore_seen_get        (SmsStore   *store,
                                     const char *provider,
                                     const char *msg_id,
                                     GError    **error);
/* Everything about SENDER: session, seen records, outbox. */
gboolean   smsstore_forget          (SmsStore   *store,
                                     const char *sender,
                                     GError    **error);
/* Sessions untouched since SESSION_BEFORE (stopped ones are kept: STOP
 * lasts until START) and settled seen records older than SEEN_BEFORE.
 * Returns the number of rows removed or -1. */
gint64     smsstore_sweep           (SmsStore   *store,
                                     gint64      session_before,
                                     gint64      seen_before,
                                     GError    **error);

/* Oldest first, at most LIMIT.  Array of SmsOutbox*. */
GPtrArray *smsstore_outbox_list     (SmsStore   *store,
                                     guint       limit,
                                     GError    **error);
gboolean   smsstore_outbox_delete   (SmsStore   *store,
                                     const char *envelope_id,
                                     GError    **error);

void       sms_seen_free            (SmsSeen   *seen);
void       sms_outbox_free          (SmsOutbox *outbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsStore, smsstore_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsSeen, sms_seen_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsOutbox, sms_outbox_free)

G_END_DECLS
