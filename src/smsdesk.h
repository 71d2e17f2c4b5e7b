/* smsdesk: one incoming text message, from any provider, to its replies.
 *
 * The transport-independent half of the SMS front door: the provider
 * endpoints (gateway/sms-*.c) parse and authenticate, then hand an
 * SmsIncoming to smsdesk_receive(), which
 *   1. answers a message id it has seen with the reply it gave then (no
 *      second side effect; a report a crash left pending is re-submitted
 *      under its own id, which intake de-duplicates);
 *   2. applies a shared and a per-sender rate limit;
 *   3. loads the sender's conversation (decrypted), runs convo_step(),
 *      and stores the result (encrypted) with the message id, in the
 *      stepper thread: the messages queued while it was busy share one
 *      transaction and one durable commit (group commit; a batch ends
 *      after a message that finishes a report), and nobody is answered
 *      before it;
 *   4. submits a finished report through intake and builds the replies
 *      only after intake committed (promise 4);
 *   5. queues a delivery confirmation, only where the person said texts
 *      are safe, sent later through the provider's API (smssend).
 * The phone number is only ever stored as a keyed hash (the sender key),
 * except inside the sealed report and inside an encrypted outbox entry.
 * Keys: one 32-byte master key file (0600, created at first start) from
 * which the hash key and the secretbox key are derived. */
#pragma once

#include <glib.h>

#include "conf.h"
#include "intake.h"
#include "partner.h"
#include "store.h"

G_BEGIN_DECLS

#define SMSDESK_ERROR (smsdesk_error_quark ())
GQuark smsdesk_error_quark (void);

typedef enum
{
  SMSDESK_ERROR_INVALID,  /* not UTF-8, empty sender, ...: 400 */
  SMSDESK_ERROR_KEY,      /* key file unusable */
  SMSDESK_ERROR_CONFIG,   /* bad [sms] key: exit 2 */
} SmsDeskError;

/* TRUE for a store failure after which nothing was promised and the
 * provider should send the message again (its id makes that safe): a
 * busy store, a full disk, an I/O error.  The SMS doors answer 503. */
gboolean smsdesk_error_retry (const GError *error);

/* Provider names: also the namespace of message ids. */
#define SMSDESK_TWILIO  "twilio"
#define SMSDESK_KANNEL  "kannel"
#define SMSDESK_INBOUND "inbound"

typedef struct
{
  const char *provider;  /* SMSDESK_* */
  const char *msg_id;    /* provider's message id; NULL: no de-duplication */
  const char *from;      /* sender's number, UTF-8 */
  const char *text;      /* message, UTF-8 */
} SmsIncoming;

typedef struct
{
  char    **replies;     /* NULL-terminated, possibly empty: send nothing */
  gboolean  limited;     /* refused by a rate limit (replies say so) */
  gboolean  duplicate;   /* a message id seen before: same replies */
  char     *envelope_id; /* a report was committed by this message */
} SmsAnswer;

typedef struct _SmsDesk SmsDesk;

/* Reads [sms] from CONF (see doc/saferoute.conf.example).  STORE and
 * INTAKE are borrowed.  Call after lang_init(). */
SmsDesk    *smsdesk_new          (Conf                   *conf,
                                  const char             *state_dir,
                                  const PartnerDirectory *partners,
                                  Store                  *store,
                                  Intake                 *intake,
                                  GError                **error);
void        smsdesk_free         (SmsDesk *desk);

/* ANSWER (yours to free) or, when it is NULL, ERROR: SMSDESK_ERROR_INVALID
 * (400) or STORE_ERROR_* (503: nothing was promised, the provider
 * retries). */
typedef void (*SmsDeskDone) (SmsAnswer    *answer,
                             const GError *error,
                             gpointer      user_data);

/* Queues INCOMING (copied) for the next batch: the messages that arrive
 * while the stepper thread is busy are stored with one durable commit
 * (group commit), and DONE is called, from the main loop of the thread
 * that made the desk, only after it.  Call from that thread only. */
void        smsdesk_receive_async (SmsDesk           *desk,
                                   const SmsIncoming *incoming,
                                   gint64             now,
                                   SmsDeskDone        done,
                                   gpointer           user_data);
/* The same, at once, with whatever else is queued (tests, tools).  Not
 * from inside a DONE callback: it waits for batches that callback's
 * caller is still answering. */
SmsAnswer  *smsdesk_receive      (SmsDesk           *desk,
                                  const SmsIncoming *incoming,
                                  gint64             now,
                                  GError           **error);
void        sms_answer_free      (SmsAnswer *answer);

/* Forgets idle sessions and old de-duplication records; sends due
 * delivery confirmations.  Call from a timer. */
void        smsdesk_tick         (SmsDesk *desk,
                                  gint64   now);

/* From [sms]: the public base URL (no trailing slash; NULL if unset) and
 * Twilio's auth token (NULL: /sms/twilio refuses everything). */
const char *smsdesk_public_url   (const SmsDesk *desk);
const char *smsdesk_twilio_token (const SmsDesk *desk);
/* [sms] kannel_secret / inbound_secret for PROVIDER, NULL if unset (then
 * only loopback peers may post). */
const char *smsdesk_endpoint_secret (const SmsDesk *desk,
                                     const char    *provider);
/* The keyed hash of a phone number, hex (what is stored as the sender). */
char       *smsdesk_sender_key   (const SmsDesk *desk,
                                  const char    *from);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsDesk, smsdesk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsAnswer, sms_answer_free)

G_END_DECLS
