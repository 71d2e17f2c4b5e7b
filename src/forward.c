/* forward: the scheduler and the transports that hand deliveries to partners.
 *
 * Owns: one CURLM driven by the caller's thread-default GMainContext, the
 * GSources that stand for curl's sockets and its single timer, the claim
 * loop (due timer, poll timer, kick) and the purge of delivered envelopes.
 * It owns no data: every state change goes through store_*.
 *
 * curl's contract, honoured to the letter (curl's ghiper.c example is not):
 * CURLMOPT_SOCKETFUNCTION adds, changes or removes one GSource per socket;
 * CURLMOPT_TIMERFUNCTION replaces the one timer (-1 deletes it, 0 means "as
 * soon as possible", which we do from a 0 ms source, never recursively);
 * after every curl_multi_socket_action the finished transfers are drained
 * with curl_multi_info_read.
 *
 * Invariants (a crash at any line): a delivery is marked delivered only
 * after the partner's 2xx (or the SMTP server's acceptance) and before that
 * it is active under a lease; a crash between the 2xx and the mark means
 * it is sent again once the lease lapses, with the same Idempotency-Key or
 * Message-ID, so the partner can recognise it (at-least-once).  Outcomes
 * wait in memory for a shared commit at most FORWARD_FLUSH_MS, which only
 * widens that window; no attempt starts with less of its lease left than
 * a transfer may take, so one process never has two attempts of a
 * delivery in flight.
 *
 * Failures: a CURLMcode or a store error never ends the process; it is
 * logged and the affected delivery is left to its lease.  Logs carry
 * delivery and partner ids and outcomes, never bodies. */
#include "config.h"

#include <string.h>
#include <curl/curl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "forward.h"
#include "signature.h"

G_DEFINE_QUARK (saferoute-forward-error-quark, forward_error)

#define FORWARD_USER_AGENT "saferoute/" PACKAGE_VERSION
#define FORWARD_PURGE_INTERVAL_SECONDS 3600
#define FORWARD_RELAY_PATH "/api/v1/envelopes"
/* Claimed work kept ahead of the slots, in rounds of CONCURRENCY: under
 * load the outcomes of about (rounds - 1) rounds share one commit, so the
 * fsync is paid once per that many deliveries.  Only while transfers are
 * quick (FORWARD_QUICK_US); slow partners get one round ahead, as a
 * claimed delivery waiting behind them also waits on its lease. */
#define FORWARD_ROUNDS_AHEAD_QUICK 8
#define FORWARD_ROUNDS_AHEAD_SLOW 2
#define FORWARD_QUICK_US (G_USEC_PER_SEC / 2)
/* The longest an acknowledged outcome waits in memory for a commit it can
 * share (a crash meanwhile sends it again, as between ack and mark). */
#define FORWARD_FLUSH_MS 50

/* ---------------------------------------------------------------- options */

void
forward_options_init (ForwardOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->concurrency = 8;
  options->timeout_seconds = 30;
  options->connect_timeout_seconds = 10;
  options->retry_base_seconds = 30;
  options->retry_factor = 2.0;
  options->retry_cap_seconds = 3600;
  options->max_age_seconds = 7 * 24 * 3600;
  options->retention_seconds = 7 * 24 * 3600;
  options->lease_seconds = options->timeout_seconds + 60;
  options->poll_seconds = 2;
}

void
forward_options_clear (ForwardOptions *options)
{
  if (options == NULL)
    return;
  g_clear_pointer (&options->relay_url, g_free);
  g_clear_pointer (&options->relay_token, g_free);
  g_clear_pointer (&options->ca_file, g_free);
}

static gboolean
options_get_factor (const Conf *conf, const char *group, double *factor,
                    GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *where = NULL;
  char *end = NULL;
  double value;

  if (!conf_has_key (conf, group, "retry_factor"))
    return TRUE;
  text = conf_get_string (conf, group, "retry_factor", "", error);
  if (text == NULL)
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(value >= 1.0 && value <= 10.0))
    {
      where = conf_where (conf, group, "retry_factor");
      g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID,
                   /* TRANSLATORS: %s is "FILE:LINE: [group] key" */
                   _("%s: expected a number from 1 to 10"), where);
      return FALSE;
    }
  *factor = value;
  return TRUE;
}

gboolean
forward_options_from_conf (ForwardOptions *options,
                           const Conf     *conf,
                           const char     *group,
                           GError        **error)
{
  const char *retention = "retention";
  gint64 concurrency = options->concurrency;
  char *text;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (conf != NULL, FALSE);
  g_return_val_if_fail (group != NULL, FALSE);

  if (!conf_get_duration (conf, retention, "retry_base",
                          options->retry_base_seconds,
                          &options->retry_base_seconds, error)
      || !options_get_factor (conf, retention, &options->retry_factor, error)
      || !conf_get_duration (conf, retention, "retry_cap",
                             options->retry_cap_seconds,
                             &options->retry_cap_seconds, error)
      || !conf_get_duration (conf, retention, "max_age",
                             options->max_age_seconds,
                             &options->max_age_seconds, error)
      || !conf_get_duration (conf, retention, "delivered",
                             options->retention_seconds,
                             &options->retention_seconds, error)
      || !conf_get_int (conf, group, "forward_concurrency", concurrency,
                        1, 256, &concurrency, error)
      || !conf_get_duration (conf, group, "forward_timeout",
                             options->timeout_seconds,
                             &options->timeout_seconds, error))
    return FALSE;
  options->concurrency = (guint) concurrency;
  if (options->timeout_seconds < 1)
    options->timeout_seconds = 1;
  if (options->retry_base_seconds < 1)
    options->retry_base_seconds = 1;
  if (options->retry_cap_seconds < options->retry_base_seconds)
    options->retry_cap_seconds = options->retry_base_seconds;
  options->connect_timeout_seconds = MIN (options->connect_timeout_seconds,
                                          options->timeout_seconds);
  options->lease_seconds = options->timeout_seconds + 60;

  if (conf_has_key (conf, group, "relay_url"))
    {
      text = conf_get_string (conf, group, "relay_url", "", error);
      if (text == NULL)
        return FALSE;
      if (!partner_url_allowed (text, NULL))
        {
          g_autofree char *where = conf_where (conf, group, "relay_url");
          g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID,
                       /* TRANSLATORS: %s is "FILE:LINE: [group] key" */
                       _("%s: must be https:// (http:// only to loopback)"),
                       where);
          g_free (text);
          return FALSE;
        }
      g_free (options->relay_url);
      options->relay_url = text;
    }
  if (conf_has_key (conf, group, "relay_token"))
    {
      text = conf_get_string (conf, group, "relay_token", "", error);
      if (text == NULL)
        return FALSE;
      g_free (options->relay_token);
      options->relay_token = text;
    }
  if (options->relay_url != NULL && *options->relay_url != '\0'
      && (options->relay_token == NULL || *options->relay_token == '\0'))
    {
      g_autofree char *where = conf_where (conf, group, "relay_token");
      g_set_error (error, CONF_ERROR, CONF_ERROR_MISSING,
                   /* TRANSLATORS: %s is "FILE: [group] key"; relay_url is a key name */
                   _("%s: required with relay_url"), where);
      return FALSE;
    }
  if (conf_has_key (conf, group, "ca_file"))
    {
      text = conf_get_path (conf, group, "ca_file", "", FALSE, error);
      if (text == NULL)
        return FALSE;
      g_free (options->ca_file);
      options->ca_file = text;
    }
  return TRUE;
}

/* --------------------------------------------------- backoff and classify */

gint64
forward_backoff (const ForwardOptions *options,
                 guint                 attempts,
                 double                random_unit)
{
  double delay, cap;

  g_return_val_if_fail (options != NULL, 0);

  cap = (double) MAX (options->retry_cap_seconds, 1);
  if (attempts < 1)
    attempts = 1;
  /* Multiplied step by step and capped on the way: no overflow, no libm. */
  delay = (double) MAX (options->retry_base_seconds, 1);
  for (guint i = 1; i < attempts && delay < cap; i++)
    delay *= MAX (options->retry_factor, 1.0);
  if (delay > cap)
    delay = cap;
  if (!(random_unit >= 0.0 && random_unit < 1.0))
    random_unit = 0.5;
  /* +-20%: retries of many deliveries that failed together spread out. */
  delay *= 0.8 + 0.4 * random_unit;
  delay = MIN (delay, cap);
  return MAX ((gint64) (delay + 0.5), 1);
}

ForwardOutcome
forward_classify (long http_status,
                  int  curl_code)
{
  /* A transport error after a 2xx status line may mean the partner saw a
   * truncated body: sending again is safe (Idempotency-Key), losing is not. */
  if (curl_code != CURLE_OK)
    return FORWARD_OUTCOME_RETRY;
  if (http_status >= 200 && http_status < 300)
    return FORWARD_OUTCOME_DELIVERED;
  if (http_status >= 400 && http_status < 500
      && http_status != 408 && http_status != 429)
    return FORWARD_OUTCOME_PERMANENT;
  return FORWARD_OUTCOME_RETRY;
}

static ForwardOutcome
classify_smtp (long smtp_code, int curl_code)
{
  if (curl_code == CURLE_OK)
    return FORWARD_OUTCOME_DELIVERED;
  if (smtp_code >= 500 && smtp_code < 600)
    return FORWARD_OUTCOME_PERMANENT;
  return FORWARD_OUTCOME_RETRY;
}

/* A short reason without personal data: curl's own messages name hosts
 * at most, but we keep to fixed phrases so that logs and the ledger stay
 * predictable. */
static char *
describe_curl_error (CURLcode code, const ForwardOptions *options,
                     gboolean connected)
{
  switch (code)
    {
    case CURLE_OPERATION_TIMEDOUT:
      if (!connected)
        return g_strdup_printf ("connect timeout after %" G_GINT64_FORMAT " s",
                                options->connect_timeout_seconds);
      return g_strdup_printf ("timeout after %" G_GINT64_FORMAT " s",
                              options->timeout_seconds);
    case CURLE_PEER_FAILED_VERIFICATION:
      return g_strdup ("TLS: certificate verify failed");
    case CURLE_SSL_CONNECT_ERROR:
      return g_strdup ("TLS: handshake failed");
    case CURLE_SSL_CACERT_BADFILE:
      return g_strdup ("TLS: CA file unreadable");
    case CURLE_USE_SSL_FAILED:
      return g_strdup ("TLS: server does not offer STARTTLS");
    case CURLE_COULDNT_CONNECT:
      return g_strdup ("connection refused or unreachable");
    case CURLE_COULDNT_RESOLVE_HOST:
      return g_strdup ("cannot resolve host");
    case CURLE_LOGIN_DENIED:
      return g_strdup ("login denied");
    case CURLE_UNSUPPORTED_PROTOCOL:
      return g_strdup ("protocol not allowed");
    default:
      return g_strdup_printf ("curl: %s", curl_easy_strerror (code));
    }
}

/* ------------------------------------------------------------- transfers */

typedef struct
{
  Forwarder         *forwarder;
  CURL              *easy;
  Delivery          *delivery;
  gboolean           smtp;
  struct curl_slist *headers;
  struct curl_slist *recipients;
  curl_mime         *mime;
  char              *retry_after;
  char               errbuf[CURL_ERROR_SIZE];
  /* Once finished, until the next claim records it: */
  ForwardOutcome     outcome;
  char              *error_text;
  long               status;
} Transfer;

struct _Forwarder
{
  Store                  *store;
  const PartnerDirectory *partners;
  ForwardOptions          options;
  GMainContext           *context;
  CURLM                  *multi;
  GHashTable             *sockets;    /* fd -> GSource* */
  GHashTable             *transfers;  /* Transfer* set */
  GPtrArray              *idle_easy;  /* CURL* kept for reuse */
  GPtrArray              *finished;   /* Transfer*, outcome not yet recorded */
  GQueue                  ready;      /* Delivery*, claimed, not yet started */
  GSource                *curl_timer;
  GSource                *claim_idle;
  GSource                *due_timer;
  GSource                *poll_timer;
  GSource                *purge_timer;
  GSource                *flush_timer;
  gint64                  finished_since; /* monotonic us of the oldest unrecorded outcome */
  gint64                  last_total_us;  /* how long the last finished transfer took */
  gboolean                started;
  ForwardStats            stats;
};

static void forward_schedule_claim (Forwarder *forwarder);

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
source_clear (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
socket_source_free (gpointer data)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
}

/* Attaches SOURCE to the caller's context, calling FUNC with the forwarder;
 * the caller keeps its reference. */
static GSource *
forward_attach (Forwarder *forwarder, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, forwarder, NULL);
  g_source_attach (source, forwarder->context);
  return source;
}

static void
transfer_free (Transfer *transfer)
{
  g_clear_pointer (&transfer->delivery, delivery_free);
  g_clear_pointer (&transfer->headers, curl_slist_free_all);
  g_clear_pointer (&transfer->recipients, curl_slist_free_all);
  g_clear_pointer (&transfer->mime, curl_mime_free);
  g_free (transfer->retry_after);
  g_free (transfer->error_text);
  g_free (transfer);
}

/* TRANSFER is no longer in flight (its easy handle already dealt with). */
static void
transfer_forget (Transfer *transfer)
{
  Forwarder *forwarder = transfer->forwarder;

  g_hash_table_remove (forwarder->transfers, transfer);
  forwarder->stats.in_flight = g_hash_table_size (forwarder->transfers);
  transfer_free (transfer);
}

/* Detaches TRANSFER from curl; its easy handle goes back to the pool, so
 * the next transfer to the same partner finds the connection warm. */
static void
transfer_release_easy (Transfer *transfer)
{
  Forwarder *forwarder = transfer->forwarder;
  CURLMcode mc;

  mc = curl_multi_remove_handle (forwarder->multi, transfer->easy);
  if (mc != CURLM_OK)
    g_warning ("forward: curl_multi_remove_handle: %s",
               curl_multi_strerror (mc));
  curl_easy_reset (transfer->easy);
  if (mc == CURLM_OK && forwarder->idle_easy->len < forwarder->options.concurrency)
    g_ptr_array_add (forwarder->idle_easy, transfer->easy);
  else
    curl_easy_cleanup (transfer->easy);
  transfer->easy = NULL;
}

static gint64
retry_after_seconds (const char *value, gint64 now)
{
  gint64 seconds;
  time_t when;

  if (value == NULL || *value == '\0')
    return -1;
  if (g_ascii_string_to_signed (value, 10, 0, G_MAXINT32, &seconds, NULL))
    return seconds;
  when = curl_getdate (value, NULL);
  if (when == (time_t) -1)
    return -1;
  return MAX ((gint64) when - now, 0);
}

/* Writes TRANSFER's outcome to the store.  The counter it moves is added
 * to COUNTERS, to be bumped once the batch commits, or at once if NULL. */
static void
transfer_record (Transfer *transfer, ForwardOutcome outcome, const char *error_text,
                 long status, GPtrArray *counters)
{
  Forwarder *forwarder = transfer->forwarder;
  const ForwardOptions *options = &forwarder->options;
  Delivery *delivery = transfer->delivery;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  gint64 now = now_seconds ();
  gint64 delay, next;
  guint64 *counter;
  gboolean ok;

  switch (outcome)
    {
    case FORWARD_OUTCOME_DELIVERED:
      ok = store_mark_delivered (forwarder->store, delivery->id, now, &error);
      counter = &forwarder->stats.delivered;
      g_message ("delivery %s to %s: delivered", delivery->id, delivery->partner);
      break;
    case FORWARD_OUTCOME_PERMANENT:
      ok = store_mark_held (forwarder->store, delivery->id, now, error_text, &error);
      counter = &forwarder->stats.held;
      g_message ("delivery %s to %s: held (%s)", delivery->id,
                 delivery->partner, error_text);
      break;
    case FORWARD_OUTCOME_RETRY:
    default:
      if (now - delivery->created_at >= options->max_age_seconds)
        {
          reason = g_strdup_printf ("expired after %u attempts: %s",
                                    delivery->attempts, error_text);
          ok = store_mark_held (forwarder->store, delivery->id, now, reason, &error);
          counter = &forwarder->stats.held;
          g_message ("delivery %s to %s: held (%s)", delivery->id,
                     delivery->partner, reason);
          break;
        }
      delay = -1;
      if (status == 429 || status == 503)
        {
          delay = retry_after_seconds (transfer->retry_after, now);
          if (delay >= 0)
            delay = MIN (delay, options->retry_cap_seconds);
        }
      if (delay < 0)
        delay = forward_backoff (options, MAX (delivery->attempts, 1u),
                                 g_random_double ());
      next = now + delay;
      ok = store_mark_deferred (forwarder->store, delivery->id, now, next,
                                error_text, &error);
      counter = &forwarder->stats.deferred;
      g_message ("delivery %s to %s: deferred %" G_GINT64_FORMAT " s (%s)",
                 delivery->id, delivery->partner, delay, error_text);
      break;
    }
  if (ok)
    {
      if (counters != NULL)
        g_ptr_array_add (counters, counter);
      else
        (*counter)++;
      return;
    }
  /* An operator may hold or purge a delivery while it is in flight: their
   * decision stands, and that is no fault of ours. */
  if (g_error_matches (error, STORE_ERROR, STORE_ERROR_STATE)
      || g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_FOUND))
    g_message ("delivery %s: changed meanwhile, outcome not recorded: %s",
               delivery->id, error->message);
  else
    g_warning ("delivery %s: cannot record the outcome (its lease will "
               "expire and it will be retried): %s",
               delivery->id, error->message);
}

static void
transfer_done (Transfer *transfer, CURLcode code)
{
  long status = 0;
  curl_off_t connect_time = 0;
  g_autofree char *error_text = NULL;
  ForwardOutcome outcome;

  curl_easy_getinfo (transfer->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo (transfer->easy, CURLINFO_CONNECT_TIME_T, &connect_time);
  if (transfer->smtp)
    outcome = classify_smtp (status, code);
  else
    outcome = forward_classify (status, code);

  if (code != CURLE_OK && transfer->errbuf[0] != '\0')
    g_debug ("delivery %s: curl: %s", transfer->delivery->id, transfer->errbuf);
  /* An SMTP refusal says more by its code than by curl's phrase. */
  if (code != CURLE_OK && !(transfer->smtp && status >= 400))
    error_text = describe_curl_error (code, &transfer->forwarder->options,
                                      connect_time > 0);
  else if (transfer->smtp)
    error_text = g_strdup_printf ("SMTP %ld", status);
  else
    error_text = g_strdup_printf ("HTTP %ld", status);

  /* The slot is free now; the outcome is written with the next claim, in
   * one transaction with every other outcome of this burst (one fsync,
   * not two per delivery).  A crash before that commit sends it again,
   * as a crash between the 2xx and the mark always could. */
  transfer->outcome = outcome;
  transfer->error_text = g_steal_pointer (&error_text);
  transfer->status = status;
  {
    curl_off_t total_us = 0;

    curl_easy_getinfo (transfer->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    transfer->forwarder->last_total_us = (gint64) total_us;
  }
  if (transfer->forwarder->finished->len == 0)
    transfer->forwarder->finished_since = g_get_monotonic_time ();
  transfer_release_easy (transfer);
  g_hash_table_remove (transfer->forwarder->transfers, transfer);
  transfer->forwarder->stats.in_flight = g_hash_table_size (transfer->forwarder->transfers);
  g_ptr_array_add (transfer->forwarder->finished, transfer);
}

static void
forward_drain (Forwarder *forwarder)
{
  CURLMsg *message;
  int pending;

  while ((message = curl_multi_info_read (forwarder->multi, &pending)) != NULL)
    {
      Transfer *transfer = NULL;

      if (message->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE, (char **) &transfer);
      if (transfer == NULL)
        continue;
      /* MESSAGE belongs to curl and dies with the handle: copy first. */
      transfer_done (transfer, message->data.result);
    }
  /* Slots freed: look for more work from the loop, not from here. */
  if (forwarder->started
      && g_hash_table_size (forwarder->transfers) < forwarder->options.concurrency)
    forward_schedule_claim (forwarder);
}

static void
forward_socket_action (Forwarder *forwarder, curl_socket_t fd, int mask)
{
  int running = 0;
  CURLMcode mc;

  mc = curl_multi_socket_action (forwarder->multi, fd, mask, &running);
  if (mc != CURLM_OK)
    g_warning ("forward: curl_multi_socket_action: %s", curl_multi_strerror (mc));
  forward_drain (forwarder);
}

static gboolean
on_socket_ready (gint fd, GIOCondition condition, gpointer user_data)
{
  Forwarder *forwarder = user_data;
  int mask = 0;

  if (condition & G_IO_IN)
    mask |= CURL_CSELECT_IN;
  if (condition & G_IO_OUT)
    mask |= CURL_CSELECT_OUT;
  if (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
    mask |= CURL_CSELECT_ERR;
  /* The socket callback may destroy this very source while we are in it;
   * GLib keeps it alive until we return and we touch nothing of it after. */
  forward_socket_action (forwarder, fd, mask);
  return G_SOURCE_CONTINUE;
}

static int
on_curl_socket (CURL *easy, curl_socket_t fd, int what, void *user_data,
                void *socket_data)
{
  Forwarder *forwarder = user_data;
  GIOCondition condition = G_IO_ERR | G_IO_HUP;
  GSource *source;

  if (what == CURL_POLL_REMOVE)
    {
      g_hash_table_remove (forwarder->sockets, GINT_TO_POINTER (fd));
      return 0;
    }
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    condition |= G_IO_IN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    condition |= G_IO_OUT;

  /* Replacing removes the old watch (the table's value destructor). */
  source = forward_attach (forwarder, g_unix_fd_source_new (fd, condition),
                           (GSourceFunc) on_socket_ready);
  g_hash_table_replace (forwarder->sockets, GINT_TO_POINTER (fd), source);
  return 0;
}

static gboolean
on_curl_timer (gpointer user_data)
{
  Forwarder *forwarder = user_data;

  /* Forget the timer before curl may set a new one from inside. */
  g_clear_pointer (&forwarder->curl_timer, g_source_unref);
  forward_socket_action (forwarder, CURL_SOCKET_TIMEOUT, 0);
  return G_SOURCE_REMOVE;
}

static int
on_curl_timer_set (CURLM *multi, long timeout_ms, void *user_data)
{
  Forwarder *forwarder = user_data;

  /* A new timeout replaces the old one; -1 only deletes it. */
  source_clear (&forwarder->curl_timer);
  if (timeout_ms < 0)
    return 0;
  /* 0 ms: from the loop's next iteration, never from inside this call. */
  forwarder->curl_timer =
    forward_attach (forwarder, g_timeout_source_new ((guint) MIN (timeout_ms, G_MAXUINT)),
                    on_curl_timer);
  return 0;
}

static size_t
on_body (char *data, size_t size, size_t count, void *user_data)
{
  /* The partner's reply body is not needed: the status says it all. */
  return size * count;
}

static size_t
on_header (char *data, size_t size, size_t count, void *user_data)
{
  Transfer *transfer = user_data;
  size_t length = size * count;
  static const char name[] = "retry-after:";

  if (length >= 5 && g_ascii_strncasecmp (data, "HTTP/", 5) == 0)
    g_clear_pointer (&transfer->retry_after, g_free);
  else if (length > sizeof name - 1 && length < 256
           && g_ascii_strncasecmp (data, name, sizeof name - 1) == 0)
    {
      g_free (transfer->retry_after);
      transfer->retry_after = g_strstrip (g_strndup (data + sizeof name - 1,
                                                     length - (sizeof name - 1)));
    }
  return length;
}

/* Options every transfer and every check share: verification always on,
 * only the one protocol this URL needs, no redirects, no signals. */
static void
easy_setup_common (CURL *easy, const ForwardOptions *options,
                   const char *url, const char *protocol, char *errbuf)
{
  curl_easy_setopt (easy, CURLOPT_URL, url);
  curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, protocol);
  curl_easy_setopt (easy, CURLOPT_REDIR_PROTOCOLS_STR, protocol);
  curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_TIMEOUT, (long) options->timeout_seconds);
  curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT,
                    (long) options->connect_timeout_seconds);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (options->ca_file != NULL && *options->ca_file != '\0')
    curl_easy_setopt (easy, CURLOPT_CAINFO, options->ca_file);
  curl_easy_setopt (easy, CURLOPT_USERAGENT, FORWARD_USER_AGENT);
  curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, on_body);
  if (errbuf != NULL)
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, errbuf);
}

/* The scheme curl may use for URL, after the loopback rule. */
static const char *
url_protocol (const char *url, gboolean smtp, gboolean *loopback, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme, *host;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  /* The directory refused such partners at load; this guards the relay
   * URL and any path we did not think of (promise 1). */
  if (host == NULL || partner_address_forbidden (host))
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                   "destination host not allowed");
      return NULL;
    }
  *loopback = host != NULL && partner_host_is_loopback (host);
  if (!smtp)
    {
      if (!partner_url_allowed (url, error))
        return NULL;
      return g_ascii_strcasecmp (scheme, "https") == 0 ? "https" : "http";
    }
  if (g_ascii_strcasecmp (scheme, "smtps") == 0)
    return "smtps";
  if (g_ascii_strcasecmp (scheme, "smtp") == 0)
    return "smtp";
  g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
               "smtp_url must be smtp:// or smtps://");
  return NULL;
}

static void
add_header (struct curl_slist **list, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_header (struct curl_slist **list, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  *list = curl_slist_append (*list, line);
}

static gboolean
transfer_setup_http (Transfer *transfer, const char *url, const Partner *partner,
                     gboolean relay, GError **error)
{
  const ForwardOptions *options = &transfer->forwarder->options;
  const Delivery *delivery = transfer->delivery;
  CURL *easy = transfer->easy;
  const char *protocol;
  gboolean loopback;
  gsize length = strlen (delivery->envelope_json);

  protocol = url_protocol (url, FALSE, &loopback, error);
  if (protocol == NULL)
    return FALSE;
  easy_setup_common (easy, options, url, protocol, transfer->errbuf);
  curl_easy_setopt (easy, CURLOPT_POST, 1L);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDS, delivery->envelope_json);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) length);
  curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (easy, CURLOPT_HEADERDATA, transfer);

  add_header (&transfer->headers, "Content-Type: application/json");
  add_header (&transfer->headers, "Idempotency-Key: %s", delivery->id);
  /* No 100-continue round trip for a body this small. */
  add_header (&transfer->headers, "Expect:");
  if (relay)
    add_header (&transfer->headers, "Authorization: Bearer %s",
                options->relay_token);
  else if (partner->hmac_secret != NULL && *partner->hmac_secret != '\0')
    {
      g_autofree char *signature =
        signature_header_new (partner->hmac_secret, now_seconds (),
                              delivery->envelope_json, length);
      add_header (&transfer->headers, "Saferoute-Signature: %s", signature);
    }
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, transfer->headers);
  return TRUE;
}

/* RFC 5322 date, in English whatever the locale. */
static char *
mail_date (gint64 unix_time)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (unix_time);

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t),
                          months[g_date_time_get_month (t) - 1],
                          g_date_time_get_year (t),
                          g_date_time_get_hour (t),
                          g_date_time_get_minute (t),
                          g_date_time_get_second (t));
}

static gboolean
transfer_setup_email (Transfer *transfer, const Partner *partner, GError **error)
{
  const ForwardOptions *options = &transfer->forwarder->options;
  const Delivery *delivery = transfer->delivery;
  CURL *easy = transfer->easy;
  const char *protocol, *at;
  gboolean loopback;
  curl_mimepart *part;
  g_autofree char *date = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sender = NULL;

  if (partner->smtp_url == NULL || partner->email_to == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                   "partner has no smtp_url or email_to");
      return FALSE;
    }
  /* email_from is optional in the directory: a sender on this host. */
  if (partner->email_from != NULL && *partner->email_from != '\0')
    sender = g_strdup (partner->email_from);
  else
    sender = g_strconcat ("saferoute@", g_get_host_name (), NULL);
  protocol = url_protocol (partner->smtp_url, TRUE, &loopback, error);
  if (protocol == NULL)
    return FALSE;
  transfer->smtp = TRUE;
  easy_setup_common (easy, options, partner->smtp_url, protocol, transfer->errbuf);
  /* STARTTLS or nothing, except on loopback (a local relay or a test). */
  curl_easy_setopt (easy, CURLOPT_USE_SSL,
                    loopback ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_ALL);
  if (partner->smtp_user != NULL && *partner->smtp_user != '\0')
    {
      curl_easy_setopt (easy, CURLOPT_USERNAME, partner->smtp_user);
      curl_easy_setopt (easy, CURLOPT_PASSWORD,
                        partner->smtp_password ? partner->smtp_password : "");
    }
  {
    g_autofree char *from = g_strdup_printf ("<%s>", sender);
    g_autofree char *to = g_strdup_printf ("<%s>", partner->email_to);

    curl_easy_setopt (easy, CURLOPT_MAIL_FROM, from);
    transfer->recipients = curl_slist_append (NULL, to);
    curl_easy_setopt (easy, CURLOPT_MAIL_RCPT, transfer->recipients);
  }

  /* Neutral headers: nothing about the person, the ref or the category. */
  at = strrchr (sender, '@');
  date = mail_date (now_seconds ());
  add_header (&transfer->headers, "Date: %s", date);
  add_header (&transfer->headers, "From: <%s>", sender);
  add_header (&transfer->headers, "To: <%s>", partner->email_to);
  add_header (&transfer->headers, "Subject: saferoute delivery %s", delivery->id);
  /* The same id on every attempt: a retried mail is seen as the same. */
  add_header (&transfer->headers, "Message-ID: <saferoute.%s@%s>", delivery->id,
              at != NULL && at[1] != '\0' ? at + 1 : "saferoute.invalid");
  add_header (&transfer->headers, "Idempotency-Key: %s", delivery->id);
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, transfer->headers);

  filename = g_strdup_printf ("envelope-%s.json", delivery->id);
  text = g_strdup_printf ("A saferoute envelope is attached (%s).\r\n"
                          "%s Open it with:\r\n"
                          "\r\n"
                          "    saferoute-inbox import %s\r\n",
                          filename,
                          partner->plain
                          ? "It is not sealed (plain delivery): keep it safe."
                          : "It is sealed to your organisation's key.",
                          filename);
  transfer->mime = curl_mime_init (easy);
  part = curl_mime_addpart (transfer->mime);
  curl_mime_data (part, text, CURL_ZERO_TERMINATED);
  curl_mime_type (part, "text/plain; charset=utf-8");
  part = curl_mime_addpart (transfer->mime);
  curl_mime_data (part, delivery->envelope_json, CURL_ZERO_TERMINATED);
  curl_mime_type (part, "application/json");
  curl_mime_filename (part, filename);
  curl_mime_encoder (part, "base64");
  curl_easy_setopt (easy, CURLOPT_MIMEPOST, transfer->mime);
  return TRUE;
}

static gboolean
transfer_setup (Transfer *transfer, GError **error)
{
  Forwarder *forwarder = transfer->forwarder;
  const Delivery *delivery = transfer->delivery;
  const Partner *partner;
  g_autofree char *relay = NULL;

  if (delivery->envelope_json == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                   "envelope missing");
      return FALSE;
    }
  if (delivery->method == DELIVERY_METHOD_RELAY)
    {
      if (forwarder->options.relay_url == NULL
          || *forwarder->options.relay_url == '\0')
        {
          g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                       "relay_url not configured");
          return FALSE;
        }
      relay = g_strconcat (forwarder->options.relay_url,
                           g_str_has_suffix (forwarder->options.relay_url, "/")
                           ? FORWARD_RELAY_PATH + 1 : FORWARD_RELAY_PATH, NULL);
      return transfer_setup_http (transfer, relay, NULL, TRUE, error);
    }

  partner = partner_directory_lookup (forwarder->partners, delivery->partner);
  if (partner == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG, "unknown partner");
      return FALSE;
    }
  if (delivery->method == DELIVERY_METHOD_EMAIL)
    return transfer_setup_email (transfer, partner, error);
  if (delivery->method == DELIVERY_METHOD_WEBHOOK)
    {
      if (partner->url == NULL)
        {
          g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                       "partner has no webhook url");
          return FALSE;
        }
      return transfer_setup_http (transfer, partner->url, partner, FALSE, error);
    }
  g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
               "method %s is not pushed", delivery_method_to_string (delivery->method));
  return FALSE;
}

/* Takes DELIVERY.  A delivery that cannot even start (unknown partner, a
 * URL the rules forbid) is a configuration problem: it is held for a human
 * rather than retried forever. */
static void
forward_start_transfer (Forwarder *forwarder, Delivery *delivery)
{
  Transfer *transfer = g_new0 (Transfer, 1);
  g_autoptr(GError) error = NULL;
  CURLMcode mc;

  transfer->forwarder = forwarder;
  transfer->delivery = delivery;
  if (forwarder->idle_easy->len > 0)
    transfer->easy = g_ptr_array_steal_index_fast (forwarder->idle_easy,
                                                   forwarder->idle_easy->len - 1);
  else
    transfer->easy = curl_easy_init ();
  g_hash_table_add (forwarder->transfers, transfer);
  forwarder->stats.in_flight = g_hash_table_size (forwarder->transfers);
  forwarder->stats.attempts++;

  if (transfer->easy == NULL)
    {
      /* Out of memory in curl: let the lease bring it back. */
      g_warning ("delivery %s: curl_easy_init failed", delivery->id);
      transfer_forget (transfer);
      return;
    }
  if (!transfer_setup (transfer, &error))
    {
      g_autofree char *reason = g_strdup_printf ("cannot send: %s", error->message);

      transfer_record (transfer, FORWARD_OUTCOME_PERMANENT, reason, 0, NULL);
      curl_easy_reset (transfer->easy);
      g_ptr_array_add (forwarder->idle_easy, transfer->easy);
      transfer->easy = NULL;
      transfer_forget (transfer);
      return;
    }
  curl_easy_setopt (transfer->easy, CURLOPT_PRIVATE, transfer);
  g_info ("delivery %s to %s: attempt %u (%s)", delivery->id, delivery->partner,
          delivery->attempts, delivery_method_to_string (delivery->method));
  mc = curl_multi_add_handle (forwarder->multi, transfer->easy);
  if (mc != CURLM_OK)
    {
      g_warning ("delivery %s: curl_multi_add_handle: %s", delivery->id,
                 curl_multi_strerror (mc));
      curl_easy_cleanup (transfer->easy);
      transfer->easy = NULL;
      transfer_forget (transfer);
    }
}

/* ------------------------------------------------------------ scheduling */

static gboolean on_due (gpointer user_data);

static void
forward_set_due_timer (Forwarder *forwarder, gint64 next_due, gboolean just_claimed)
{
  gint64 delay_ms;

  source_clear (&forwarder->due_timer);
  if (next_due < 0)
    return;
  delay_ms = (next_due * G_USEC_PER_SEC - g_get_real_time ()) / 1000;
  /* Still due right after a claim with free slots: someone else holds it
   * (another process, a lock); do not spin, the poll will see it too. */
  if (just_claimed && delay_ms < 1000)
    delay_ms = 1000;
  delay_ms = CLAMP (delay_ms, 0, (gint64) forwarder->options.poll_seconds * 1000 + 1000);
  forwarder->due_timer = forward_attach (forwarder,
                                        g_timeout_source_new ((guint) delay_ms),
                                        on_due);
}

/* Records the outcomes of the transfers that finished since the last
 * call (their counters go to COUNTERS, see transfer_record). */
static void
forward_record_finished (Forwarder *forwarder, GPtrArray *counters)
{
  for (guint i = 0; i < forwarder->finished->len; i++)
    {
      Transfer *transfer = g_ptr_array_index (forwarder->finished, i);

      transfer_record (transfer, transfer->outcome, transfer->error_text,
                       transfer->status, counters);
      transfer_free (transfer);
    }
  g_ptr_array_set_size (forwarder->finished, 0);
}

/* Starts claimed deliveries in the free slots; TRUE if it started any.
 * One that waited behind slow transfers until its lease could lapse
 * mid-flight is not started: the lease brings it back (to us or to whoever
 * holds the store), rather than two attempts running at once. */
static gboolean
forward_start_ready (Forwarder *forwarder)
{
  const ForwardOptions *options = &forwarder->options;
  gint64 needed = MIN (options->timeout_seconds, options->lease_seconds / 2);
  gboolean started = FALSE;

  while (g_hash_table_size (forwarder->transfers) < options->concurrency
         && !g_queue_is_empty (&forwarder->ready))
    {
      Delivery *delivery = g_queue_pop_head (&forwarder->ready);

      if (delivery->lease_until - now_seconds () < needed)
        {
          g_info ("delivery %s: lease too short to start, left to lapse",
                  delivery->id);
          delivery_free (delivery);
          continue;
        }
      /* Ownership of the Delivery moves to its transfer. */
      forward_start_transfer (forwarder, delivery);
      started = TRUE;
    }
  return started;
}

static void forward_claim (Forwarder *forwarder);

/* For a one-shot source held in *SOURCE: forget it, then claim. */
static gboolean
forward_claim_from (Forwarder *forwarder, GSource **source)
{
  g_clear_pointer (source, g_source_unref);
  forward_claim (forwarder);
  return G_SOURCE_REMOVE;
}

static gboolean
on_flush (gpointer user_data)
{
  Forwarder *forwarder = user_data;

  return forward_claim_from (forwarder, &forwarder->flush_timer);
}

/* TRUE if the store can wait: the claimed deliveries still fill every
 * slot for another round, and the oldest unrecorded outcome is younger
 * than FORWARD_FLUSH_MS (a timer then comes back for it). */
static gboolean
forward_store_can_wait (Forwarder *forwarder)
{
  gint64 age_ms;

  if (forwarder->ready.length < forwarder->options.concurrency)
    return FALSE;
  if (forwarder->finished->len == 0)
    return TRUE;
  age_ms = (g_get_monotonic_time () - forwarder->finished_since) / 1000;
  if (age_ms >= FORWARD_FLUSH_MS)
    return FALSE;
  if (forwarder->flush_timer == NULL)
    forwarder->flush_timer =
      forward_attach (forwarder,
                      g_timeout_source_new ((guint) (FORWARD_FLUSH_MS - age_ms)),
                      on_flush);
  return TRUE;
}

/* One transaction, so one fsync, for the outcomes of every transfer that
 * finished since the last claim and for the claim that refills the slots:
 * under load the outcomes of a whole burst share it (group commit).
 *
 * The claim runs ahead: claimed deliveries wait in READY, so a freed slot
 * is refilled, and its request on the wire, before we wait for the disk
 * rather than after; and while READY still holds a whole round, the store
 * is not touched at all, so that the outcomes of several rounds share one
 * commit.  Claimed deliveries start only after their claim has committed;
 * outcomes are recorded only after the partner's answer, so batching them
 * only delays the bookkeeping (a crash before the commit sends them again,
 * with the same Idempotency-Key). */
static void
forward_claim (Forwarder *forwarder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) claimed = NULL;
  g_autoptr(GPtrArray) counters = g_ptr_array_new ();
  guint want, depth;
  gboolean batch;
  guint i;
  gint64 next;

  if (!forwarder->started)
    return;
  if (forward_start_ready (forwarder))
    forward_socket_action (forwarder, CURL_SOCKET_TIMEOUT, 0);
  depth = forwarder->options.concurrency
    * (forwarder->last_total_us < FORWARD_QUICK_US
       ? FORWARD_ROUNDS_AHEAD_QUICK : FORWARD_ROUNDS_AHEAD_SLOW);
  want = depth - MIN (g_hash_table_size (forwarder->transfers)
                      + forwarder->ready.length, depth);
  if ((want == 0 && forwarder->finished->len == 0)
      || forward_store_can_wait (forwarder))
    {
      /* Full: a finishing transfer calls us again; no due timer needed. */
      source_clear (&forwarder->due_timer);
      return;
    }
  source_clear (&forwarder->flush_timer);
  batch = store_batch_begin (forwarder->store, &error);
  if (!batch)
    {
      /* Each write then commits on its own, as it would alone. */
      g_warning ("forward: cannot begin a transaction: %s", error->message);
      g_clear_error (&error);
    }
  forward_record_finished (forwarder, counters);
  if (want > 0)
    {
      claimed = store_claim_due (forwarder->store, now_seconds (), want,
                                 forwarder->options.lease_seconds, &error);
      if (claimed == NULL)
        {
          g_warning ("forward: cannot claim deliveries: %s", error->message);
          g_clear_error (&error);
        }
    }
  if (batch && !store_batch_commit (forwarder->store, &error))
    {
      /* Nothing of it happened: the finished deliveries are still active
       * and their leases will bring them back; the claimed ones too. */
      g_warning ("forward: cannot record outcomes and claim: %s", error->message);
      return;
    }
  for (i = 0; i < counters->len; i++)
    (*(guint64 *) g_ptr_array_index (counters, i))++;
  for (i = 0; claimed != NULL && i < claimed->len; i++)
    {
      g_queue_push_tail (&forwarder->ready, claimed->pdata[i]);
      claimed->pdata[i] = NULL;
    }
  forward_start_ready (forwarder);
  if (claimed == NULL && want > 0)
    return;
  /* Full: a finishing transfer calls us again; no due timer needed. */
  if (g_hash_table_size (forwarder->transfers) >= forwarder->options.concurrency)
    {
      source_clear (&forwarder->due_timer);
      return;
    }
  next = store_next_due (forwarder->store, &error);
  if (error != NULL)
    {
      g_warning ("forward: cannot read the next due time: %s", error->message);
      return;
    }
  forward_set_due_timer (forwarder, next, TRUE);
}

static gboolean
on_claim_idle (gpointer user_data)
{
  Forwarder *forwarder = user_data;

  return forward_claim_from (forwarder, &forwarder->claim_idle);
}

static void
forward_schedule_claim (Forwarder *forwarder)
{
  if (forwarder->claim_idle != NULL)
    return;
  forwarder->claim_idle = forward_attach (forwarder, g_idle_source_new (),
                                         on_claim_idle);
}

static gboolean
on_due (gpointer user_data)
{
  Forwarder *forwarder = user_data;

  return forward_claim_from (forwarder, &forwarder->due_timer);
}

static gboolean
on_poll (gpointer user_data)
{
  forward_claim (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_purge (gpointer user_data)
{
  Forwarder *forwarder = user_data;
  g_autoptr(GError) error = NULL;
  gint64 purged;

  purged = store_purge_delivered (forwarder->store, now_seconds (),
                                  forwarder->options.retention_seconds, &error);
  if (purged < 0)
    g_warning ("forward: cannot purge delivered envelopes: %s", error->message);
  else if (purged > 0)
    g_message ("purged %" G_GINT64_FORMAT " delivered envelopes", purged);
  return G_SOURCE_CONTINUE;
}

static gpointer
curl_init_once (gpointer data)
{
  return GINT_TO_POINTER (curl_global_init (CURL_GLOBAL_DEFAULT));
}

Forwarder *
forward_new (Store                  *store,
             const PartnerDirectory *partners,
             const ForwardOptions   *options,
             GError                **error)
{
  static GOnce once = G_ONCE_INIT;
  Forwarder *forwarder;
  CURLcode code;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (partners != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  if (options->concurrency < 1 || options->timeout_seconds < 1
      || options->poll_seconds < 1)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                   "concurrency, timeout and poll interval must be at least 1");
      return NULL;
    }
  code = GPOINTER_TO_INT (g_once (&once, curl_init_once, NULL));
  if (code != CURLE_OK)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CURL,
                   "curl_global_init: %s", curl_easy_strerror (code));
      return NULL;
    }

  forwarder = g_new0 (Forwarder, 1);
  forwarder->store = store;
  forwarder->partners = partners;
  forwarder->options = *options;
  forwarder->options.relay_url = g_strdup (options->relay_url);
  forwarder->options.relay_token = g_strdup (options->relay_token);
  forwarder->options.ca_file = g_strdup (options->ca_file);
  forwarder->context = g_main_context_ref_thread_default ();
  forwarder->sockets = g_hash_table_new_full (NULL, NULL, NULL, socket_source_free);
  forwarder->transfers = g_hash_table_new (NULL, NULL);
  forwarder->idle_easy = g_ptr_array_new ();
  forwarder->finished = g_ptr_array_new ();
  forwarder->multi = curl_multi_init ();
  if (forwarder->multi == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CURL, "curl_multi_init failed");
      forward_free (forwarder);
      return NULL;
    }
  curl_multi_setopt (forwarder->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt (forwarder->multi, CURLMOPT_SOCKETDATA, forwarder);
  curl_multi_setopt (forwarder->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer_set);
  curl_multi_setopt (forwarder->multi, CURLMOPT_TIMERDATA, forwarder);
  curl_multi_setopt (forwarder->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                     (long) options->concurrency);
  curl_multi_setopt (forwarder->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                     (long) options->concurrency);
  curl_multi_setopt (forwarder->multi, CURLMOPT_MAXCONNECTS,
                     (long) options->concurrency * 2);
  return forwarder;
}

void
forward_start (Forwarder *forwarder)
{
  g_return_if_fail (forwarder != NULL);

  if (forwarder->started)
    return;
  forwarder->started = TRUE;
  on_purge (forwarder);
  forwarder->poll_timer =
    forward_attach (forwarder,
                    g_timeout_source_new ((guint) MIN (forwarder->options.poll_seconds * 1000,
                                                       (gint64) G_MAXUINT)),
                    on_poll);
  forwarder->purge_timer =
    forward_attach (forwarder,
                    g_timeout_source_new_seconds (FORWARD_PURGE_INTERVAL_SECONDS),
                    on_purge);
  forward_schedule_claim (forwarder);
}

void
forward_kick (Forwarder *forwarder)
{
  g_return_if_fail (forwarder != NULL);

  if (forwarder->started)
    forward_schedule_claim (forwarder);
}

void
forward_get_stats (Forwarder *forwarder, ForwardStats *stats)
{
  g_return_if_fail (forwarder != NULL);
  g_return_if_fail (stats != NULL);

  *stats = forwarder->stats;
  stats->in_flight = g_hash_table_size (forwarder->transfers);
}

void
forward_free (Forwarder *forwarder)
{
  GHashTableIter iter;
  gpointer key;

  if (forwarder == NULL)
    return;
  forwarder->started = FALSE;
  source_clear (&forwarder->claim_idle);
  source_clear (&forwarder->due_timer);
  source_clear (&forwarder->poll_timer);
  source_clear (&forwarder->purge_timer);
  source_clear (&forwarder->flush_timer);

  /* Finished transfers are recorded: a delivered report is not sent
   * again.  In-flight and claimed ones are abandoned: their leases bring
   * them back. */
  g_queue_clear_full (&forwarder->ready, (GDestroyNotify) delivery_free);
  if (forwarder->finished != NULL)
    {
      gboolean batch = store_batch_begin (forwarder->store, NULL);

      forward_record_finished (forwarder, NULL);
      if (batch)
        store_batch_commit (forwarder->store, NULL);
      g_ptr_array_free (forwarder->finished, TRUE);
    }
  if (forwarder->transfers != NULL)
    {
      g_hash_table_iter_init (&iter, forwarder->transfers);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          Transfer *transfer = key;

          g_info ("delivery %s: abandoned at shutdown", transfer->delivery->id);
          curl_multi_remove_handle (forwarder->multi, transfer->easy);
          curl_easy_cleanup (transfer->easy);
          transfer_free (transfer);
          g_hash_table_iter_remove (&iter);
        }
    }
  if (forwarder->idle_easy != NULL)
    {
      for (guint i = 0; i < forwarder->idle_easy->len; i++)
        curl_easy_cleanup (g_ptr_array_index (forwarder->idle_easy, i));
      g_ptr_array_free (forwarder->idle_easy, TRUE);
    }
  if (forwarder->multi != NULL)
    curl_multi_cleanup (forwarder->multi);
  /* After the multi: its cleanup may still tell us to remove sockets. */
  source_clear (&forwarder->curl_timer);
  g_clear_pointer (&forwarder->sockets, g_hash_table_destroy);
  g_clear_pointer (&forwarder->transfers, g_hash_table_destroy);
  g_clear_pointer (&forwarder->context, g_main_context_unref);
  forward_options_clear (&forwarder->options);
  g_free (forwarder);
}

/* ------------------------------------------------------------- checking */

gboolean
forward_check_partner (const Partner        *partner,
                       const ForwardOptions *options,
                       char                **detail,
                       GError              **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr(GError) local = NULL;
  const char *url, *protocol;
  gboolean loopback, smtp;
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *easy;
  CURLcode code;
  long status = 0;
  curl_off_t connect_time = 0;

  g_return_val_if_fail (partner != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  if (partner->delivery == PARTNER_DELIVERY_PULL)
    {
      if (detail != NULL)
        *detail = g_strdup ("pull: nothing to reach");
      return TRUE;
    }
  smtp = partner->delivery == PARTNER_DELIVERY_EMAIL;
  url = smtp ? partner->smtp_url : partner->url;
  if (url == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG,
                   "partner %s has no %s", partner->id, smtp ? "smtp_url" : "url");
      return FALSE;
    }
  protocol = url_protocol (url, smtp, &loopback, &local);
  if (protocol == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CONFIG, "partner %s: %s",
                   partner->id, local->message);
      return FALSE;
    }
  code = GPOINTER_TO_INT (g_once (&once, curl_init_once, NULL));
  easy = code == CURLE_OK ? curl_easy_init () : NULL;
  if (easy == NULL)
    {
      g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_CURL, "cannot start curl");
      return FALSE;
    }
  easy_setup_common (easy, options, url, protocol, errbuf);
  if (smtp)
    {
      /* Greeting, EHLO, STARTTLS (and AUTH): then stop, no mail. */
      curl_easy_setopt (easy, CURLOPT_USE_SSL,
                        loopback ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_ALL);
      curl_easy_setopt (easy, CURLOPT_CONNECT_ONLY, 1L);
      if (partner->smtp_user != NULL && *partner->smtp_user != '\0')
        {
          curl_easy_setopt (easy, CURLOPT_USERNAME, partner->smtp_user);
          curl_easy_setopt (easy, CURLOPT_PASSWORD,
                            partner->smtp_password ? partner->smtp_password : "");
        }
    }
  else
    curl_easy_setopt (easy, CURLOPT_NOBODY, 1L);  /* HEAD: no report sent */

  code = curl_easy_perform (easy);
  curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo (easy, CURLINFO_CONNECT_TIME_T, &connect_time);
  curl_easy_cleanup (easy);

  /* Any HTTP reply means the endpoint is there and TLS is right. */
  if (code == CURLE_OK)
    {
      if (detail != NULL)
        *detail = smtp
          ? g_strdup_printf ("email: SMTP server at %s answered%s", url,
                             loopback ? "" : " and STARTTLS succeeded")
          : g_strdup_printf ("webhook: HTTP %ld from %s", status, url);
      return TRUE;
    }
  {
    g_autofree char *reason = describe_curl_error (code, options, connect_time > 0);

    g_set_error (error, FORWARD_ERROR, FORWARD_ERROR_UNREACHABLE,
                 "%s: %s", url, reason);
  }
  return FALSE;
}
