/* bench-forward: deliveries per second from the queue to a partner on
 * loopback, next to its ceiling.
 *
 *  (a) the forwarder (forward.c on a GLib main loop) draining a real SQLite
 *      store filled with sealed reports through intake_submit, to a
 *      webhook partner: claim, sign, POST, mark delivered;
 *  (b) the ceiling: a bare libcurl multi loop posting the same envelope
 *      bodies to the same endpoint with the same concurrency and the same
 *      connection reuse, and no store at all.
 *
 * Both run in this thread, in alternating slices, so that both see the same
 * machine; the partner is a libsoup server on its own thread and main
 * context (it does nothing heavy: reads the body, answers 200), so it does
 * not share the forwarder's loop.  Goal: (a) at least half of (b). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "forward.h"
#include "http.h"
#include "intake.h"
#include "seal.h"
#include "store.h"
#include "bench-util.h"

#define GOAL 0.5

/* ------------------------------------------------------------ partner */

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  GAsyncQueue  *ready;     /* the base URL, or "" on failure */
  guint64       requests;  /* touched by the partner thread only */
} PartnerServer;

static void
on_hook (SoupServer *server, SoupServerMessage *msg, const char *path,
         GHashTable *query, gpointer user_data)
{
  PartnerServer *partner = user_data;

  partner->requests++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
}

static gpointer
partner_thread (gpointer data)
{
  PartnerServer *partner = data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (partner->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/hook", on_hook, partner, NULL);
  if (!http_listen (server, "127.0.0.1:0", &error))
    {
      g_printerr ("bench-forward: partner: %s\n", error->message);
      g_async_queue_push (partner->ready, g_strdup (""));
    }
  else
    {
      g_async_queue_push (partner->ready, http_base_url (server));
      g_main_loop_run (partner->loop);
    }
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (partner->context);
  return NULL;
}

/* Returns the partner's base URL. */
static char *
partner_start (PartnerServer *partner)
{
  char *url;

  partner->context = g_main_context_new ();
  partner->loop = g_main_loop_new (partner->context, FALSE);
  partner->ready = g_async_queue_new ();
  partner->thread = g_thread_new ("partner", partner_thread, partner);
  url = g_async_queue_pop (partner->ready);
  if (*url == '\0')
    exit (1);
  return url;
}

static gboolean
partner_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
partner_stop (PartnerServer *partner)
{
  g_main_context_invoke (partner->context, partner_quit, partner->loop);
  g_thread_join (partner->thread);
  g_main_loop_unref (partner->loop);
  g_main_context_unref (partner->context);
  g_async_queue_unref (partner->ready);
}

/* -------------------------------------------------------------- forwarder */

typedef struct
{
  Forwarder    *forwarder;
  GMainContext *context;
  guint64       reports;    /* in the queue at the start */
  guint64       delivered;  /* as of the last step */
} ForwardSide;

static guint
step_forward (gpointer data)
{
  ForwardSide *side = data;
  ForwardStats stats;
  guint done;

  if (side->delivered >= side->reports)
    return G_MAXUINT;
  g_main_context_iteration (side->context, TRUE);
  forward_get_stats (side->forwarder, &stats);
  done = (guint) (stats.delivered - side->delivered);
  side->delivered = stats.delivered;
  return done;
}

/* ----------------------------------------------------------- the ceiling */

typedef struct
{
  CURLM     *multi;
  GPtrArray *bodies;   /* envelope JSON from the queue */
  char      *url;
  guint      next;
  struct curl_slist *headers;
  GPtrArray *easies;
} CurlSide;

static void
curl_side_post (CurlSide *side, CURL *easy)
{
  const char *body = g_ptr_array_index (side->bodies, side->next++ % side->bodies->len);

  curl_easy_setopt (easy, CURLOPT_URL, side->url);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (body));
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, side->headers);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_multi_add_handle (side->multi, easy);
}

static size_t
on_body (char *data, size_t size, size_t count, void *user_data)
{
  return size * count;
}

static void
curl_side_init (CurlSide *side, const char *url, GPtrArray *bodies, guint concurrency)
{
  side->multi = curl_multi_init ();
  side->easies = g_ptr_array_new ();
  side->url = g_strdup (url);
  side->bodies = bodies;
  side->headers = curl_slist_append (NULL, "Content-Type: application/json");
  side->headers = curl_slist_append (side->headers, "Expect:");
  curl_multi_setopt (side->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) concurrency);
  curl_multi_setopt (side->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) concurrency);
  for (guint i = 0; i < concurrency; i++)
    {
      CURL *easy = curl_easy_init ();

      curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, on_body);
      g_ptr_array_add (side->easies, easy);
      curl_side_post (side, easy);
    }
}

static guint
step_curl (gpointer data)
{
  CurlSide *side = data;
  CURLMsg *message;
  int running = 0, pending;
  guint done = 0;

  curl_multi_perform (side->multi, &running);
  while ((message = curl_multi_info_read (side->multi, &pending)) != NULL)
    {
      CURL *easy = message->easy_handle;
      long status = 0;

      if (message->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
      if (message->data.result != CURLE_OK || status != 200)
        {
          g_printerr ("bench-forward: bare curl: %s, HTTP %ld\n",
                      curl_easy_strerror (message->data.result), status);
          exit (1);
        }
      done++;
      curl_multi_remove_handle (side->multi, easy);
      curl_side_post (side, easy);
    }
  curl_multi_poll (side->multi, NULL, 0, 100, NULL);
  return done;
}

static void
curl_side_clear (CurlSide *side)
{
  for (guint i = 0; i < side->easies->len; i++)
    {
      curl_multi_remove_handle (side->multi, side->easies->pdata[i]);
      curl_easy_cleanup (side->easies->pdata[i]);
    }
  g_ptr_array_free (side->easies, TRUE);
  curl_multi_cleanup (side->multi);
  curl_slist_free_all (side->headers);
  g_free (side->url);
}

/* ------------------------------------------------------------------ main */

/* Queues up to N reports, for at most SECONDS: on a slow disk (one fsync
 * per report) fewer, but the forwarder is slower there too.  Returns how
 * many. */
static guint64
fill (Intake *intake, guint64 n, double seconds)
{
  g_autoptr(Report) report = report_new ();
  g_autoptr(GError) error = NULL;

  report->category = g_strdup ("domestic-abuse");
  report->partner = g_strdup (BENCH_PARTNER_ID);
  report->message = g_strnfill (600, 'm');
  double start = bench_now ();
  guint64 i;

  for (i = 0; i < n && bench_now () - start < seconds; i++)
    {
      g_free (report->id);
      report->id = g_uuid_string_random ();
      if (!intake_submit (intake, report, NULL, NULL, &error))
        bench_die ("intake_submit", error);
    }
  return i;
}

int
main (int argc, char **argv)
{
  g_autofree char *parent = NULL;
  double seconds = 8.0, fill_seconds = 30.0;
  int reports = 12000, concurrency = 8;
  GOptionEntry entries[] = {
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &parent,
      "Where to put the database (default: current directory)", "DIR" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      "How long both sides run together (default 8)", "S" },
    { "reports", 'n', 0, G_OPTION_ARG_INT, &reports,
      "Reports queued at the start, at most (default 12000)", "N" },
    { "fill-seconds", 'f', 0, G_OPTION_ARG_DOUBLE, &fill_seconds,
      "Time allowed for queueing them (default 30)", "S" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency,
      "Transfers at once, both sides (default 8, the forwarder's)", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr(GOptionContext) options_context = g_option_context_new ("- forwarder benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  guint8 public_key[SEAL_PUBLIC_KEY_BYTES], secret_key[SEAL_SECRET_KEY_BYTES];
  g_autoptr(PartnerDirectory) partners = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) bodies = g_ptr_array_new ();
  guint64 counts[DELIVERY_N_STATES] = { 0 };
  PartnerServer partner = { 0 };
  ForwardOptions options;
  ForwardSide fs = { 0 };
  CurlSide cs = { 0 };
  BenchSide forward_side = { step_forward, &fs, 0, 0 };
  BenchSide curl_side = { step_curl, &cs, 0, 0 };
  double t, ratio;

  g_set_prgname ("bench-forward");
  g_option_context_add_main_entries (options_context, entries, NULL);
  if (!g_option_context_parse (options_context, &argc, &argv, &error)
      || reports < 1 || concurrency < 1 || seconds <= 0)
    {
      g_printerr ("bench-forward: %s\n", error != NULL ? error->message
                  : "--reports, --concurrency and --seconds must be positive");
      return 2;
    }
  bench_quiet_logs ();
  if (!seal_init (&error))
    bench_die ("seal_init", error);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  crypto_box_keypair (public_key, secret_key);

  base = partner_start (&partner);
  url = g_strconcat (base, "/hook", NULL);
  partners = partner_directory_new ();
  if (!partner_directory_add (partners, bench_partner_new (url, public_key), &error))
    bench_die ("partner", error);

  dir = bench_make_dir (parent, "bench-forward");
  path = g_build_filename (dir, "queue.db", NULL);
  store = store_open (path, &error);
  if (store == NULL)
    bench_die (path, error);
  t = bench_now ();
  {
    g_autoptr(Intake) intake = intake_new (store, partners, FALSE);

    fs.reports = fill (intake, (guint64) reports, fill_seconds);
  }
  printf ("bench-forward: %" G_GUINT64_FORMAT " sealed reports queued through "
          "intake_submit in %.1f s; partner %s on its own thread; concurrency %d\n",
          fs.reports, bench_now () - t, url, concurrency);
  fflush (stdout);

  /* The ceiling posts the very envelopes the forwarder will send. */
  queued = store_list (store, DELIVERY_QUEUED, 1000, &error);
  if (queued == NULL)
    bench_die ("store_list", error);
  g_ptr_array_set_free_func (queued, (GDestroyNotify) delivery_free);
  for (guint i = 0; i < queued->len; i++)
    g_ptr_array_add (bodies, ((Delivery *) g_ptr_array_index (queued, i))->envelope_json);
  curl_side_init (&cs, url, bodies, (guint) concurrency);

  forward_options_init (&options);
  options.concurrency = (guint) concurrency;
  fs.context = g_main_context_ref_thread_default ();
  fs.forwarder = forward_new (store, partners, &options, &error);
  if (fs.forwarder == NULL)
    bench_die ("forward_new", error);
  forward_start (fs.forwarder);

  bench_alternate (&forward_side, &curl_side, seconds, 0.25);
  if (fs.delivered >= fs.reports)
    printf ("  (the queue ran dry after %.1f s of forwarding: raise --reports for a longer run)\n",
            forward_side.seconds);

  g_clear_pointer (&fs.forwarder, forward_free);
  curl_side_clear (&cs);
  if (!store_counts (store, counts, &error))
    bench_die ("store_counts", error);
  partner_stop (&partner);

  ratio = bench_rate (&forward_side) / bench_rate (&curl_side);
  printf ("forwarder, queue -> partner:  %7.0f deliveries/s (%" G_GUINT64_FORMAT
          " in %.1f s; %" G_GUINT64_FORMAT " marked delivered in the store)\n",
          bench_rate (&forward_side), forward_side.done, forward_side.seconds,
          counts[DELIVERY_DELIVERED]);
  printf ("ceiling, bare libcurl multi:  %7.0f posts/s      (%" G_GUINT64_FORMAT
          " in %.1f s; same bodies, endpoint, concurrency)\n",
          bench_rate (&curl_side), curl_side.done, curl_side.seconds);
  printf ("ratio %.2f (goal >= %.2f)%s\n", ratio, GOAL,
          ratio >= GOAL ? "" : "  BELOW GOAL");

  g_clear_pointer (&store, store_close);
  g_main_context_unref (fs.context);
  bench_remove_db (path);
  g_rmdir (dir);
  return 0;
}
