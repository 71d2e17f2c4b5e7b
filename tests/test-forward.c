/* forward: the forwarder against real partners on loopback.
 *
 * A libsoup server in this process plays the partner's webhook (plain and
 * TLS with a self-signed certificate made here with openssl), aiosmtpd
 * plays the partner's mail server, and a real SQLite store holds the queue.
 * Backoffs and timeouts are a second or two so the whole file runs in
 * seconds. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "envelope.h"
#include "forward.h"
#include "http.h"
#include "partner.h"
#include "signature.h"
#include "store.h"

#define SECRET "test-webhook-secret"
#define REF "TEST-REF9"

typedef enum
{
  MODE_OK,
  MODE_FAIL_ONCE,      /* 500, then 200 */
  MODE_RETRY_AFTER,    /* 429 Retry-After: 1, 503 Retry-After: HTTP-date, 200 */
  MODE_HANG,           /* never answers */
  MODE_BAD_REQUEST,    /* 400 */
  MODE_ALWAYS_500,
  MODE_SLOW,           /* answers 200 after a while: counts concurrency */
  MODE_REDIRECT,       /* 307 to /elsewhere, which would answer 200 */
} Mode;

typedef struct
{
  SoupServer *server;
  guint       port;
  Mode        mode;
  guint       requests;
  guint       good_signatures;
  guint       in_flight;
  guint       max_in_flight;
  GPtrArray  *keys;      /* Idempotency-Key of every request */
  GPtrArray  *hung;      /* SoupServerMessage* paused for ever */
  GHashTable *peers;     /* client ports seen: one per connection */
  char       *last_path;
  char       *last_authorization;
  char       *last_body;
  guint       elsewhere; /* requests that followed MODE_REDIRECT */
} TestServer;

typedef struct
{
  char             *dir;
  Store            *store;
  PartnerDirectory *partners;
  ForwardOptions    options;
  TestServer        web;
  char             *url;       /* the webhook partner's url */
  char             *smtp_url;  /* the e-mail partner's, if any */
  Forwarder        *forwarder;
} Fixture;

/* ----------------------------------------------------------- the partner */

static void add_timeout (guint ms, GSourceFunc func, gpointer data);

typedef struct
{
  TestServer        *web;
  SoupServerMessage *message;
} Delayed;

static gboolean
on_delayed_reply (gpointer data)
{
  Delayed *delayed = data;

  soup_server_message_set_status (delayed->message, 200, NULL);
  soup_server_message_unpause (delayed->message);
  delayed->web->in_flight--;
  g_object_unref (delayed->message);
  g_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  TestServer *web = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  const char *key = soup_message_headers_get_one (headers, "Idempotency-Key");
  const char *signature = soup_message_headers_get_one (headers, "Saferoute-Signature");
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  const char *agent = soup_message_headers_get_one (headers, "User-Agent");
  SoupMessageHeaders *reply = soup_server_message_get_response_headers (message);
  guint status = 200;

  if (g_strcmp0 (soup_server_message_get_method (message), "POST") != 0)
    {
      /* forward_check_partner: any reply means reachable. */
      soup_server_message_set_status (message, 405, NULL);
      return;
    }
  web->requests++;
  g_ptr_array_add (web->keys, g_strdup (key));
  g_free (web->last_path);
  web->last_path = g_strdup (path);
  g_free (web->last_authorization);
  web->last_authorization =
    g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  g_free (web->last_body);
  web->last_body = g_strndup (body->data, body->length);
  g_hash_table_add (web->peers, GUINT_TO_POINTER (g_inet_socket_address_get_port (
    G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (message)))));
  if (signature_verify (SECRET, signature, body->data, body->length,
                        g_get_real_time () / G_USEC_PER_SEC, 300, NULL)
      && g_strcmp0 (type, "application/json") == 0
      && g_str_has_prefix (agent, "saferoute/"))
    web->good_signatures++;

  switch (web->mode)
    {
    case MODE_OK:
      break;
    case MODE_FAIL_ONCE:
      status = web->requests == 1 ? 500 : 200;
      break;
    case MODE_RETRY_AFTER:
      if (web->requests == 1)
        {
          status = 429;
          soup_message_headers_replace (reply, "Retry-After", "1");
        }
      else if (web->requests == 2)
        {
          g_autoptr(GDateTime) when = g_date_time_new_now_utc ();
          g_autoptr(GDateTime) later = g_date_time_add_seconds (when, 1);
          g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);

          status = 503;
          soup_message_headers_replace (reply, "Retry-After", date);
        }
      break;
    case MODE_HANG:
      soup_server_message_pause (message);
      g_ptr_array_add (web->hung, g_object_ref (message));
      return;
    case MODE_BAD_REQUEST:
      status = 400;
      break;
    case MODE_ALWAYS_500:
      status = 500;
      break;
    case MODE_REDIRECT:
      if (g_str_equal (path, "/elsewhere"))
        web->elsewhere++;
      else
        {
          status = 307;
          soup_message_headers_replace (reply, "Location", "/elsewhere");
        }
      break;
    case MODE_SLOW:
      {
        Delayed *delayed = g_new0 (Delayed, 1);

        delayed->web = web;
        delayed->message = g_object_ref (message);
        web->in_flight++;
        web->max_in_flight = MAX (web->max_in_flight, web->in_flight);
        soup_server_message_pause (message);
        add_timeout (300, on_delayed_reply, delayed);
        return;
      }
    }
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json",
                                    SOUP_MEMORY_STATIC, "{}", 2);
}

static void
test_server_start (TestServer *web, GTlsCertificate *certificate)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  web->server = certificate != NULL
    ? soup_server_new ("tls-certificate", certificate, NULL)
    : soup_server_new (NULL, NULL);
  soup_server_add_handler (web->server, NULL, on_request, web, NULL);
  http_drop_lost_sockets (web->server);
  soup_server_listen_local (web->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY
                            | (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0),
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (web->server);
  g_assert_nonnull (uris);
  web->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  web->keys = g_ptr_array_new_with_free_func (g_free);
  web->hung = g_ptr_array_new_with_free_func (g_object_unref);
  web->peers = g_hash_table_new (NULL, NULL);
}

static void
test_server_stop (TestServer *web)
{
  g_clear_object (&web->server);
  g_clear_pointer (&web->hung, g_ptr_array_unref);
  g_clear_pointer (&web->keys, g_ptr_array_unref);
  g_clear_pointer (&web->peers, g_hash_table_unref);
  g_clear_pointer (&web->last_path, g_free);
  g_clear_pointer (&web->last_authorization, g_free);
  g_clear_pointer (&web->last_body, g_free);
}

/* A port nothing listens on: bound by the kernel, then closed. */
static guint
closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

/* ------------------------------------------------------------- fixture */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;

  f->dir = g_dir_make_tmp ("test-forward-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (f->dir, "queue.db", NULL);
  f->store = store_open (db, &error);
  g_assert_no_error (error);

  forward_options_init (&f->options);
  f->options.timeout_seconds = 2;
  f->options.connect_timeout_seconds = 2;
  f->options.retry_base_seconds = 1;
  f->options.retry_factor = 1.0;
  f->options.retry_cap_seconds = 2;
  f->options.lease_seconds = 30;
  f->options.poll_seconds = 1;
  test_server_start (&f->web, NULL);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/hook", f->web.port);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->forwarder, forward_free);
  test_server_stop (&f->web);
  g_clear_pointer (&f->partners, partner_directory_free);
  g_clear_pointer (&f->store, store_close);
  forward_options_clear (&f->options);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->url);
  g_free (f->smtp_url);
}

static Partner *
make_partner (const char *id, PartnerDelivery delivery)
{
  Partner *partner = partner_new ();

  partner->id = g_strdup (id);
  partner->name = g_strdup ("Test Support");
  partner->description = g_strdup ("Helps in tests.");
  partner->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (partner->services);
  partner->services = g_strsplit ("*", ",", -1);
  g_strfreev (partner->languages);
  partner->languages = g_strsplit ("en", ",", -1);
  g_strfreev (partner->areas);
  partner->areas = g_strsplit ("*", ",", -1);
  partner->delivery = delivery;
  partner->hmac_secret = g_strdup (SECRET);
  memset (partner->public_key, 7, sizeof partner->public_key);
  return partner;
}

static PartnerDirectory *
fixture_partners (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  PartnerDirectory *dir = partner_directory_new ();
  Partner *partner;

  partner = make_partner ("webhook-partner", PARTNER_DELIVERY_WEBHOOK);
  partner->url = g_strdup (f->url);
  partner_directory_add (dir, partner, &error);
  g_assert_no_error (error);
  if (f->smtp_url != NULL)
    {
      partner = make_partner ("mail-partner", PARTNER_DELIVERY_EMAIL);
      partner->smtp_url = g_strdup (f->smtp_url);
      partner->email_to = g_strdup ("cases@example.org");
      partner->email_from = g_strdup ("saferoute@example.org");
      partner_directory_add (dir, partner, &error);
      g_assert_no_error (error);
    }
  return dir;
}

static void
fixture_start (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->partners == NULL)
    f->partners = fixture_partners (f);
  f->forwarder = forward_new (f->store, f->partners, &f->options, &error);
  g_assert_no_error (error);
  forward_start (f->forwarder);
}

static char *
enqueue (Fixture *f, const char *partner, DeliveryMethod method,
         gint64 created_at, char **json_out)
{
  g_autoptr(Envelope) envelope = envelope_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  LedgerEntry ledger = { 0 };
  StoreItem item = { 0 };
  guint duplicates = 0;
  gsize length;

  envelope->v = 1;
  envelope->id = g_uuid_string_random ();
  envelope->ref = g_strdup (REF);
  envelope->partner = g_strdup (partner);
  envelope->created_at = created_at;
  envelope->sealed = g_bytes_new ("not really sealed", 17);
  json = envelope_to_json (envelope, &length);

  ledger.channel = (char *) "kiosk";
  ledger.category = (char *) "hate-crime";
  ledger.language = (char *) "en";
  ledger.shared_fields = (char *) "category,message";
  ledger.created_at = created_at;
  item.envelope = envelope;
  item.envelope_json = json;
  item.method = method;
  item.ledger = &ledger;
  g_assert_true (store_enqueue (f->store, &item, 1, &duplicates, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (duplicates, ==, 0);
  if (f->forwarder != NULL)
    forward_kick (f->forwarder);
  if (json_out != NULL)
    *json_out = g_steal_pointer (&json);
  return g_strdup (envelope->id);
}

static gboolean
on_tick (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for about MS milliseconds. */
/* Adds a timeout to the thread-default context, where a test that pushes
 * its own context expects everything to run. */
static void
add_timeout (guint ms, GSourceFunc func, gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
}

static void
run_for (guint ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  gboolean done = FALSE;

  add_timeout (ms, on_tick, &done);
  while (!done)
    g_main_context_iteration (context, TRUE);
}

/* Runs the loop until delivery ID is in STATE or SECONDS pass; returns
 * the delivery as last seen. */
static Delivery *
wait_for_state (Fixture *f, const char *id, DeliveryState state, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  Delivery *delivery = NULL;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      g_clear_pointer (&delivery, delivery_free);
      delivery = store_get (f->store, id, &error);
      g_assert_no_error (error);
      if (delivery->state == state || g_get_monotonic_time () > deadline)
        return delivery;
      run_for (50);
    }
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Starts the forwarder, enqueues one webhook delivery created AGE seconds
 * ago and runs until it reaches STATE (asserted). */
static Delivery *
deliver_one (Fixture *f, gint64 age, DeliveryState state, guint seconds, char **id)
{
  Delivery *delivery;

  fixture_start (f);
  *id = enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK, now () - age, NULL);
  delivery = wait_for_state (f, *id, state, seconds);
  g_assert_cmpint (delivery->state, ==, state);
  return delivery;
}

/* ---------------------------------------------------------- pure parts */

static void
test_backoff (void)
{
  ForwardOptions options;

  forward_options_init (&options);
  options.retry_base_seconds = 30;
  options.retry_factor = 2.0;
  options.retry_cap_seconds = 3600;
  g_assert_cmpint (forward_backoff (&options, 1, 0.5), ==, 30);
  g_assert_cmpint (forward_backoff (&options, 0, 0.5), ==, 30);
  g_assert_cmpint (forward_backoff (&options, 2, 0.5), ==, 60);
  g_assert_cmpint (forward_backoff (&options, 3, 0.5), ==, 120);
  /* +-20% jitter. */
  g_assert_cmpint (forward_backoff (&options, 3, 0.0), ==, 96);
  g_assert_cmpint (forward_backoff (&options, 3, 0.999999), ==, 144);
  /* Capped, and never beyond the cap whatever the jitter. */
  g_assert_cmpint (forward_backoff (&options, 20, 0.5), ==, 3600);
  g_assert_cmpint (forward_backoff (&options, 20, 0.999999), ==, 3600);
  g_assert_cmpint (forward_backoff (&options, 20, 0.0), ==, 2880);
  g_assert_cmpint (forward_backoff (&options, G_MAXUINT, 0.5), ==, 3600);
  forward_options_clear (&options);
}

static void
test_classify (void)
{
  g_assert_cmpint (forward_classify (200, CURLE_OK), ==, FORWARD_OUTCOME_DELIVERED);
  g_assert_cmpint (forward_classify (202, CURLE_OK), ==, FORWARD_OUTCOME_DELIVERED);
  g_assert_cmpint (forward_classify (204, CURLE_OK), ==, FORWARD_OUTCOME_DELIVERED);
  g_assert_cmpint (forward_classify (400, CURLE_OK), ==, FORWARD_OUTCOME_PERMANENT);
  g_assert_cmpint (forward_classify (404, CURLE_OK), ==, FORWARD_OUTCOME_PERMANENT);
  g_assert_cmpint (forward_classify (408, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (429, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (500, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (503, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (301, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (0, CURLE_OK), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (0, CURLE_OPERATION_TIMEDOUT), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (0, CURLE_PEER_FAILED_VERIFICATION), ==, FORWARD_OUTCOME_RETRY);
  g_assert_cmpint (forward_classify (0, CURLE_COULDNT_CONNECT), ==, FORWARD_OUTCOME_RETRY);
  /* A 2xx status line followed by a broken body is not a delivery. */
  g_assert_cmpint (forward_classify (200, CURLE_RECV_ERROR), ==, FORWARD_OUTCOME_RETRY);
}

static void
test_options_from_conf (void)
{
  const char *text =
    "[retention]\n"
    "retry_base = 10s\n"
    "retry_factor = 3\n"
    "retry_cap = 2h\n"
    "max_age = 3d\n"
    "delivered = 1d\n"
    "[kiosk]\n"
    "forward_concurrency = 4\n"
    "forward_timeout = 20\n"
    "relay_url = https://gateway.example.org/\n"
    "relay_token = t0ken\n"
    "ca_file = ca.pem\n";
  g_autoptr(Conf) conf = NULL;
  g_autoptr(GError) error = NULL;
  ForwardOptions options;

  conf = conf_load_data (text, "test.conf", &error);
  g_assert_no_error (error);
  forward_options_init (&options);
  g_assert_true (forward_options_from_conf (&options, conf, "kiosk", &error));
  g_assert_no_error (error);
  g_assert_cmpint (options.retry_base_seconds, ==, 10);
  g_assert_cmpfloat (options.retry_factor, ==, 3.0);
  g_assert_cmpint (options.retry_cap_seconds, ==, 7200);
  g_assert_cmpint (options.max_age_seconds, ==, 3 * 86400);
  g_assert_cmpint (options.retention_seconds, ==, 86400);
  g_assert_cmpuint (options.concurrency, ==, 4);
  g_assert_cmpint (options.timeout_seconds, ==, 20);
  g_assert_cmpint (options.lease_seconds, ==, 80);
  g_assert_cmpint (options.connect_timeout_seconds, ==, 10);
  g_assert_cmpint (options.poll_seconds, ==, 2);
  g_assert_cmpstr (options.relay_url, ==, "https://gateway.example.org/");
  g_assert_cmpstr (options.relay_token, ==, "t0ken");
  g_assert_true (g_str_has_suffix (options.ca_file, "ca.pem"));
  forward_options_clear (&options);

  /* Defaults when nothing is set. */
  g_clear_pointer (&conf, conf_free);
  conf = conf_load_data ("[gateway]\n", "empty.conf", &error);
  g_assert_no_error (error);
  forward_options_init (&options);
  g_assert_true (forward_options_from_conf (&options, conf, "gateway", &error));
  g_assert_cmpuint (options.concurrency, ==, 8);
  g_assert_cmpint (options.timeout_seconds, ==, 30);
  g_assert_cmpint (options.retry_base_seconds, ==, 30);
  g_assert_cmpint (options.max_age_seconds, ==, 7 * 86400);
  g_assert_null (options.relay_url);
  forward_options_clear (&options);
}

static void
test_options_from_conf_errors (void)
{
  const char *bad[] = {
    "[retention]\nretry_factor = fast\n",
    "[kiosk]\nrelay_url = http://gateway.example.org\nrelay_token = t\n",
    "[kiosk]\nrelay_url = https://gateway.example.org\n",
    "[kiosk]\nforward_concurrency = 0\n",
    "[retention]\nmax_age = soon\n",
  };
  const char *keys[] = { "retry_factor", "relay_url", "relay_token",
                         "forward_concurrency", "max_age" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(Conf) conf = NULL;
      g_autoptr(GError) error = NULL;
      ForwardOptions options;

      conf = conf_load_data (bad[i], "bad.conf", &error);
      g_assert_no_error (error);
      forward_options_init (&options);
      g_assert_false (forward_options_from_conf (&options, conf, "kiosk", &error));
      g_assert_error (error, CONF_ERROR, error->code);
      /* The message names the file and the key. */
      g_assert_nonnull (strstr (error->message, "bad.conf"));
      g_assert_nonnull (strstr (error->message, keys[i]));
      forward_options_clear (&options);
    }
}

/* ------------------------------------------------------------ webhooks */

static void
test_delivered_once (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  ForwardStats stats;

  delivery = deliver_one (f, 0, DELIVERY_DELIVERED, 10, &id);
  g_assert_cmpuint (delivery->attempts, ==, 1);
  g_assert_cmpuint (f->web.requests, ==, 1);
  g_assert_cmpuint (f->web.good_signatures, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->web.keys, 0), ==, id);
  g_assert_cmpstr (f->web.last_path, ==, "/hook");
  g_assert_cmpstr (f->web.last_body, ==, delivery->envelope_json);

  /* Nothing more is sent for it, whatever the polls find. */
  run_for (1200);
  g_assert_cmpuint (f->web.requests, ==, 1);
  forward_get_stats (f->forwarder, &stats);
  g_assert_cmpuint (stats.delivered, ==, 1);
  g_assert_cmpuint (stats.attempts, ==, 1);
  g_assert_cmpuint (stats.in_flight, ==, 0);
}

/* At start the forwarder drops the ciphertext of envelopes delivered longer
 * ago than the retention period (promise 5); the ledger row stays. */
static void
test_purge_at_start (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  g_autoptr(Delivery) purged = NULL;
  g_autoptr(GPtrArray) ledger = NULL;

  delivery = deliver_one (f, 0, DELIVERY_DELIVERED, 10, &id);
  g_assert_nonnull (delivery->envelope_json);
  g_clear_pointer (&f->forwarder, forward_free);

  f->options.retention_seconds = 0;
  run_for (1100);
  fixture_start (f);
  purged = store_get (f->store, id, NULL);
  g_assert_cmpint (purged->state, ==, DELIVERY_DELIVERED);
  g_assert_null (purged->envelope_json);
  ledger = store_ledger_for_ref (f->store, REF, NULL);
  g_assert_cmpuint (ledger->len, ==, 1);
}

static void
test_retry_then_delivered (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->web.mode = MODE_FAIL_ONCE;
  delivery = deliver_one (f, 0, DELIVERY_DELIVERED, 15, &id);
  g_assert_cmpuint (delivery->attempts, ==, 2);
  g_assert_cmpuint (f->web.requests, ==, 2);
  g_assert_cmpuint (f->web.good_signatures, ==, 2);
  /* The same key on the retry: the partner can de-duplicate. */
  g_assert_cmpstr (g_ptr_array_index (f->web.keys, 0), ==, id);
  g_assert_cmpstr (g_ptr_array_index (f->web.keys, 1), ==, id);
}

static void
test_retry_after (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) first = NULL;
  g_autoptr(Delivery) delivery = NULL;

  /* Backoff alone would wait a minute: only Retry-After brings it back
   * within the test's time. */
  f->web.mode = MODE_RETRY_AFTER;
  f->options.retry_base_seconds = 60;
  f->options.retry_cap_seconds = 600;
  fixture_start (f);
  id = enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK, now (), NULL);
  first = wait_for_state (f, id, DELIVERY_DEFERRED, 10);
  g_assert_cmpint (first->state, ==, DELIVERY_DEFERRED);
  /* Times are whole seconds, so "1 s" can bring the second attempt
   * within milliseconds, before a slow poll (valgrind) sees the first
   * deferral: either reply's deferral then, each by its Retry-After.  The
   * three attempts within the time below are what prove that both were
   * honoured (backoff alone waits a minute). */
  g_assert_true (g_str_equal (first->last_error, "HTTP 429")
                 || g_str_equal (first->last_error, "HTTP 503"));
  g_assert_cmpint (first->next_attempt_at - first->last_attempt_at, <=, 1);

  delivery = wait_for_state (f, id, DELIVERY_DELIVERED, 15);
  g_assert_cmpint (delivery->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpuint (delivery->attempts, ==, 3);
  g_assert_cmpuint (f->web.requests, ==, 3);
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->web.mode = MODE_HANG;
  f->options.timeout_seconds = 1;
  f->options.retry_base_seconds = 60;
  f->options.retry_cap_seconds = 600;
  delivery = deliver_one (f, 0, DELIVERY_DEFERRED, 10, &id);
  g_assert_cmpstr (delivery->last_error, ==, "timeout after 1 s");
  g_assert_cmpint (delivery->next_attempt_at - delivery->last_attempt_at, >=, 48);
  g_assert_cmpuint (f->web.requests, ==, 1);
}

/* An operator holds a delivery while it is in flight: their decision
 * stands when the transfer fails (and this is not a warning). */
static void
test_operator_hold_wins (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  g_autoptr(GError) error = NULL;
  ForwardStats stats = { 0 };
  gint64 deadline;

  f->web.mode = MODE_HANG;
  f->options.timeout_seconds = 1;
  delivery = deliver_one (f, 0, DELIVERY_ACTIVE, 10, &id);
  g_assert_true (store_hold (f->store, id, "operator", &error));
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  forward_get_stats (f->forwarder, &stats);
  while (stats.in_flight > 0 && g_get_monotonic_time () < deadline)
    {
      run_for (50);
      forward_get_stats (f->forwarder, &stats);
    }
  g_assert_cmpuint (stats.in_flight, ==, 0);
  g_assert_cmpuint (stats.attempts, ==, 1);
  /* Not counted as deferred: the store did not take it. */
  g_assert_cmpuint (stats.deferred, ==, 0);
  g_clear_pointer (&delivery, delivery_free);
  delivery = store_get (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (delivery->state, ==, DELIVERY_HELD);
}

/* The forwarder runs on the caller's thread-default context: with only
 * that context iterated (and the default never), the delivery is made. */
static void
test_own_context (Fixture *f, gconstpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  TestServer web = { 0 };

  g_main_context_push_thread_default (context);
  test_server_start (&web, NULL);
  g_free (f->url);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/hook", web.port);
  delivery = deliver_one (f, 0, DELIVERY_DELIVERED, 10, &id);
  g_assert_cmpuint (web.requests, ==, 1);
  g_assert_cmpuint (web.good_signatures, ==, 1);
  g_clear_pointer (&f->forwarder, forward_free);
  test_server_stop (&web);
  g_main_context_pop_thread_default (context);
}

/* Freed mid-transfer: the transfer is abandoned, the delivery stays active
 * under its lease (at-least-once), and a new forwarder takes it once the
 * lease has lapsed. */
static void
test_free_in_flight (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) active = NULL;
  g_autoptr(Delivery) delivered = NULL;

  f->web.mode = MODE_HANG;
  f->options.timeout_seconds = 10;
  /* Long enough that the lease cannot lapse (and the first forwarder
   * claim again) while a loaded machine is still setting up. */
  f->options.lease_seconds = 3;
  active = deliver_one (f, 0, DELIVERY_ACTIVE, 10, &id);
  /* Active in the store comes before the request reaches the partner: wait
   * for the partner to see it, or a loaded machine frees the forwarder
   * before the first request is sent. */
  for (guint i = 0; i < 200 && f->web.requests < 1; i++)
    run_for (50);
  g_assert_cmpuint (f->web.requests, ==, 1);
  g_clear_pointer (&f->forwarder, forward_free);
  run_for (100);
  g_clear_pointer (&active, delivery_free);
  active = store_get (f->store, id, NULL);
  g_assert_cmpint (active->state, ==, DELIVERY_ACTIVE);

  f->web.mode = MODE_OK;
  fixture_start (f);
  delivered = wait_for_state (f, id, DELIVERY_DELIVERED, 10);
  g_assert_cmpint (delivered->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpuint (delivered->attempts, ==, 2);
  g_assert_cmpuint (f->web.requests, ==, 2);
}

static void
test_connection_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  g_free (f->url);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/hook", closed_port ());
  f->options.retry_base_seconds = 60;
  f->options.retry_cap_seconds = 600;
  delivery = deliver_one (f, 0, DELIVERY_DEFERRED, 10, &id);
  g_assert_cmpstr (delivery->last_error, ==, "connection refused or unreachable");
  g_assert_cmpuint (delivery->attempts, ==, 1);
}

static void
test_bad_request_held (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  ForwardStats stats;

  f->web.mode = MODE_BAD_REQUEST;
  delivery = deliver_one (f, 0, DELIVERY_HELD, 10, &id);
  g_assert_cmpstr (delivery->last_error, ==, "HTTP 400");
  /* Held means no retry, even with a 1 s backoff. */
  run_for (1500);
  g_assert_cmpuint (f->web.requests, ==, 1);
  forward_get_stats (f->forwarder, &stats);
  g_assert_cmpuint (stats.held, ==, 1);
}

/* A partner's endpoint that redirects is never followed: a redirect
 * could point anywhere (another host, a Home Office address), and the
 * partner's URL is the operator's choice, not the endpoint's.  It is an
 * error to retry, so the operator sees it. */
static void
test_redirect_not_followed (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->web.mode = MODE_REDIRECT;
  fixture_start (f);
  id = enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK, now (), NULL);
  delivery = wait_for_state (f, id, DELIVERY_DEFERRED, 10);
  g_assert_cmpint (delivery->state, ==, DELIVERY_DEFERRED);
  g_assert_cmpstr (delivery->last_error, ==, "HTTP 307");
  run_for (1500);
  g_assert_cmpuint (f->web.requests, >=, 1);
  g_assert_cmpuint (f->web.elsewhere, ==, 0);
}

static void
test_max_age_held (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->web.mode = MODE_ALWAYS_500;
  f->options.max_age_seconds = 3600;
  delivery = deliver_one (f, 7200, DELIVERY_HELD, 10, &id);
  g_assert_nonnull (strstr (delivery->last_error, "expired"));
  g_assert_nonnull (strstr (delivery->last_error, "HTTP 500"));
  g_assert_cmpuint (f->web.requests, ==, 1);
}

static void
test_concurrency_bound (Fixture *f, gconstpointer data)
{
  char *ids[7] = { NULL };
  guint i;

  f->web.mode = MODE_SLOW;
  f->options.concurrency = 2;
  fixture_start (f);
  for (i = 0; i < G_N_ELEMENTS (ids) - 1; i++)
    ids[i] = enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK, now (), NULL);
  for (i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(Delivery) delivery = wait_for_state (f, ids[i], DELIVERY_DELIVERED, 20);

      g_assert_cmpint (delivery->state, ==, DELIVERY_DELIVERED);
    }
  g_assert_cmpuint (f->web.requests, ==, 6);
  g_assert_cmpuint (f->web.max_in_flight, <=, 2);
  /* Each request waits 300 ms for its answer, so two do overlap. */
  g_assert_cmpuint (f->web.max_in_flight, ==, 2);
  /* Six deliveries over at most two connections: they are reused. */
  g_assert_cmpuint (g_hash_table_size (f->web.peers), <=, 2);
  for (i = 0; ids[i] != NULL; i++)
    g_free (ids[i]);
}

static void
test_unknown_partner_held (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  fixture_start (f);
  id = enqueue (f, "nobody", DELIVERY_METHOD_WEBHOOK, now (), NULL);
  delivery = wait_for_state (f, id, DELIVERY_HELD, 10);
  g_assert_cmpint (delivery->state, ==, DELIVERY_HELD);
  g_assert_nonnull (strstr (delivery->last_error, "unknown partner"));
  g_assert_cmpuint (f->web.requests, ==, 0);
}

static void
test_relay (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *json = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->options.relay_url = g_strdup_printf ("http://127.0.0.1:%u/", f->web.port);
  f->options.relay_token = g_strdup ("relay-token");
  fixture_start (f);
  id = enqueue (f, "webhook-partner", DELIVERY_METHOD_RELAY, now (), &json);
  delivery = wait_for_state (f, id, DELIVERY_DELIVERED, 10);
  g_assert_cmpint (delivery->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpuint (f->web.requests, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->web.keys, 0), ==, id);
  g_assert_cmpstr (f->web.last_path, ==, "/api/v1/envelopes");
  g_assert_cmpstr (f->web.last_authorization, ==, "Bearer relay-token");
  g_assert_cmpstr (f->web.last_body, ==, json);
}

/* Promise 1 holds even for the one URL the directory never saw. */
static void
test_relay_forbidden_host (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  f->options.relay_url = g_strdup ("https://relay.homeoffice.gov.uk/");
  f->options.relay_token = g_strdup ("relay-token");
  fixture_start (f);
  id = enqueue (f, "webhook-partner", DELIVERY_METHOD_RELAY, now (), NULL);
  delivery = wait_for_state (f, id, DELIVERY_HELD, 10);
  g_assert_cmpint (delivery->state, ==, DELIVERY_HELD);
  g_assert_nonnull (strstr (delivery->last_error, "not allowed"));
}

typedef struct
{
  const Partner        *partner;
  const ForwardOptions *options;
  char                 *detail;
  GError               *error;
  gboolean              ok;
  gint                  done;
} Check;

static gpointer
check_in_thread (gpointer data)
{
  Check *check = data;

  check->ok = forward_check_partner (check->partner, check->options,
                                     &check->detail, &check->error);
  g_atomic_int_set (&check->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* forward_check_partner blocks, and our partners are served by this
 * thread's loop: run the check in another thread and serve meanwhile. */
static void
check_partner_served (Check *check)
{
  GThread *thread = g_thread_new ("check", check_in_thread, check);

  while (!g_atomic_int_get (&check->done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
}

static void
check_clear (Check *check)
{
  g_clear_pointer (&check->detail, g_free);
  g_clear_error (&check->error);
  check->done = 0;
}

static void
test_check_partner (Fixture *f, gconstpointer data)
{
  g_autoptr(Partner) pull = make_partner ("pull-partner", PARTNER_DELIVERY_PULL);
  g_autoptr(Partner) web = make_partner ("web", PARTNER_DELIVERY_WEBHOOK);
  Check check = { 0 };

  check.options = &f->options;
  check.partner = pull;
  check_partner_served (&check);
  g_assert_no_error (check.error);
  g_assert_true (check.ok);
  g_assert_cmpstr (check.detail, ==, "pull: nothing to reach");
  check_clear (&check);

  web->url = g_strdup (f->url);
  check.partner = web;
  check_partner_served (&check);
  g_assert_no_error (check.error);
  g_assert_true (check.ok);
  g_assert_true (g_str_has_prefix (check.detail, "webhook: HTTP 405"));
  /* Nothing was delivered by checking. */
  g_assert_cmpuint (f->web.requests, ==, 0);
  check_clear (&check);

  g_free (web->url);
  web->url = g_strdup_printf ("http://127.0.0.1:%u/hook", closed_port ());
  check_partner_served (&check);
  g_assert_false (check.ok);
  g_assert_error (check.error, FORWARD_ERROR, FORWARD_ERROR_UNREACHABLE);
  check_clear (&check);

  /* The loopback rule holds for checks too. */
  g_free (web->url);
  web->url = g_strdup ("http://example.org/hook");
  check_partner_served (&check);
  g_assert_false (check.ok);
  g_assert_error (check.error, FORWARD_ERROR, FORWARD_ERROR_CONFIG);
  check_clear (&check);
}

/* ------------------------------------------------ test peers from Debian */

/* A missing peer skips the test, except under CI=true where it means
 * bootstrap did not do its job. */
static void
need_peer (const char *what)
{
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    {
      g_test_message ("missing test peer: %s", what);
      g_test_fail ();
    }
  else
    g_test_skip (what);
}

static gboolean
run_quietly (const char *const *argv, const char *cwd)
{
  int status = 0;

  if (!g_spawn_sync (cwd, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                     | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_tls_bad_certificate (Fixture *f, gconstpointer data)
{
  g_autofree char *cert = g_build_filename (f->dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (f->dir, "key.pem", NULL);
  const char *const openssl[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
    "-days", "2", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", NULL
  };
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(Delivery) deferred = NULL;
  g_autoptr(Delivery) delivered = NULL;
  TestServer tls = { 0 };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      need_peer ("glib-networking (GLib has no TLS backend)");
      return;
    }
  if (!run_quietly (openssl, f->dir))
    {
      need_peer ("openssl");
      return;
    }
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  test_server_start (&tls, certificate);
  g_free (f->url);
  f->url = g_strdup_printf ("https://127.0.0.1:%u/hook", tls.port);
  /* The server's first handshake loads GnuTLS: slow under sanitizers. */
  f->options.timeout_seconds = 15;
  f->options.connect_timeout_seconds = 15;
  f->options.retry_base_seconds = 60;
  f->options.retry_cap_seconds = 600;
  fixture_start (f);

  id = enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK, now (), NULL);
  deferred = wait_for_state (f, id, DELIVERY_DEFERRED, 10);
  g_assert_cmpint (deferred->state, ==, DELIVERY_DEFERRED);
  g_assert_cmpstr (deferred->last_error, ==, "TLS: certificate verify failed");
  g_assert_cmpuint (tls.requests, ==, 0);

  /* The same server is fine once its certificate is trusted (ca_file):
   * the failure above was the verification, not the server. */
  g_clear_pointer (&f->forwarder, forward_free);
  f->options.ca_file = g_strdup (cert);
  fixture_start (f);
  g_assert_true (store_retry (f->store, id, &error));
  g_assert_no_error (error);
  forward_kick (f->forwarder);
  delivered = wait_for_state (f, id, DELIVERY_DELIVERED, 10);
  g_assert_cmpint (delivered->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpuint (tls.requests, ==, 1);
  g_assert_cmpuint (tls.good_signatures, ==, 1);

  g_clear_pointer (&f->forwarder, forward_free);
  test_server_stop (&tls);
}

static void
child_setup (gpointer data)
{
  /* The SMTP server must not outlive a test that aborts. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
port_open (guint port)
{
  /* A plain GSocket: GSocketClient would consult proxy settings, which
   * the isolated test directories do not have. */
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  gboolean connected;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (socket);
  connected = g_socket_connect (socket, address, NULL, NULL);
  g_socket_close (socket, NULL);
  return connected;
}

static char *
read_only_mail (const char *maildir)
{
  g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
  g_autoptr(GDir) dir = g_dir_open (new_dir, 0, NULL);
  const char *name;
  char *content = NULL;
  guint count = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (new_dir, name, NULL);

      g_clear_pointer (&content, g_free);
      g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
      count++;
    }
  g_assert_cmpuint (count, ==, 1);
  return content;
}

/* The base64 body of the MIME part whose filename is FILENAME. */
static char *
attachment (const char *mail, const char *filename, gsize *length)
{
  g_autofree char *marker = g_strdup_printf ("filename=\"%s\"", filename);
  const char *start = strstr (mail, marker);
  const char *body, *end;
  g_autofree char *encoded = NULL;

  g_assert_nonnull (start);
  body = strstr (start, "\n\n");
  if (body == NULL || (strstr (start, "\r\n\r\n") != NULL
                       && strstr (start, "\r\n\r\n") < body))
    body = strstr (start, "\r\n\r\n");
  g_assert_nonnull (body);
  end = strstr (body, "\n--");
  g_assert_nonnull (end);
  encoded = g_strndup (body, end - body);
  return (char *) g_base64_decode (g_strstrip (encoded), length);
}

/* A Python that has aiosmtpd: the one configure found, the one on PATH
 * (maybe a pyenv without Debian's modules), or Debian's own. */
static const char *
python_with_aiosmtpd (void)
{
  const char *candidates[] = { g_getenv ("PYTHON3"), "python3", "/usr/bin/python3" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      const char *probe[] = { candidates[i], "-c", "import aiosmtpd", NULL };

      if (candidates[i] != NULL && *candidates[i] != '\0'
          && run_quietly (probe, NULL))
        return candidates[i];
    }
  return NULL;
}

/* An aiosmtpd handler that answers each RCPT with the next of the replies
 * it is given (comma-separated, '_' for space), the last one for ever: the
 * partner's mail server refusing, for good or for now. */
static const char smtp_reject_py[] =
  "class Reject:\n"
  "    def __init__(self, replies):\n"
  "        self.replies = replies\n"
  "    @classmethod\n"
  "    def from_cli(cls, parser, replies):\n"
  "        return cls(replies.replace('_', ' ').split(','))\n"
  "    async def handle_RCPT(self, server, session, envelope, address, options):\n"
  "        if len(self.replies) > 1:\n"
  "            return self.replies.pop(0)\n"
  "        return self.replies[0]\n";

/* Starts aiosmtpd on a free loopback port with HANDLER (and its one
 * argument) and points the e-mail partner at it.  NULL (the test is
 * skipped, or failed under CI) when aiosmtpd is missing. */
static GSubprocess *
start_smtpd (Fixture *f, const char *handler, const char *argument)
{
  const char *python = python_with_aiosmtpd ();
  g_autofree char *listen = NULL;
  g_autofree char *module = g_build_filename (f->dir, "smtp_reject.py", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *smtpd;
  gint64 deadline;
  guint port;

  if (python == NULL)
    {
      need_peer ("python3-aiosmtpd");
      return NULL;
    }
  g_assert_true (g_file_set_contents (module, smtp_reject_py, -1, NULL));
  port = closed_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", port);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", f->dir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  smtpd = g_subprocess_launcher_spawn (launcher, &error, python, "-m", "aiosmtpd",
                                       "-n", "-l", listen, "-c",
                                       handler, argument, NULL);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!port_open (port) && g_get_monotonic_time () < deadline)
    run_for (100);
  g_assert_true (port_open (port));
  f->smtp_url = g_strdup_printf ("smtp://127.0.0.1:%u", port);
  return smtpd;
}

static void
stop_smtpd (GSubprocess *smtpd)
{
  g_subprocess_send_signal (smtpd, SIGTERM);
  g_subprocess_wait (smtpd, NULL, NULL);
  g_object_unref (smtpd);
}

static void
test_email (Fixture *f, gconstpointer data)
{
  g_autofree char *maildir = g_build_filename (f->dir, "mail", NULL);
  GSubprocess *smtpd;
  g_autoptr(Delivery) delivery = NULL;
  g_autofree char *id = NULL;
  g_autofree char *json = NULL;
  g_autofree char *mail = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *attached = NULL;
  gsize attached_length = 0;
  Check check = { 0 };

  smtpd = start_smtpd (f, "aiosmtpd.handlers.Mailbox", maildir);
  if (smtpd == NULL)
    return;
  fixture_start (f);
  id = enqueue (f, "mail-partner", DELIVERY_METHOD_EMAIL, now (), &json);
  delivery = wait_for_state (f, id, DELIVERY_DELIVERED, 15);
  g_assert_cmpint (delivery->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpuint (delivery->attempts, ==, 1);

  mail = read_only_mail (maildir);
  subject = g_strdup_printf ("Subject: saferoute delivery %s", id);
  message_id = g_strdup_printf ("Message-ID: <saferoute.%s@example.org>", id);
  filename = g_strdup_printf ("envelope-%s.json", id);
  g_assert_nonnull (strstr (mail, subject));
  g_assert_nonnull (strstr (mail, message_id));
  g_assert_nonnull (strstr (mail, "saferoute-inbox import"));
  /* Neutral: no reference code, no category anywhere in clear. */
  g_assert_null (strstr (mail, REF));
  g_assert_null (strstr (mail, "hate-crime"));
  attached = attachment (mail, filename, &attached_length);
  g_assert_cmpmem (attached, attached_length, json, strlen (json));

  /* The check reaches the server without sending a mail. */
  check.options = &f->options;
  check.partner = partner_directory_lookup (f->partners, "mail-partner");
  check_partner_served (&check);
  g_assert_no_error (check.error);
  g_assert_true (check.ok);
  g_assert_true (g_str_has_prefix (check.detail, "email:"));
  check_clear (&check);
  g_free (read_only_mail (maildir));

  stop_smtpd (smtpd);
}

/* 5xx from the mail server: held for a human; 4xx: tried again later. */
static void
test_email_refused (Fixture *f, gconstpointer data)
{
  GSubprocess *smtpd;
  g_autofree char *held_id = NULL;
  g_autofree char *deferred_id = NULL;
  g_autoptr(Delivery) held = NULL;
  g_autoptr(Delivery) deferred = NULL;

  f->options.retry_base_seconds = 60;
  f->options.retry_cap_seconds = 600;
  smtpd = start_smtpd (f, "smtp_reject.Reject",
                       "550_5.1.1_mailbox_unavailable,451_4.3.0_try_again_later");
  if (smtpd == NULL)
    return;
  fixture_start (f);
  held_id = enqueue (f, "mail-partner", DELIVERY_METHOD_EMAIL, now (), NULL);
  held = wait_for_state (f, held_id, DELIVERY_HELD, 15);
  g_assert_cmpint (held->state, ==, DELIVERY_HELD);
  g_assert_cmpstr (held->last_error, ==, "SMTP 550");

  deferred_id = enqueue (f, "mail-partner", DELIVERY_METHOD_EMAIL, now (), NULL);
  deferred = wait_for_state (f, deferred_id, DELIVERY_DEFERRED, 15);
  g_assert_cmpint (deferred->state, ==, DELIVERY_DEFERRED);
  g_assert_cmpstr (deferred->last_error, ==, "SMTP 451");
  g_clear_pointer (&f->forwarder, forward_free);
  stop_smtpd (smtpd);
}


/* ------------------------------------------------------ batched outcomes */

/* How many times the partner was sent delivery ID. */
static guint
times_sent (TestServer *web, const char *id)
{
  guint n = 0;

  for (guint i = 0; i < web->keys->len; i++)
    n += g_strcmp0 (g_ptr_array_index (web->keys, i), id) == 0;
  return n;
}

/* Two partners in the same bursts, one answering 200 and one 400: the
 * outcomes of several rounds share commits, and each is recorded for its
 * own delivery (delivered once, or held), ledger included. */
static void
test_batch_mixed_partners (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) good = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ledger = NULL;
  g_autoptr(GError) error = NULL;
  TestServer bad = { 0 };
  Partner *partner;
  ForwardStats stats;
  guint i;

  test_server_start (&bad, NULL);
  bad.mode = MODE_BAD_REQUEST;
  f->partners = fixture_partners (f);
  partner = make_partner ("refusing-partner", PARTNER_DELIVERY_WEBHOOK);
  partner->url = g_strdup_printf ("http://127.0.0.1:%u/hook", bad.port);
  partner_directory_add (f->partners, partner, &error);
  g_assert_no_error (error);
  /* Queued before the start, so that the first claims take many rounds
   * of two, the two partners mixed in each. */
  f->options.concurrency = 2;
  for (i = 0; i < 12; i++)
    {
      g_ptr_array_add (good, enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK,
                                      now (), NULL));
      g_ptr_array_add (refused, enqueue (f, "refusing-partner", DELIVERY_METHOD_WEBHOOK,
                                         now (), NULL));
    }
  fixture_start (f);
  for (i = 0; i < good->len; i++)
    {
      g_autoptr(Delivery) ok = wait_for_state (f, good->pdata[i], DELIVERY_DELIVERED, 20);
      g_autoptr(Delivery) held = wait_for_state (f, refused->pdata[i], DELIVERY_HELD, 20);

      g_assert_cmpint (ok->state, ==, DELIVERY_DELIVERED);
      g_assert_cmpuint (ok->attempts, ==, 1);
      g_assert_cmpuint (times_sent (&f->web, ok->id), ==, 1);
      g_assert_cmpint (held->state, ==, DELIVERY_HELD);
      g_assert_cmpstr (held->last_error, ==, "HTTP 400");
      g_assert_cmpuint (held->attempts, ==, 1);
      g_assert_cmpuint (times_sent (&bad, held->id), ==, 1);
    }
  g_assert_cmpuint (f->web.requests, ==, 12);
  g_assert_cmpuint (bad.requests, ==, 12);
  forward_get_stats (f->forwarder, &stats);
  g_assert_cmpuint (stats.delivered, ==, 12);
  g_assert_cmpuint (stats.held, ==, 12);
  g_assert_cmpuint (stats.deferred, ==, 0);

  ledger = store_ledger_for_ref (f->store, REF, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 24);
  for (i = 0; i < ledger->len; i++)
    {
      LedgerEntry *entry = ledger->pdata[i];
      gboolean is_good = g_strcmp0 (entry->partner, "webhook-partner") == 0;

      g_assert_cmpint (entry->state, ==, is_good ? DELIVERY_DELIVERED : DELIVERY_HELD);
      g_assert_true (is_good == (entry->delivered_at > 0));
    }
  g_clear_pointer (&f->forwarder, forward_free);
  test_server_stop (&bad);
}

/* The child's part of test_batch_crash: a forwarder in its own process on
 * the same file, running until it is killed. */
static void G_GNUC_NORETURN
forward_child (const char *path, const PartnerDirectory *partners,
               const ForwardOptions *options)
{
  GMainContext *context = g_main_context_new ();
  Forwarder *forwarder;
  Store *store;

  g_main_context_push_thread_default (context);
  store = store_open (path, NULL);
  if (store == NULL)
    _exit (3);
  forwarder = forward_new (store, partners, options, NULL);
  if (forwarder == NULL)
    _exit (4);
  forward_start (forwarder);
  for (;;)
    g_main_context_iteration (context, TRUE);
}

/* A forwarder killed (SIGKILL) while partners' answers are in and
 * outcomes wait for their shared commit: after the restart each delivery
 * is delivered exactly once in the store; one whose mark was lost is sent
 * exactly once more, with the same Idempotency-Key (so the partner, which
 * keeps one copy per key, has each report once), and one marked before
 * the crash is never sent again. */
static void
test_batch_crash (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) distinct = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *path = g_strdup (store_path (f->store));
  g_autofree guint *before = NULL;
  g_autofree gboolean *marked = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;
  guint i, lost = 0;
  int status = 0;
  pid_t pid;

  f->partners = fixture_partners (f);
  f->web.mode = MODE_SLOW;
  f->options.concurrency = 4;
  for (i = 0; i < 40; i++)
    g_ptr_array_add (ids, enqueue (f, "webhook-partner", DELIVERY_METHOD_WEBHOOK,
                                   now (), NULL));
  g_clear_pointer (&f->store, store_close);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    forward_child (path, f->partners, &f->options);
  /* Two rounds answered, the third on its way: kill it then. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (f->web.requests < 9 && g_get_monotonic_time () < deadline)
    run_for (5);
  run_for (20);
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0)
    ;
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpuint (f->web.requests, >=, 9);

  /* Alone on the file now: what the dead one had active is due again. */
  f->store = store_open (path, &error);
  g_assert_no_error (error);
  before = g_new0 (guint, ids->len);
  marked = g_new0 (gboolean, ids->len);
  for (i = 0; i < ids->len; i++)
    {
      g_autoptr(Delivery) delivery = store_get (f->store, ids->pdata[i], &error);

      g_assert_no_error (error);
      before[i] = times_sent (&f->web, ids->pdata[i]);
      marked[i] = delivery->state == DELIVERY_DELIVERED;
      g_assert_true (!marked[i] || before[i] == 1);
      lost += before[i] > 0 && !marked[i];
    }
  g_test_message ("%u sent but not recorded as delivered at the crash", lost);

  f->web.mode = MODE_OK;
  fixture_start (f);
  for (i = 0; i < ids->len; i++)
    {
      g_autoptr(Delivery) delivery = wait_for_state (f, ids->pdata[i],
                                                     DELIVERY_DELIVERED, 20);

      g_assert_cmpint (delivery->state, ==, DELIVERY_DELIVERED);
    }
  /* Let any stray second attempt show itself. */
  run_for (300);
  for (i = 0; i < ids->len; i++)
    {
      guint sent = times_sent (&f->web, ids->pdata[i]);

      if (marked[i])
        g_assert_cmpuint (sent, ==, 1);
      else
        g_assert_cmpuint (sent, ==, before[i] + 1);
    }
  for (i = 0; i < f->web.keys->len; i++)
    g_hash_table_add (distinct, g_ptr_array_index (f->web.keys, i));
  g_assert_cmpuint (g_hash_table_size (distinct), ==, ids->len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/forward/backoff", test_backoff);
  g_test_add_func ("/forward/classify", test_classify);
  g_test_add_func ("/forward/options/from-conf", test_options_from_conf);
  g_test_add_func ("/forward/options/from-conf-errors", test_options_from_conf_errors);
#define ADD(path, test) \
  g_test_add (path, Fixture, NULL, fixture_setup, test, fixture_teardown)
  ADD ("/forward/webhook/delivered-once", test_delivered_once);
  ADD ("/forward/webhook/purge-at-start", test_purge_at_start);
  ADD ("/forward/webhook/retry-then-delivered", test_retry_then_delivered);
  ADD ("/forward/webhook/retry-after", test_retry_after);
  ADD ("/forward/webhook/timeout", test_timeout);
  ADD ("/forward/webhook/connection-refused", test_connection_refused);
  ADD ("/forward/own-context", test_own_context);
  ADD ("/forward/free-in-flight", test_free_in_flight);
  ADD ("/forward/webhook/operator-hold-wins", test_operator_hold_wins);
  ADD ("/forward/webhook/bad-request-held", test_bad_request_held);
  ADD ("/forward/webhook/redirect-not-followed", test_redirect_not_followed);
  ADD ("/forward/webhook/max-age-held", test_max_age_held);
  ADD ("/forward/webhook/concurrency", test_concurrency_bound);
  ADD ("/forward/batch/mixed-partners", test_batch_mixed_partners);
  ADD ("/forward/batch/crash", test_batch_crash);
  ADD ("/forward/webhook/unknown-partner", test_unknown_partner_held);
  ADD ("/forward/webhook/tls-bad-certificate", test_tls_bad_certificate);
  ADD ("/forward/relay", test_relay);
  ADD ("/forward/relay-forbidden-host", test_relay_forbidden_host);
  ADD ("/forward/check-partner", test_check_partner);
  ADD ("/forward/email", test_email);
  ADD ("/forward/email-refused", test_email_refused);
#undef ADD
  return g_test_run ();
}
