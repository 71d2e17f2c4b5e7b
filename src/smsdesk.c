/* smsdesk: the SMS front door's pipeline (see smsdesk.h).
 *
 * Owns the SMS keys, the rate limits, the conversation engine and the
 * SMS store.  Invariants, after a crash at any line of this file (the
 * main loop's, the stepper's or the syncer's):
 * - before the step is stored, nothing happened: the provider's retry
 *   runs it again;
 * - once the step is stored, a retry gets the stored reply; if the step
 *   finished a report, the report is stored with it as "pending" and the
 *   retry re-submits it under the same id (intake skips a duplicate), so
 *   the reply saying "sent" is only ever given after the report is
 *   durable, and never for a second copy;
 * - the phone number reaches the disk only inside the sealed report and
 *   inside an encrypted outbox entry (when the person said texts are
 *   safe); everywhere else it is a keyed BLAKE2b hash.
 * - a batch of steps is answered only after a sync of the SMS store's
 *   WAL that began after the batch's commit (smsstore_sync, in the
 *   syncer thread, which touches nothing but that file); meanwhile the
 *   stepper goes on with the next batch, which may read what the
 *   unsynced one wrote: a crash loses the later with the earlier, and
 *   nobody of either has been answered.  A report is submitted to intake
 *   only once its step is durable, and the next batch waits until it is
 *   settled (so a sender's next message sees it settled).
 * Threads: the main loop parses requests, queues jobs and answers them;
 * the stepper thread steps and commits each batch (SQLite, sealing, the
 * conversation: most of a message's CPU, which the main loop then spends
 * on the next requests); the syncer syncs.  The SMS store is the
 * stepper's while it holds STORE_LOCK; the main loop takes that lock for
 * what it does to the store itself (settling reports, housekeeping).  The
 * intake and queue store are the main loop's alone: the stepper leaves
 * every report, even a replayed one, for the main loop to submit.
 * Failure: store errors pass up (503: the provider retries); a stored
 * blob that does not decrypt (key changed) is dropped with a warning and
 * the person starts again, rather than the gateway refusing them. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <sodium.h>

#include "convo.h"
#include "lang.h"
#include "ratelimit.h"
#include "smsdesk.h"
#include "smssend.h"
#include "smsstore.h"

G_DEFINE_QUARK (saferoute-smsdesk-error-quark, smsdesk_error)

#define SMSDESK_KEY_BYTES 32
#define SMSDESK_KDF_CONTEXT "sr-smsgw"
#define SMSDESK_OUTBOX_BATCH 20
/* Jobs the main loop gathers before it hands them to the stepper in the
 * middle of a round (the rest go at the round's end).  Measured under
 * wrk: handing each job over at once made batches of 4 or 5, and a fifth
 * more WAL and two fifths more syncs a message; waiting for the round's
 * end left the stepper idle (fewer webhooks a second).  16 gave batches
 * of about 13 with as many webhooks a second as handing over at once. */
#define SMSDESK_HANDOVER_JOBS 16
/* At most this many jobs a batch: the stepper holds the SMS store for a
 * whole batch, and the main loop's own uses of it (settling a report,
 * housekeeping) wait that long. */
#define SMSDESK_BATCH_MAX 64

static const char *const sms_known_keys[] = {
  "public_url",
  "twilio_auth_token",
  "twilio_account_sid",
  "twilio_from",
  "twilio_api_url",
  "kannel_sendsms_url",
  "kannel_username",
  "kannel_password",
  "kannel_from",
  "confirm",
  "key_file",
  "idle_timeout",
  "dedup_window",
  "sender_burst",
  "sender_per_hour",
  "global_burst",
  "global_per_second",
  "area",
  "site",
  "kannel_secret",
  "inbound_secret",
  "allow_missing_translations",
  NULL
};

typedef struct
{
  char            *provider, *msg_id, *from, *text;  /* owned copies */
  SmsIncoming      incoming;                         /* pointing at them */
  gint64           now;
  SmsDeskDone      callback;
  gpointer         user_data;
  SmsAnswer       *answer;
  GError          *error;
  /* A report finished by this message, submitted after the batch commit. */
  char            *sender;
  ConvoSession    *session;
  ConvoResult     *result;
  /* A retry of a message whose report a crash left pending: submitted
   * again (same report id) after the batch commit. */
  SmsSeen         *replayed;
} SmsJob;

static void sms_job_free  (SmsJob *job);
static void smsdesk_drain (struct _SmsDesk *desk);
static void smsdesk_hand_over (struct _SmsDesk *desk);
static void smsdesk_threads_start (struct _SmsDesk *desk);
static void smsdesk_threads_stop  (struct _SmsDesk *desk);

struct _SmsDesk
{
  Store         *store;
  Intake        *intake;
  SmsStore      *sms;
  ConvoEngine   *engine;
  RateLimit     *per_sender;
  RateLimit     *global;
  guint8         hash_key[crypto_generichash_KEYBYTES];
  guint8         box_key[crypto_secretbox_KEYBYTES];
  char          *public_url;
  char          *twilio_token;
  char          *kannel_secret;
  char          *inbound_secret;
  char          *area;
  char          *site;
  gint64         idle_timeout;
  gint64         dedup_window;
  SmsSendConfig  send;
  char         **limited;      /* the "slow down" text, per language */
  GHashTable    *sending;      /* envelope ids with a send in flight */
  GCancellable  *gone;         /* cancelled when the desk is freed */
  GMutex         store_lock;   /* held by whoever uses SMS (the store) */
  /* The stepper's queue: jobs wait in JOBS until the stepper takes them
   * all as one batch.  All under STEP_LOCK. */
  GMutex         step_lock;
  GCond          step_wake;    /* for the stepper: jobs, or stop */
  GCond          step_idle;    /* for smsdesk_drain: the stepper waits */
  GPtrArray     *jobs;         /* SmsJob*, waiting for the next batch */
  gboolean       stepping;     /* the stepper has a batch in hand */
  gboolean       step_waiting; /* the stepper sleeps on STEP_WAKE */
  guint          settling;     /* batches with reports not yet answered */
  gboolean       step_stop;
  GThread       *stepper;
  /* Jobs of this main-loop round, not yet handed to the stepper (main
   * loop only); HANDOVER hands them over before the loop next sleeps. */
  GPtrArray     *arrived;
  GSource       *handover;
  /* Durability: a committed batch waits in UNSYNCED until the syncer
   * thread has synced the WAL after its commit and posted the result in
   * SYNC_RESULTS; SYNCED_SOURCE then answers it in the main loop. */
  GQueue        *unsynced;     /* SmsBatch*, oldest first (under lock) */
  guint64        committed;    /* batches committed so far (under lock) */
  guint64        sync_target;  /* the syncer's progress (under lock) */
  GArray        *sync_results; /* SmsSyncResult, oldest first (under lock) */
  gboolean       stopping;     /* under lock */
  GMutex         sync_lock;
  GCond          sync_wake;
  GThread       *syncer;
  GSource       *synced_source;
};

typedef struct
{
  guint64    seq;
  GPtrArray *jobs;             /* SmsJob* */
  GError    *error;            /* nothing of it was stored */
  gboolean   reports;          /* some job left a report to submit */
} SmsBatch;

typedef struct
{
  guint64  upto;               /* every batch up to this one ... */
  GError  *error;              /* ... is durable, or NULL: this failed */
} SmsSyncResult;

/* --- keys and encryption ------------------------------------------------ */

/* Reads the master key at PATH, creating it (0600, random) if absent. */
static gboolean
smsdesk_load_key (const char *path, guint8 master[SMSDESK_KEY_BYTES],
                  GError **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      guint8 fresh[SMSDESK_KEY_BYTES];
      gboolean ok;

      randombytes_buf (fresh, sizeof fresh);
      /* g_file_set_contents_full writes a temporary file and renames it:
       * a crash leaves either no key or a whole one. */
      ok = g_file_set_contents_full (path, (const char *) fresh, sizeof fresh,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
      sodium_memzero (fresh, sizeof fresh);
      if (!ok)
        return FALSE;
    }
  if (!g_file_get_contents (path, &data, &length, error))
    return FALSE;
  if (length != SMSDESK_KEY_BYTES)
    {
      sodium_memzero (data, length);
      g_set_error (error, SMSDESK_ERROR, SMSDESK_ERROR_KEY,
                   "%s: an SMS key file holds exactly %d bytes", path,
                   SMSDESK_KEY_BYTES);
      return FALSE;
    }
  memcpy (master, data, SMSDESK_KEY_BYTES);
  sodium_memzero (data, length);
  return TRUE;
}

char *
smsdesk_sender_key (const SmsDesk *desk, const char *from)
{
  guint8 hash[32];
  char hex[2 * sizeof hash + 1];
  g_autoptr(GString) number = g_string_new (NULL);

  g_return_val_if_fail (desk != NULL && from != NULL, NULL);

  /* The same phone written "+44 7700 900123", "+447700900123" (Twilio),
   * "447700900123" (Kannel) or "00447700900123" is the same person. */
  for (const char *p = from; *p; p++)
    if (!g_ascii_isspace (*p) && *p != '-' && *p != '(' && *p != ')')
      g_string_append_c (number, *p);
  if (number->str[0] == '+')
    g_string_erase (number, 0, 1);
  else if (g_str_has_prefix (number->str, "00"))
    g_string_erase (number, 0, 2);
  crypto_generichash (hash, sizeof hash, (const guint8 *) number->str,
                      number->len, desk->hash_key, sizeof desk->hash_key);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

/* Random nonces, drawn 64 at a time: libsodium makes one getrandom()
 * call per request, and every message seals two blobs.  The pool holds
 * only future nonces, which are public anyway.  XXX: a fork would copy
 * the pool and repeat nonces under the same key; nothing here forks. */
#define SMSDESK_NONCE_POOL 64

static guint8 smsdesk_nonces[SMSDESK_NONCE_POOL * crypto_secretbox_NONCEBYTES];
static guint  smsdesk_nonces_left;
G_LOCK_DEFINE_STATIC (smsdesk_nonces);

static void
smsdesk_nonce (guint8 nonce[crypto_secretbox_NONCEBYTES])
{
  G_LOCK (smsdesk_nonces);
  if (smsdesk_nonces_left == 0)
    {
      randombytes_buf (smsdesk_nonces, sizeof smsdesk_nonces);
      smsdesk_nonces_left = SMSDESK_NONCE_POOL;
    }
  smsdesk_nonces_left--;
  memcpy (nonce, smsdesk_nonces + smsdesk_nonces_left * crypto_secretbox_NONCEBYTES,
          crypto_secretbox_NONCEBYTES);
  /* Never handed out twice. */
  sodium_memzero (smsdesk_nonces + smsdesk_nonces_left * crypto_secretbox_NONCEBYTES,
                  crypto_secretbox_NONCEBYTES);
  G_UNLOCK (smsdesk_nonces);
}

static GBytes *
smsdesk_seal (const SmsDesk *desk, GBytes *plain)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (plain, &length);
  gsize total = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + length;
  guint8 *out = g_malloc (total);

  smsdesk_nonce (out);
  crypto_secretbox_easy (out + crypto_secretbox_NONCEBYTES, data, length, out,
                         desk->box_key);
  return g_bytes_new_take (out, total);
}

/* NULL when SEALED was not made with this key. */
static GBytes *
smsdesk_open (const SmsDesk *desk, GBytes *sealed)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (sealed, &length);
  gsize plain_length;
  guint8 *out;

  if (length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return NULL;
  plain_length = length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
  out = g_malloc (plain_length + 1);
  if (crypto_secretbox_open_easy (out, data + crypto_secretbox_NONCEBYTES,
                                  length - crypto_secretbox_NONCEBYTES, data,
                                  desk->box_key) != 0)
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, plain_length);
}

static GBytes *
smsdesk_seal_variant (const SmsDesk *desk, GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  g_autoptr(GBytes) plain = g_variant_get_data_as_bytes (owned);

  return smsdesk_seal (desk, plain);
}

static GVariant *
smsdesk_open_variant (const SmsDesk *desk, GBytes *sealed, const char *type)
{
  g_autoptr(GBytes) plain = NULL;
  GVariant *value;

  if (sealed == NULL || (plain = smsdesk_open (desk, sealed)) == NULL)
    return NULL;
  value = g_variant_new_from_bytes (G_VARIANT_TYPE (type), plain, FALSE);
  g_variant_ref_sink (value);
  if (!g_variant_is_normal_form (value))
    {
      g_variant_unref (value);
      return NULL;
    }
  return value;
}

static GBytes *
smsdesk_seal_replies (const SmsDesk *desk, char **replies)
{
  return smsdesk_seal_variant (desk, g_variant_new_strv ((const char *const *) replies, -1));
}

static char **
smsdesk_open_replies (const SmsDesk *desk, GBytes *sealed)
{
  g_autoptr(GVariant) value = smsdesk_open_variant (desk, sealed, "as");

  return value ? g_variant_dup_strv (value, NULL) : NULL;
}

/* The "slow down" text in every language of lang_all(), in its order:
 * translated once here, because the stepper must not switch gettext's
 * language (the main loop's, for the web pages it is serving). */
static char **
smsdesk_limited_texts (void)
{
  guint n = 0;
  const LangInfo *langs = lang_all (&n);
  const char *previous = lang_current ();
  char **texts = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      lang_use (langs[i].code);
      /* TRANSLATORS: SMS reply when someone sends too many messages too
       * quickly.  Budget: one SMS (70 characters in Urdu, Arabic, Punjabi).
       * Keep it discreet: no word about crime or reporting. */
      texts[i] = g_strdup (_("Too many messages. Please wait a while, then try again."));
    }
  lang_use (previous);
  return texts;
}

/* --- configuration ------------------------------------------------------ */

static gboolean
smsdesk_configure (SmsDesk *desk, Conf *conf, const char *state_dir,
                   ConvoConfig *convo, GError **error)
{
  g_autofree char *default_key = g_build_filename (state_dir, "sms.key", NULL);
  g_autofree char *key_file = NULL;
  g_autofree char *confirm = NULL;
  gint64 sender_burst, sender_per_hour, global_burst, global_per_second;
  guint8 master[SMSDESK_KEY_BYTES];

  conf_warn_unknown_keys (conf, "sms", sms_known_keys);
  if (!(desk->public_url = conf_get_string (conf, "sms", "public_url",
                                            "http://127.0.0.1:8081", error))
      || !(desk->twilio_token = conf_get_string (conf, "sms", "twilio_auth_token",
                                                 "", error))
      || !(desk->kannel_secret = conf_get_string (conf, "sms", "kannel_secret",
                                                  "", error))
      || !(desk->inbound_secret = conf_get_string (conf, "sms", "inbound_secret",
                                                   "", error))
      || !(desk->area = conf_get_string (conf, "sms", "area", "", error))
      || !(desk->site = conf_get_string (conf, "sms", "site", "", error))
      || !(confirm = conf_get_string (conf, "sms", "confirm", "none", error))
      || !(key_file = conf_get_path (conf, "sms", "key_file", default_key,
                                     FALSE, error))
      || !conf_get_duration (conf, "sms", "idle_timeout", CONVO_IDLE_DEFAULT,
                             &desk->idle_timeout, error)
      || !conf_get_duration (conf, "sms", "dedup_window", 2 * 24 * 3600,
                             &desk->dedup_window, error)
      || !conf_get_int (conf, "sms", "sender_burst", 10, 1, 1000,
                        &sender_burst, error)
      || !conf_get_int (conf, "sms", "sender_per_hour", 60, 1, 100000,
                        &sender_per_hour, error)
      || !conf_get_int (conf, "sms", "global_burst", 200, 1, 1000000,
                        &global_burst, error)
      || !conf_get_int (conf, "sms", "global_per_second", 100, 1, 1000000,
                        &global_per_second, error))
    return FALSE;
  while (g_str_has_suffix (desk->public_url, "/"))
    desk->public_url[strlen (desk->public_url) - 1] = '\0';

  if (g_str_equal (confirm, "twilio"))
    {
      desk->send.provider = g_strdup ("twilio");
      if (!(desk->send.url = conf_get_string (conf, "sms", "twilio_api_url",
                                              "https://api.twilio.com", error))
          || !(desk->send.account = conf_get_string (conf, "sms", "twilio_account_sid",
                                                     NULL, error))
          || !(desk->send.from = conf_get_string (conf, "sms", "twilio_from", NULL, error)))
        return FALSE;
      desk->send.secret = g_strdup (desk->twilio_token);
    }
  else if (g_str_equal (confirm, "kannel"))
    {
      desk->send.provider = g_strdup ("kannel");
      if (!(desk->send.url = conf_get_string (conf, "sms", "kannel_sendsms_url", NULL, error))
          || !(desk->send.account = conf_get_string (conf, "sms", "kannel_username", NULL, error))
          || !(desk->send.secret = conf_get_string (conf, "sms", "kannel_password", NULL, error))
          || !(desk->send.from = conf_get_string (conf, "sms", "kannel_from", NULL, error)))
        return FALSE;
    }
  else if (!g_str_equal (confirm, "none"))
    {
      g_autofree char *where = conf_where (conf, "sms", "confirm");

      g_set_error (error, SMSDESK_ERROR, SMSDESK_ERROR_CONFIG,
                   "%s: must be none, twilio or kannel", where);
      return FALSE;
    }

  if (!smsdesk_load_key (key_file, master, error))
    return FALSE;
  crypto_kdf_derive_from_key (desk->hash_key, sizeof desk->hash_key, 1,
                              SMSDESK_KDF_CONTEXT, master);
  crypto_kdf_derive_from_key (desk->box_key, sizeof desk->box_key, 2,
                              SMSDESK_KDF_CONTEXT, master);
  sodium_memzero (master, sizeof master);

  desk->per_sender = ratelimit_new ((double) sender_per_hour / 3600.0,
                                    (double) sender_burst, 100000);
  desk->global = ratelimit_new ((double) global_per_second,
                                (double) global_burst, 1);
  convo->public_url = desk->public_url;
  convo->idle_timeout = desk->idle_timeout;
  convo->area = desk->area[0] ? desk->area : NULL;
  convo->site = desk->site[0] ? desk->site : NULL;
  return TRUE;
}

SmsDesk *
smsdesk_new (Conf *conf, const char *state_dir, const PartnerDirectory *partners,
             Store *store, Intake *intake, GError **error)
{
  g_autoptr(SmsDesk) desk = NULL;
  g_autofree char *db_path = NULL;
  ConvoConfig convo = { 0 };

  g_return_val_if_fail (conf != NULL && state_dir != NULL, NULL);
  g_return_val_if_fail (partners != NULL && store != NULL && intake != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, SMSDESK_ERROR, SMSDESK_ERROR_KEY, "libsodium failed to start");
      return NULL;
    }
  desk = g_new0 (SmsDesk, 1);
  desk->store = store;
  desk->intake = intake;
  g_mutex_init (&desk->store_lock);
  g_mutex_init (&desk->step_lock);
  g_cond_init (&desk->step_wake);
  g_cond_init (&desk->step_idle);
  g_mutex_init (&desk->sync_lock);
  g_cond_init (&desk->sync_wake);
  desk->unsynced = g_queue_new ();
  desk->sync_results = g_array_new (FALSE, FALSE, sizeof (SmsSyncResult));
  desk->sending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  desk->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) sms_job_free);
  desk->arrived = g_ptr_array_new_with_free_func ((GDestroyNotify) sms_job_free);
  desk->gone = g_cancellable_new ();
  convo.partners = partners;
  if (!smsdesk_configure (desk, conf, state_dir, &convo, error))
    return NULL;
  db_path = g_build_filename (state_dir, "sms.db", NULL);
  desk->sms = smsstore_open (db_path, error);
  if (desk->sms == NULL)
    return NULL;
  desk->engine = convo_engine_new (&convo);
  desk->limited = smsdesk_limited_texts ();
  smsdesk_threads_start (desk);
  return g_steal_pointer (&desk);
}

void
smsdesk_free (SmsDesk *desk)
{
  if (desk == NULL)
    return;
  /* Whoever is waiting gets an answer before the desk goes. */
  if (desk->stepper != NULL)
    smsdesk_drain (desk);
  smsdesk_threads_stop (desk);
  g_clear_pointer (&desk->jobs, g_ptr_array_unref);
  g_clear_pointer (&desk->arrived, g_ptr_array_unref);
  g_strfreev (desk->limited);
  if (desk->gone != NULL)
    g_cancellable_cancel (desk->gone);
  g_clear_object (&desk->gone);
  g_clear_pointer (&desk->engine, convo_engine_free);
  g_clear_pointer (&desk->sms, smsstore_close);
  g_clear_pointer (&desk->per_sender, ratelimit_free);
  g_clear_pointer (&desk->global, ratelimit_free);
  g_clear_pointer (&desk->sending, g_hash_table_unref);
  sodium_memzero (desk->hash_key, sizeof desk->hash_key);
  sodium_memzero (desk->box_key, sizeof desk->box_key);
  g_free (desk->public_url);
  g_free (desk->twilio_token);
  g_free (desk->kannel_secret);
  g_free (desk->inbound_secret);
  g_free (desk->area);
  g_free (desk->site);
  smssend_config_clear (&desk->send);
  g_free (desk);
}

const char *
smsdesk_public_url (const SmsDesk *desk)
{
  return desk->public_url;
}

const char *
smsdesk_twilio_token (const SmsDesk *desk)
{
  return desk->twilio_token[0] ? desk->twilio_token : NULL;
}

const char *
smsdesk_endpoint_secret (const SmsDesk *desk, const char *provider)
{
  const char *secret = NULL;

  if (g_strcmp0 (provider, SMSDESK_KANNEL) == 0)
    secret = desk->kannel_secret;
  else if (g_strcmp0 (provider, SMSDESK_INBOUND) == 0)
    secret = desk->inbound_secret;
  return secret != NULL && *secret != '\0' ? secret : NULL;
}

void
sms_answer_free (SmsAnswer *answer)
{
  if (answer == NULL)
    return;
  g_strfreev (answer->replies);
  g_free (answer->envelope_id);
  g_free (answer);
}

gboolean
smsdesk_error_retry (const GError *error)
{
  return error != NULL && error->domain == STORE_ERROR
         && (error->code == STORE_ERROR_BUSY || error->code == STORE_ERROR_FULL
             || error->code == STORE_ERROR_IO);
}

/* --- one message -------------------------------------------------------- */

static char **
smsdesk_reply_texts (const ConvoResult *result)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **texts;

  for (guint i = 0; result != NULL && i < result->replies->len; i++)
    {
      const ConvoReply *reply = g_ptr_array_index (result->replies, i);

      g_strv_builder_add (builder, reply->text);
    }
  texts = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return texts;
}

static ConvoSession *
smsdesk_load_session (SmsDesk *desk, const char *sender, GError **error)
{
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GError) local = NULL;
  ConvoSession *session;

  if (!smsstore_session_get (desk->sms, sender, &sealed, error))
    return NULL;
  if (sealed == NULL)
    return convo_session_new ();
  plain = smsdesk_open (desk, sealed);
  session = plain ? convo_session_from_bytes (plain, &local) : NULL;
  if (session == NULL)
    {
      g_warning ("an SMS session did not decrypt or parse (%s): starting afresh",
                 local ? local->message : "wrong key?");
      return convo_session_new ();
    }
  return session;
}

static GBytes *
smsdesk_seal_session (SmsDesk *desk, const ConvoSession *session)
{
  g_autoptr(GBytes) plain = convo_session_to_bytes (session);

  return smsdesk_seal (desk, plain);
}

/* The "slow down" reply, in the sender's language if known. */
static char **
smsdesk_limited_reply (SmsDesk *desk, const char *sender)
{
  g_autoptr(ConvoSession) session = NULL;
  const LangInfo *info = NULL;
  guint n = 0;
  const LangInfo *langs = lang_all (&n);
  char **replies;

  session = smsdesk_load_session (desk, sender, NULL);
  if (session != NULL && convo_session_stopped (session))
    return g_new0 (char *, 1);
  if (session != NULL && convo_session_language (session) != NULL)
    info = lang_lookup (convo_session_language (session));
  replies = g_new0 (char *, 2);
  if (info == NULL)
    info = lang_lookup ("en");
  replies[0] = g_strdup (desk->limited[info - langs]);
  return replies;
}

/* Settles INCOMING's step in the SMS store, on its own (no report went
 * to intake): REPLIES kept for retries, SESSION (if not NULL) stored. */
static gboolean
smsdesk_settle_unsent (SmsDesk *desk, const SmsIncoming *incoming, const char *sender,
                       char **replies, GBytes *session, gint64 now, GError **error)
{
  g_autoptr(GBytes) reply = smsdesk_seal_replies (desk, replies);
  gboolean settled;

  g_mutex_lock (&desk->store_lock);
  settled = smsstore_settle (desk->sms, incoming->provider, incoming->msg_id, reply,
                             sender, session, NULL, now, error);
  g_mutex_unlock (&desk->store_lock);
  return settled;
}

/* Settles a report intake has committed as ENVELOPE_ID: the confirmation
 * text queued (only where the person said texts are safe), the reply
 * stored for retries, and what they typed wiped from the SMS store (the
 * check message's copy of it, kept to answer retries until now). */
static gboolean
smsdesk_settle_sent (SmsDesk *desk, const SmsIncoming *incoming, const char *sender,
                     const Report *report, const char *envelope_id,
                     const SmsAnswer *answer, gint64 now, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(SmsOutbox) outbox = NULL;
  gboolean settled;

  if (desk->send.provider != NULL && report->contact.sms_ok
      && (g_strcmp0 (report->contact.method, "sms") == 0
          || g_strcmp0 (report->contact.method, "phone") == 0))
    {
      outbox = g_new0 (SmsOutbox, 1);
      outbox->envelope_id = g_strdup (envelope_id);
      outbox->provider = g_strdup (desk->send.provider);
      outbox->data = smsdesk_seal_variant (desk,
                                           g_variant_new ("(sss)", incoming->from,
                                                          report->language,
                                                          report->ref));
    }
  reply = smsdesk_seal_replies (desk, answer->replies);
  /* One transaction, so one sync: the stepper waits for this settling
   * before it takes its next batch. */
  g_mutex_lock (&desk->store_lock);
  settled = smsstore_batch_begin (desk->sms, error);
  if (settled)
    {
      settled = smsstore_settle (desk->sms, incoming->provider, incoming->msg_id,
                                 reply, sender, NULL, outbox, now, error);
      if (settled && !smsstore_wipe_replies (desk->sms, sender, incoming->provider,
                                             incoming->msg_id, &local))
        g_warning ("SMS store: %s", local->message);
      /* Commits nothing if the settling failed (its savepoint is gone). */
      if (!smsstore_batch_commit (desk->sms, settled ? error : NULL))
        settled = FALSE;
    }
  g_mutex_unlock (&desk->store_lock);
  return settled;
}

/* Commits a finished report whose step is already stored as pending, then
 * settles it.  If intake refuses the report the person is told it was
 * not sent; if it is busy the report stays pending (503: the retry
 * submits it). */
static gboolean
smsdesk_submit (SmsDesk *desk, const SmsIncoming *incoming, const char *sender,
                ConvoSession *session, ConvoResult *result, gint64 now,
                SmsAnswer *answer, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *envelope_id = NULL;
  g_autoptr(ConvoResult) failed = NULL;
  g_autoptr(GBytes) sealed_session = NULL;
  const Report *report = result->report;

  if (!intake_submit (desk->intake, report, desk->area[0] ? desk->area : NULL,
                      &envelope_id, &local))
    {
      /* Leave it pending and let the provider retry. */
      if (smsdesk_error_retry (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_warning ("SMS report %s refused by intake: %s", report->ref, local->message);
      failed = convo_submit_failed (desk->engine, session, result, now);
      g_strfreev (answer->replies);
      answer->replies = smsdesk_reply_texts (failed);
      sealed_session = smsdesk_seal_session (desk, session);
      return smsdesk_settle_unsent (desk, incoming, sender, answer->replies,
                                    sealed_session, now, error);
    }
  answer->envelope_id = g_strdup (envelope_id);
  return smsdesk_settle_sent (desk, incoming, sender, report, envelope_id,
                              answer, now, error);
}

/* A message seen before: the same replies.  A report a crash left
 * pending stays in SEEN, for the main loop to submit once the batch is
 * durable (smsdesk_replay_submit). */
static SmsAnswer *
smsdesk_replay (SmsDesk *desk, SmsJob *job, SmsSeen *seen)
{
  SmsAnswer *answer = g_new0 (SmsAnswer, 1);

  answer->duplicate = TRUE;
  answer->replies = smsdesk_open_replies (desk, seen->reply);
  if (answer->replies == NULL)
    answer->replies = g_new0 (char *, 1);
  if (seen->pending != NULL)
    job->replayed = seen;
  else
    sms_seen_free (seen);
  return answer;
}

/* Commits the report a crash left pending (same report id: intake skips
 * a duplicate), then settles it as a fresh one is: confirmation queued,
 * what was typed wiped. */
static gboolean
smsdesk_replay_submit (SmsDesk *desk, const SmsIncoming *incoming,
                       const SmsSeen *seen, gint64 now, SmsAnswer *answer,
                       GError **error)
{
  g_autoptr(GBytes) plain = smsdesk_open (desk, seen->pending);
  g_autoptr(Report) report = NULL;
  g_autofree char *envelope_id = NULL;
  gsize length = 0;
  const char *json = plain ? g_bytes_get_data (plain, &length) : NULL;

  if (json != NULL)
    report = report_from_json (json, (gssize) length, NULL);
  if (report != NULL)
    {
      if (!intake_submit (desk->intake, report, desk->area[0] ? desk->area : NULL,
                          &envelope_id, error))
        return FALSE;
      answer->envelope_id = g_strdup (envelope_id);
      return smsdesk_settle_sent (desk, incoming, seen->sender, report, envelope_id,
                                  answer, now, error);
    }
  g_warning ("a pending SMS report did not decrypt: dropped");
  return smsdesk_settle_unsent (desk, incoming, seen->sender, answer->replies, NULL,
                                now, error);
}

/* One message inside a batch.  A finished report is left in JOB (session,
 * result, sender) to be submitted once the batch is durable. */
static SmsAnswer *
smsdesk_step_one (SmsDesk *desk, SmsJob *job, GError **error)
{
  const SmsIncoming *incoming = &job->incoming;
  gint64 now = job->now;
  g_autoptr(SmsAnswer) answer = NULL;
  g_autoptr(ConvoSession) session = NULL;
  g_autoptr(ConvoResult) result = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) pending = NULL;
  g_autoptr(GBytes) sealed_session = NULL;
  g_autofree char *sender = NULL;
  gint64 mono = g_get_monotonic_time ();

  if (incoming->from == NULL || *incoming->from == '\0'
      || !g_utf8_validate (incoming->from, -1, NULL))
    {
      g_set_error (error, SMSDESK_ERROR, SMSDESK_ERROR_INVALID,
                   "sender: missing or not UTF-8");
      return NULL;
    }
  if (incoming->text == NULL || !g_utf8_validate (incoming->text, -1, NULL))
    {
      g_set_error (error, SMSDESK_ERROR, SMSDESK_ERROR_INVALID,
                   "text: missing or not UTF-8");
      return NULL;
    }
  if (incoming->msg_id != NULL)
    {
      SmsSeen *seen = NULL;
      g_autoptr(GError) local = NULL;

      seen = smsstore_seen_get (desk->sms, incoming->provider, incoming->msg_id, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (seen != NULL)
        return smsdesk_replay (desk, job, seen);
    }

  sender = smsdesk_sender_key (desk, incoming->from);
  answer = g_new0 (SmsAnswer, 1);
  /* The sender's own bucket first, so that one person flooding does not
   * drain the shared one for everybody else. */
  if (!ratelimit_take (desk->per_sender, sender, mono)
      || !ratelimit_take (desk->global, NULL, mono))
    {
      answer->limited = TRUE;
      answer->replies = smsdesk_limited_reply (desk, sender);
      return g_steal_pointer (&answer);
    }

  session = smsdesk_load_session (desk, sender, error);
  if (session == NULL)
    return NULL;
  result = convo_step (desk->engine, session, incoming->from, incoming->text, now);
  answer->replies = smsdesk_reply_texts (result);

  if (result->effects & CONVO_EFFECT_FORGET)
    {
      if (!smsstore_forget (desk->sms, sender, error))
        return NULL;
    }
  if ((result->effects & CONVO_EFFECT_SUBMIT) && result->report != NULL)
    {
      gsize length = 0;
      char *json = report_to_json (result->report, &length);
      g_autoptr(GBytes) plain = g_bytes_new_take (json, length);

      pending = smsdesk_seal (desk, plain);
    }
  reply = smsdesk_seal_replies (desk, answer->replies);
  sealed_session = smsdesk_seal_session (desk, session);
  if (!smsstore_step (desk->sms, sender, sealed_session,
                      convo_session_stopped (session), incoming->provider,
                      incoming->msg_id, reply, pending, now, error))
    return NULL;
  if (pending != NULL)
    {
      job->sender = g_steal_pointer (&sender);
      job->session = g_steal_pointer (&session);
      job->result = g_steal_pointer (&result);
    }
  return g_steal_pointer (&answer);
}

static void
sms_job_free (SmsJob *job)
{
  g_free (job->provider);
  g_free (job->msg_id);
  g_free (job->from);
  g_free (job->text);
  g_free (job->sender);
  g_clear_pointer (&job->session, convo_session_free);
  g_clear_pointer (&job->result, convo_result_free);
  g_clear_pointer (&job->replayed, sms_seen_free);
  g_clear_pointer (&job->answer, sms_answer_free);
  g_clear_error (&job->error);
  g_free (job);
}

/* In the main loop: answers every job of JOBS: with ERROR (nothing of
 * theirs is known to be durable: "try again"), or, their steps being
 * durable, after committing the reports they finished (intake). */
static void
smsdesk_answer (SmsDesk *desk, GPtrArray *jobs, const GError *error)
{
  for (guint i = 0; i < jobs->len; i++)
    {
      SmsJob *job = g_ptr_array_index (jobs, i);

      if (error != NULL)
        {
          g_clear_pointer (&job->answer, sms_answer_free);
          g_clear_error (&job->error);
          job->error = g_error_copy (error);
        }
      else if (job->result != NULL && job->answer != NULL
               && !smsdesk_submit (desk, &job->incoming, job->sender, job->session,
                                   job->result, job->now, job->answer, &job->error))
        g_clear_pointer (&job->answer, sms_answer_free);
      else if (job->replayed != NULL && job->answer != NULL
               && !smsdesk_replay_submit (desk, &job->incoming, job->replayed,
                                          job->now, job->answer, &job->error))
        g_clear_pointer (&job->answer, sms_answer_free);
      job->callback (g_steal_pointer (&job->answer), job->error, job->user_data);
    }
}

static void
sms_batch_free (SmsBatch *batch)
{
  g_ptr_array_unref (batch->jobs);
  g_clear_error (&batch->error);
  g_free (batch);
}

/* In the main loop: answers the committed batches up to UPTO, oldest
 * first.  A batch with reports held the stepper back: once they are
 * settled it may go on. */
static void
smsdesk_answer_upto (SmsDesk *desk, guint64 upto, const GError *error)
{
  SmsBatch *batch;

  for (;;)
    {
      g_mutex_lock (&desk->sync_lock);
      batch = g_queue_peek_head (desk->unsynced);
      if (batch != NULL && batch->seq <= upto)
        g_queue_pop_head (desk->unsynced);
      else
        batch = NULL;
      g_mutex_unlock (&desk->sync_lock);
      if (batch == NULL)
        break;
      smsdesk_answer (desk, batch->jobs, batch->error ? batch->error : error);
      if (batch->reports)
        {
          g_mutex_lock (&desk->step_lock);
          desk->settling--;
          g_cond_signal (&desk->step_wake);
          g_mutex_unlock (&desk->step_lock);
        }
      sms_batch_free (batch);
    }
}

/* What the syncer has posted, in order. */
static void
smsdesk_answer_synced (SmsDesk *desk)
{
  g_autoptr(GArray) results = NULL;

  g_mutex_lock (&desk->sync_lock);
  results = g_steal_pointer (&desk->sync_results);
  desk->sync_results = g_array_new (FALSE, FALSE, sizeof (SmsSyncResult));
  g_mutex_unlock (&desk->sync_lock);
  for (guint i = 0; i < results->len; i++)
    {
      SmsSyncResult *result = &g_array_index (results, SmsSyncResult, i);

      smsdesk_answer_upto (desk, result->upto, result->error);
      g_clear_error (&result->error);
    }
}

static gboolean
smsdesk_synced_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  smsdesk_answer_synced (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs smsdesk_synced_funcs = { NULL, NULL, smsdesk_synced_dispatch,
                                             NULL, NULL, NULL };

/* The syncer: syncs the WAL whenever batches were committed since its
 * last sync, so one fdatasync covers every batch committed meanwhile
 * (they pile up while it waits on the disk), and the stepper goes on
 * stepping and committing the next ones instead of waiting. */
static gpointer
smsdesk_syncer (gpointer user_data)
{
  SmsDesk *desk = user_data;

  g_mutex_lock (&desk->sync_lock);
  for (;;)
    {
      SmsSyncResult result = { 0, NULL };

      while (desk->sync_target == desk->committed && !desk->stopping)
        g_cond_wait (&desk->sync_wake, &desk->sync_lock);
      if (desk->sync_target == desk->committed)
        break;
      result.upto = desk->sync_target = desk->committed;
      g_mutex_unlock (&desk->sync_lock);
      /* Nothing else of the store is touched here: smsstore_sync only
       * syncs the WAL file, whose descriptor does not change. */
      smsstore_sync (desk->sms, &result.error);
      g_mutex_lock (&desk->sync_lock);
      g_array_append_val (desk->sync_results, result);
      g_source_set_ready_time (desk->synced_source, 0);
    }
  g_mutex_unlock (&desk->sync_lock);
  return NULL;
}

/* Steps JOBS in order in one SMS-store transaction (group commit) and
 * hands the batch to the syncer: nobody is answered before that commit
 * is durable.  The batch ends after a message that leaves a report to
 * submit: the main loop settles it in the SMS store after the commit,
 * and the sender's next message must be stepped after that (it would
 * otherwise lose its session, or its reply, to the settling); it ends
 * at SMSDESK_BATCH_MAX jobs too.  Returns the jobs not stepped, or NULL.
 * If nothing could be stored, the batch carries the error, and its jobs
 * are told "try again" in turn. */
static GPtrArray *
smsdesk_step_batch (SmsDesk *desk, GPtrArray *jobs)
{
  SmsBatch *batch = g_new0 (SmsBatch, 1);
  GPtrArray *rest = NULL;
  guint stepped = 0;

  g_mutex_lock (&desk->store_lock);
  if (smsstore_batch_begin (desk->sms, &batch->error))
    {
      while (stepped < jobs->len && stepped < SMSDESK_BATCH_MAX && !batch->reports)
        {
          SmsJob *job = g_ptr_array_index (jobs, stepped++);

          job->answer = smsdesk_step_one (desk, job, &job->error);
          batch->reports = job->result != NULL || job->replayed != NULL;
        }
      smsstore_batch_commit_unsynced (desk->sms, &batch->error);
    }
  g_mutex_unlock (&desk->store_lock);
  if (batch->error != NULL)
    batch->reports = FALSE;
  if (stepped > 0 && stepped < jobs->len)
    {
      rest = g_ptr_array_new_full (jobs->len - stepped, (GDestroyNotify) sms_job_free);
      for (guint i = stepped; i < jobs->len; i++)
        g_ptr_array_add (rest, g_ptr_array_index (jobs, i));
      g_ptr_array_set_free_func (jobs, NULL);
      g_ptr_array_set_size (jobs, stepped);
      g_ptr_array_set_free_func (jobs, (GDestroyNotify) sms_job_free);
    }
  batch->jobs = jobs;

  /* Settling before the stepper is idle again: it does not take the next
   * batch before these reports are answered. */
  if (batch->reports)
    {
      g_mutex_lock (&desk->step_lock);
      desk->settling++;
      g_mutex_unlock (&desk->step_lock);
    }
  g_mutex_lock (&desk->sync_lock);
  batch->seq = ++desk->committed;
  g_queue_push_tail (desk->unsynced, batch);
  g_cond_signal (&desk->sync_wake);
  g_mutex_unlock (&desk->sync_lock);
  return rest;
}

/* The stepper: takes every job queued since its last batch, as the next
 * batch, but never while a batch with reports is still to be answered
 * (the main loop settles them in the SMS store, and a sender's next
 * message must see that). */
static gpointer
smsdesk_stepper (gpointer user_data)
{
  SmsDesk *desk = user_data;

  g_mutex_lock (&desk->step_lock);
  for (;;)
    {
      GPtrArray *jobs, *rest;

      while ((desk->jobs->len == 0 || desk->settling > 0) && !desk->step_stop)
        {
          desk->step_waiting = TRUE;
          g_cond_broadcast (&desk->step_idle);
          g_cond_wait (&desk->step_wake, &desk->step_lock);
          desk->step_waiting = FALSE;
        }
      if (desk->step_stop)
        break;
      jobs = g_steal_pointer (&desk->jobs);
      desk->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) sms_job_free);
      desk->stepping = TRUE;
      g_mutex_unlock (&desk->step_lock);

      rest = smsdesk_step_batch (desk, jobs);

      g_mutex_lock (&desk->step_lock);
      if (rest != NULL)
        {
          /* Ahead of whatever was queued meanwhile. */
          g_ptr_array_extend_and_steal (rest, g_steal_pointer (&desk->jobs));
          desk->jobs = rest;
        }
      desk->stepping = FALSE;
    }
  g_mutex_unlock (&desk->step_lock);
  return NULL;
}

/* In the main loop: the jobs gathered so far join the stepper's queue;
 * only a sleeping stepper needs waking. */
static void
smsdesk_hand_over (SmsDesk *desk)
{
  if (desk->arrived->len == 0)
    return;
  g_mutex_lock (&desk->step_lock);
  g_ptr_array_extend_and_steal (desk->jobs, g_steal_pointer (&desk->arrived));
  if (desk->step_waiting)
    g_cond_signal (&desk->step_wake);
  g_mutex_unlock (&desk->step_lock);
  desk->arrived = g_ptr_array_new_with_free_func ((GDestroyNotify) sms_job_free);
}

typedef struct
{
  GSource  source;
  SmsDesk *desk;
} SmsHandoverSource;

/* Runs before every poll of the main loop, that is at the end of each
 * round: never dispatched, it only hands the round's jobs over. */
static gboolean
smsdesk_handover_prepare (GSource *source, gint *timeout)
{
  smsdesk_hand_over (((SmsHandoverSource *) source)->desk);
  *timeout = -1;
  return FALSE;
}

static GSourceFuncs smsdesk_handover_funcs = { smsdesk_handover_prepare, NULL, NULL,
                                               NULL, NULL, NULL };

static void
smsdesk_threads_start (SmsDesk *desk)
{
  desk->synced_source = g_source_new (&smsdesk_synced_funcs, sizeof (GSource));
  g_source_set_callback (desk->synced_source, NULL, desk, NULL);
  g_source_set_name (desk->synced_source, "smsdesk-synced");
  g_source_attach (desk->synced_source, g_main_context_get_thread_default ());
  desk->syncer = g_thread_new ("smsdesk-sync", smsdesk_syncer, desk);
  desk->stepper = g_thread_new ("smsdesk-step", smsdesk_stepper, desk);
  desk->handover = g_source_new (&smsdesk_handover_funcs, sizeof (SmsHandoverSource));
  ((SmsHandoverSource *) desk->handover)->desk = desk;
  g_source_set_name (desk->handover, "smsdesk-handover");
  /* GLib prepares sources in order of priority and stops at the first
   * that is ready: high, so that no ready source keeps the jobs back. */
  g_source_set_priority (desk->handover, G_PRIORITY_HIGH);
  g_source_attach (desk->handover, g_main_context_get_thread_default ());
}

/* After the last drain: every batch has been answered. */
static void
smsdesk_threads_stop (SmsDesk *desk)
{
  if (desk->stepper != NULL)
    {
      g_mutex_lock (&desk->step_lock);
      desk->step_stop = TRUE;
      g_cond_signal (&desk->step_wake);
      g_mutex_unlock (&desk->step_lock);
      g_thread_join (g_steal_pointer (&desk->stepper));
    }
  if (desk->syncer != NULL)
    {
      g_mutex_lock (&desk->sync_lock);
      desk->stopping = TRUE;
      g_cond_signal (&desk->sync_wake);
      g_mutex_unlock (&desk->sync_lock);
      g_thread_join (g_steal_pointer (&desk->syncer));
    }
  if (desk->synced_source != NULL)
    {
      g_source_destroy (desk->synced_source);
      g_clear_pointer (&desk->synced_source, g_source_unref);
    }
  if (desk->handover != NULL)
    {
      g_source_destroy (desk->handover);
      g_clear_pointer (&desk->handover, g_source_unref);
    }
  if (desk->unsynced != NULL)
    g_queue_free_full (g_steal_pointer (&desk->unsynced), (GDestroyNotify) sms_batch_free);
  if (desk->sync_results != NULL)
    {
      for (guint i = 0; i < desk->sync_results->len; i++)
        g_clear_error (&g_array_index (desk->sync_results, SmsSyncResult, i).error);
      g_clear_pointer (&desk->sync_results, g_array_unref);
    }
  g_mutex_clear (&desk->sync_lock);
  g_cond_clear (&desk->sync_wake);
  g_mutex_clear (&desk->step_lock);
  g_cond_clear (&desk->step_wake);
  g_cond_clear (&desk->step_idle);
  g_mutex_clear (&desk->store_lock);
}

/* In the main loop, at once: waits until the stepper has stepped every
 * queued job it may take, syncs here, and answers every batch committed
 * so far; again while jobs wait behind a batch with reports (answering
 * it settles them and lets the stepper go on). */
static void
smsdesk_drain (SmsDesk *desk)
{
  gboolean more;

  smsdesk_hand_over (desk);
  do
    {
      g_autoptr(GError) sync_error = NULL;
      guint64 upto;

      g_mutex_lock (&desk->step_lock);
      while (desk->stepping || (desk->jobs->len > 0 && desk->settling == 0))
        g_cond_wait (&desk->step_idle, &desk->step_lock);
      more = desk->jobs->len > 0;
      g_mutex_unlock (&desk->step_lock);

      /* What the syncer has finished first, in order; then one sync here
       * covers every batch committed so far. */
      smsdesk_answer_synced (desk);
      g_mutex_lock (&desk->sync_lock);
      upto = desk->committed;
      g_mutex_unlock (&desk->sync_lock);
      smsstore_sync (desk->sms, &sync_error);
      smsdesk_answer_upto (desk, upto, sync_error);
    }
  while (more);
}

void
smsdesk_receive_async (SmsDesk *desk, const SmsIncoming *incoming, gint64 now,
                       SmsDeskDone callback, gpointer user_data)
{
  SmsJob *job;

  g_return_if_fail (desk != NULL && incoming != NULL && callback != NULL);
  g_return_if_fail (incoming->provider != NULL);

  job = g_new0 (SmsJob, 1);
  job->provider = g_strdup (incoming->provider);
  job->msg_id = g_strdup (incoming->msg_id);
  job->from = g_strdup (incoming->from);
  job->text = g_strdup (incoming->text);
  job->incoming.provider = job->provider;
  job->incoming.msg_id = job->msg_id;
  job->incoming.from = job->from;
  job->incoming.text = job->text;
  job->now = now;
  job->callback = callback;
  job->user_data = user_data;
  /* Gathered, so that the stepper's batches (and commits) are not of one
   * or two jobs while the loop is still reading the others. */
  g_ptr_array_add (desk->arrived, job);
  if (desk->arrived->len >= SMSDESK_HANDOVER_JOBS)
    smsdesk_hand_over (desk);
}

typedef struct
{
  SmsAnswer *answer;
  GError    *error;
} SmsSync;

static void
smsdesk_sync_done (SmsAnswer *answer, const GError *error, gpointer user_data)
{
  SmsSync *sync = user_data;

  sync->answer = answer;
  if (error != NULL)
    sync->error = g_error_copy (error);
}

SmsAnswer *
smsdesk_receive (SmsDesk *desk, const SmsIncoming *incoming, gint64 now,
                 GError **error)
{
  SmsSync sync = { NULL, NULL };

  g_return_val_if_fail (desk != NULL && incoming != NULL, NULL);

  smsdesk_receive_async (desk, incoming, now, smsdesk_sync_done, &sync);
  smsdesk_drain (desk);
  if (sync.error != NULL)
    {
      g_propagate_error (error, sync.error);
      g_clear_pointer (&sync.answer, sms_answer_free);
    }
  return sync.answer;
}

/* --- housekeeping and confirmations ------------------------------------ */

typedef struct
{
  SmsSendConfig  config;  /* a copy: the thread may outlive the desk */
  char          *to;
  char          *text;
} SmsSendJob;

static void
sms_send_job_free (SmsSendJob *job)
{
  smssend_config_clear (&job->config);
  if (job->to != NULL)
    sodium_memzero (job->to, strlen (job->to));
  g_free (job->to);
  g_free (job->text);
  g_free (job);
}

static void
smsdesk_send_thread (GTask *task, gpointer source, gpointer task_data,
                     GCancellable *cancellable)
{
  SmsSendJob *job = task_data;
  GError *error = NULL;

  if (smssend_text (&job->config, job->to, job->text, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

typedef struct
{
  SmsDesk      *desk;      /* valid only while GONE is not cancelled */
  GCancellable *gone;
  char         *envelope_id;
} SmsSendDone;

static void
smsdesk_send_done (GObject *source, GAsyncResult *async, gpointer user_data)
{
  SmsSendDone *done = user_data;
  g_autoptr(GError) error = NULL;

  if (g_cancellable_is_cancelled (done->gone))
    {
      /* The desk is gone; the outbox entry stays and is sent next time. */
      g_object_unref (done->gone);
      g_free (done->envelope_id);
      g_free (done);
      return;
    }
  if (g_task_propagate_boolean (G_TASK (async), &error)
      || g_error_matches (error, SMSSEND_ERROR, SMSSEND_ERROR_REFUSED))
    {
      g_autoptr(GError) store_error = NULL;
      gboolean deleted;

      if (error != NULL)
        g_warning ("confirmation for %s refused by the provider: %s",
                   done->envelope_id, error->message);
      else
        g_info ("confirmation for %s sent", done->envelope_id);
      g_mutex_lock (&done->desk->store_lock);
      deleted = smsstore_outbox_delete (done->desk->sms, done->envelope_id, &store_error);
      g_mutex_unlock (&done->desk->store_lock);
      if (!deleted)
        g_warning ("outbox: %s", store_error->message);
    }
  else
    g_message ("confirmation for %s not sent yet: %s", done->envelope_id,
               error->message);
  g_hash_table_remove (done->desk->sending, done->envelope_id);
  g_object_unref (done->gone);
  g_free (done->envelope_id);
  g_free (done);
}

/* Called with STORE_LOCK held. */
static void
smsdesk_confirm (SmsDesk *desk, const SmsOutbox *item, const Delivery *delivery)
{
  g_autoptr(GVariant) value = smsdesk_open_variant (desk, item->data, "(sss)");
  g_autoptr(GTask) task = NULL;
  const char *to, *language, *ref;
  const char *previous;
  g_autofree char *isolated = NULL;
  SmsSendJob *job;
  SmsSendDone *done;

  if (value == NULL)
    {
      g_warning ("outbox entry %s does not decrypt: dropped", item->envelope_id);
      smsstore_outbox_delete (desk->sms, item->envelope_id, NULL);
      return;
    }
  g_variant_get (value, "(&s&s&s)", &to, &language, &ref);
  job = g_new0 (SmsSendJob, 1);
  job->config.provider = g_strdup (desk->send.provider);
  job->config.url = g_strdup (desk->send.url);
  job->config.account = g_strdup (desk->send.account);
  job->config.secret = g_strdup (desk->send.secret);
  job->config.from = g_strdup (desk->send.from);
  job->to = g_strdup (to);
  previous = lang_use (lang_lookup (language) ? language : "en");
  isolated = lang_lookup (language) && lang_lookup (language)->rtl
             ? g_strconcat ("\xe2\x81\xa6", ref, "\xe2\x81\xa9", NULL) : g_strdup (ref);
  /* TRANSLATORS: SMS sent when a report has reached the organisation the
   * person chose, only if they said texts are safe.  %s is the reference
   * code.  Budget: one SMS (70 characters in Urdu, Arabic, Punjabi).
   * Discreet: no word about crime or police. */
  job->text = g_strdup_printf (_("Your message %s has been received. Reply MENU for options."),
                               isolated);
  lang_use (previous);

  done = g_new0 (SmsSendDone, 1);
  done->desk = desk;
  done->gone = g_object_ref (desk->gone);
  done->envelope_id = g_strdup (item->envelope_id);
  g_hash_table_add (desk->sending, g_strdup (item->envelope_id));
  task = g_task_new (NULL, NULL, smsdesk_send_done, done);
  g_task_set_task_data (task, job, (GDestroyNotify) sms_send_job_free);
  g_task_run_in_thread (task, smsdesk_send_thread);
}

/* With STORE_LOCK held. */
static void
smsdesk_tick_locked (SmsDesk *desk, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;

  if (smsstore_sweep (desk->sms, now - desk->idle_timeout,
                      now - desk->dedup_window, &error) < 0)
    {
      g_warning ("SMS sweep: %s", error->message);
      g_clear_error (&error);
    }
  if (desk->send.provider == NULL)
    return;
  items = smsstore_outbox_list (desk->sms, SMSDESK_OUTBOX_BATCH, &error);
  if (items == NULL)
    {
      g_warning ("outbox: %s", error->message);
      return;
    }
  for (guint i = 0; i < items->len; i++)
    {
      const SmsOutbox *item = g_ptr_array_index (items, i);
      g_autoptr(Delivery) delivery = NULL;
      g_autoptr(GError) local = NULL;

      g_autoptr(ConvoSession) session = NULL;

      if (g_hash_table_contains (desk->sending, item->envelope_id))
        continue;
      /* STOP means nothing more, confirmations included. */
      session = smsdesk_load_session (desk, item->sender, NULL);
      if (session != NULL && convo_session_stopped (session))
        {
          smsstore_outbox_delete (desk->sms, item->envelope_id, NULL);
          continue;
        }
      delivery = store_get (desk->store, item->envelope_id, &local);
      if (delivery == NULL)
        {
          /* Purged by an operator: nothing to confirm. */
          if (g_error_matches (local, STORE_ERROR, STORE_ERROR_NOT_FOUND))
            smsstore_outbox_delete (desk->sms, item->envelope_id, NULL);
          continue;
        }
      if (delivery->state == DELIVERY_DELIVERED)
        smsdesk_confirm (desk, item, delivery);
    }
}

void
smsdesk_tick (SmsDesk *desk, gint64 now)
{
  g_return_if_fail (desk != NULL);

  g_mutex_lock (&desk->store_lock);
  smsdesk_tick_locked (desk, now);
  g_mutex_unlock (&desk->store_lock);
}
