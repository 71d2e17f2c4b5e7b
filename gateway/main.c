/* saferoute-gateway: the durable queue, the forwarder and the gateway's
 * HTTP endpoints (server.c) in one process on one GLib main loop.
 *
 * Start-up order matters: configuration and partner directory first (a bad
 * file exits 2 before anything is opened), then the store (which re-queues
 * deliveries a crash left active), then the forwarder, and the listening
 * socket last, so nothing is accepted before it can be made durable.
 * SIGTERM/SIGINT stop the loop; in-flight transfers are abandoned and
 * retried at the next start (at-least-once, idempotency key). */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "demo.h"
#include "gateway.h"
#include "http.h"
#include "kiosk.h"
#include "lang.h"
#include "seal.h"
#include "sms-http.h"

#define GATEWAY_DEFAULT_LISTEN "127.0.0.1:8081"
#define GATEWAY_DEFAULT_MAX_BODY 131072

/* Keys this program reads; anything else in these groups is a warning
 * (probably a typo).  One per line: other endpoints add theirs. */
static const char *const gateway_known_keys[] = {
  "listen",
  "state_dir",
  "max_body",
  "forward_concurrency",
  "forward_timeout",
  "ca_file",
  "relay_url",
  "relay_token",
  "public_url",
  "web_idle_timeout",
  "web_idle_warning",
  "area",
  "assets_dir",
  "fonts_dir",
  "site",
  "helpline_domestic_abuse",
  "helpline_modern_slavery",
  "neutral_title",
  "local_paragraph_en",
  "local_paragraph_pa",
  "local_paragraph_ur",
  "local_paragraph_ar",
  "local_paragraph_so",
  "local_paragraph_sq",
  NULL
};

static const char *const retention_known_keys[] = {
  "retry_base",
  "retry_factor",
  "retry_cap",
  "max_age",
  "delivered",
  NULL
};

typedef struct
{
  char     *config;
  char     *listen;
  char     *state_dir;
  char     *demo_inbox;
  gboolean  demo;
  gboolean  version;
  gboolean  allow_missing;
} GatewayOptions;

static void
gateway_options_clear (GatewayOptions *options)
{
  g_free (options->config);
  g_free (options->listen);
  g_free (options->state_dir);
  g_free (options->demo_inbox);
}

/* Removes PATH and everything below it (the demo's own temporary state:
 * demo reports must not outlive the demo). */
static void
gateway_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        gateway_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
gateway_clear (Gateway *gateway)
{
  sms_http_stop (gateway);
  g_clear_pointer (&gateway->web, web_free);
  g_clear_pointer (&gateway->forwarder, forward_free);
  g_clear_pointer (&gateway->intake, intake_free);
  g_clear_pointer (&gateway->store, store_close);
  g_clear_pointer (&gateway->partners, partner_directory_free);
  g_clear_pointer (&gateway->conf, conf_free);
  if (gateway->state_dir_is_temporary)
    gateway_remove_tree (gateway->state_dir);
  g_clear_pointer (&gateway->state_dir, g_free);
  forward_options_clear (&gateway->forward_options);
}

static int
gateway_fail (int status, const GError *error)
{
  g_printerr ("%s: %s\n", g_get_prgname (), error->message);
  return status;
}

static gboolean
gateway_on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("stopping");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

/* A listen address that cannot even be parsed is bad usage or a bad
 * file (exit 2), unlike one that is taken (exit 1). */
static gboolean
gateway_check_listen (const Conf *conf, gboolean from_option,
                      const char *listen_addr, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port;
  g_autoptr(GError) local = NULL;

  if (conf_parse_listen (listen_addr, &host, &port, &local))
    return TRUE;
  if (from_option)
    g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID, "--listen: %s",
                 local->message);
  else
    {
      g_autofree char *where = conf_where (conf, "gateway", "listen");

      g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID, "%s: %s", where,
                   local->message);
    }
  return FALSE;
}

/* Loads the configuration (or the demo one) and decides the state
 * directory.  Errors here are configuration errors: exit 2. */
static gboolean
gateway_configure (Gateway *gateway, GatewayOptions *options, GError **error)
{
  if (options->demo)
    {
      if (options->config != NULL)
        g_printerr (_("%s: --config is ignored with --demo\n"), g_get_prgname ());
      if (options->state_dir != NULL)
        gateway->state_dir = g_strdup (options->state_dir);
      else
        {
          gateway->state_dir = g_dir_make_tmp ("saferoute-demo-XXXXXX", error);
          if (gateway->state_dir == NULL)
            return FALSE;
          gateway->state_dir_is_temporary = TRUE;
        }
      if (g_mkdir_with_parents (gateway->state_dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("cannot create state directory %s: %s"),
                       gateway->state_dir, g_strerror (saved_errno));
          return FALSE;
        }
      gateway->conf = demo_conf (gateway->state_dir,
                                 options->demo_inbox ? options->demo_inbox
                                                     : DEMO_INBOX_URL,
                                 error);
      gateway->demo = TRUE;
      return gateway->conf != NULL;
    }

  gateway->conf = conf_load_file (options->config ? options->config
                                                  : conf_default_path (),
                                  error);
  if (gateway->conf == NULL)
    return FALSE;
  conf_warn_unknown_keys (gateway->conf, "gateway", gateway_known_keys);
  conf_warn_unknown_keys (gateway->conf, "retention", retention_known_keys);
  if (options->state_dir != NULL)
    gateway->state_dir = g_strdup (options->state_dir);
  else
    gateway->state_dir = conf_get_path (gateway->conf, "gateway", "state_dir",
                                        NULL, FALSE, error);
  return gateway->state_dir != NULL;
}

static int
gateway_run (GatewayOptions *options)
{
  Gateway gateway = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *listen_addr = NULL;
  g_autofree char *url = NULL;
  gint64 max_body = GATEWAY_DEFAULT_MAX_BODY;
  guint sigterm, sigint;
  int status = 0;

  forward_options_init (&gateway.forward_options);
  if (!gateway_configure (&gateway, options, &error)
      || !(gateway.partners = partner_directory_load (gateway.conf, &error))
      || !forward_options_from_conf (&gateway.forward_options, gateway.conf,
                                     "gateway", &error)
      || !conf_get_int (gateway.conf, "gateway", "max_body",
                        GATEWAY_DEFAULT_MAX_BODY, 1024, 16 * 1024 * 1024,
                        &max_body, &error)
      || !(listen_addr = options->listen
                      ? g_strdup (options->listen)
                      : conf_get_string (gateway.conf, "gateway", "listen",
                                         GATEWAY_DEFAULT_LISTEN, &error))
      || !gateway_check_listen (gateway.conf, options->listen != NULL,
                                listen_addr, &error)
      || !web_configure (&gateway, NULL, NULL, &error))
    {
      status = gateway_fail (2, error);
      goto out;
    }

  if (!seal_init (&error))
    {
      status = gateway_fail (1, error);
      goto out;
    }
  if (g_mkdir_with_parents (gateway.state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_printerr (_("%s: cannot create state directory %s: %s\n"),
                  g_get_prgname (), gateway.state_dir, g_strerror (saved_errno));
      status = 1;
      goto out;
    }
  db_path = g_build_filename (gateway.state_dir, "gateway.db", NULL);
  gateway.store = store_open (db_path, &error);
  if (gateway.store == NULL)
    {
      status = gateway_fail (1, error);
      goto out;
    }
  gateway.intake = intake_new (gateway.store, gateway.partners, FALSE);
  gateway.forwarder = forward_new (gateway.store, gateway.partners,
                                   &gateway.forward_options, &error);
  if (gateway.forwarder == NULL)
    {
      status = gateway_fail (1, error);
      goto out;
    }

  if (!sms_http_start (&gateway, &error))
    {
      status = gateway_fail (error->domain == CONF_ERROR
                             || g_error_matches (error, SMSDESK_ERROR,
                                                 SMSDESK_ERROR_CONFIG) ? 2 : 1,
                             error);
      goto out;
    }

  server = soup_server_new (NULL, NULL);
  http_limit_body (server, max_body);
  gateway_server_install (&gateway, server);
  web_start (&gateway);
  if (!http_listen (server, listen_addr, &error))
    {
      status = gateway_fail (1, error);
      goto out;
    }
  url = http_base_url (server);
  forward_start (gateway.forwarder);

  loop = g_main_loop_new (NULL, FALSE);
  sigterm = g_unix_signal_add (SIGTERM, gateway_on_signal, loop);
  sigint = g_unix_signal_add (SIGINT, gateway_on_signal, loop);
  g_message ("listening on %s, state in %s, %u partners%s", url,
             gateway.state_dir, partner_directory_size (gateway.partners),
             gateway.demo ? " (demo)" : "");
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  soup_server_disconnect (server);

out:
  gateway_clear (&gateway);
  return status;
}

int
main (int argc, char **argv)
{
  GatewayOptions options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv ("SAFEROUTE_LOCALEDIR");
  int status;
  GOptionEntry entries[] = {
    /* TRANSLATORS: --help text; FILE is a placeholder. */
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options.config,
      N_("Configuration file"), N_("FILE") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options.listen,
      N_("Listen on ADDR:PORT (default 127.0.0.1:8081)"), N_("ADDR:PORT") },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &options.state_dir,
      N_("Directory for the queue database"), N_("DIR") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &options.demo,
      N_("Run with the demo partner and no configuration file"), NULL },
    { "demo-inbox", 0, 0, G_OPTION_ARG_STRING, &options.demo_inbox,
      N_("With --demo: the demo partner's inbox (default http://127.0.0.1:8082)"),
      N_("URL") },
    { "allow-missing-translations", 0, 0, G_OPTION_ARG_NONE,
      &options.allow_missing,
      /* Not translated: a developer's switch, and new strings would
       * only wait for translators. */
      "Development only: start even when a language's catalog is missing "
      "or untranslated (that language shows English)",
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  /* glibc adapts its mmap and trim thresholds to the largest block freed
   * so far, and a busy gateway (request bodies, SQLite pages, curl
   * buffers) keeps moving them: it then trims and refills the top of the
   * heap over and over.  Fixed thresholds measured 10 to 20% more SMS
   * webhooks a second (bench/sms.sh's path under wrk), for at most 8 MiB
   * of free heap kept. */
  mallopt (M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 8 * 1024 * 1024);
  setlocale (LC_ALL, "");
  bindtextdomain (PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (PACKAGE, "UTF-8");
  textdomain (PACKAGE);
  g_set_prgname ("saferoute-gateway");

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Queue reports and forward them, sealed, to partner organisations."));
  g_option_context_add_main_entries (context, entries, PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      gateway_options_clear (&options);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr (_("%s: unexpected argument: %s\n"), g_get_prgname (), argv[1]);
      gateway_options_clear (&options);
      return 2;
    }
  if (options.version)
    {
      g_print ("saferoute-gateway %s\n", PACKAGE_VERSION);
      gateway_options_clear (&options);
      return 0;
    }
  /* The web wizard renders every language: refuse to start rather than
   * show English to someone who chose another language (as the kiosk). */
  /* The environment variable is the same development switch, for test
   * suites and `make run` while translations are being finished. */
  lang_allow_missing (options.allow_missing
                      || g_getenv ("SAFEROUTE_ALLOW_MISSING_TRANSLATIONS") != NULL);
  if (!lang_init (NULL, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      /* Not translated: the catalogs are what is missing. */
      g_printerr ("%s: refusing to start rather than show English to "
                  "someone who chose another language\n", g_get_prgname ());
      gateway_options_clear (&options);
      return 2;
    }
  status = gateway_run (&options);
  gateway_options_clear (&options);
  return status;
}
