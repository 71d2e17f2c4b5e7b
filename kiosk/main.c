/* saferoute-kiosk: the touchscreen front door (DESIGN.md, issue 3).
 *
 * Serves the explainer and the report wizard on 127.0.0.1, seals each
 * report at the kiosk, queues it in its own store (STATE_DIR/kiosk.db) and
 * forwards it to the partner, or to the gateway relay when [kiosk]
 * relay_url is set, so it keeps working while the centre is offline.
 * Refuses to start without every language's catalog (lang.h).
 * Exit: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <locale.h>
#include <sodium.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "kiosk.h"
#include "demo.h"
#include "http.h"
#include "lang.h"

/* One screen serves one person at a time; a few hundred sessions covers
 * abandoned ones until they expire, and bounds memory whatever happens. */
#define KIOSK_MAX_SESSIONS 256

/* The retry schedule (retry_base, retry_factor, retry_cap, max_age) is
 * read from [retention], as for the gateway: listed here it would be
 * accepted in [kiosk] and silently ignored, so an operator who puts it
 * there is warned instead. */
static const char *const kiosk_keys[] = {
  "listen", "state_dir", "idle_timeout", "idle_warning", "area",
  "relay_url", "relay_token", "ca_file", "forward_concurrency",
  "forward_timeout", "assets_dir", "fonts_dir", NULL,
};

static gboolean
kiosk_quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
kiosk_free (Kiosk *kiosk)
{
  if (kiosk->sweep_id)
    g_source_remove (kiosk->sweep_id);
  g_clear_object (&kiosk->server);
  g_clear_pointer (&kiosk->sessions, session_store_free);
  g_clear_pointer (&kiosk->forwarder, forward_free);
  g_clear_pointer (&kiosk->intake, intake_free);
  g_clear_pointer (&kiosk->store, store_close);
  g_clear_pointer (&kiosk->partners, partner_directory_free);
  g_clear_pointer (&kiosk->site, views_site_free);
  g_clear_pointer (&kiosk->conf, conf_free);
  g_free (kiosk->area);
  g_free (kiosk->assets_dir);
  g_free (kiosk->fonts_dir);
}

/* Everything that can be wrong in the configuration: exit 2. */
static gboolean
kiosk_configure (Kiosk *kiosk, const char *state_dir, ForwardOptions *fopts,
                 GError **error)
{
  g_autoptr(GStrvBuilder) known = g_strv_builder_new ();
  g_auto(GStrv) keys = NULL;

  /* Ours, the views' (site, helplines, local paragraphs) and forward's. */
  g_strv_builder_addv (known, (const char **) kiosk_keys);
  g_strv_builder_addv (known, (const char **) views_site_keys);
  keys = g_strv_builder_end (known);
  conf_warn_unknown_keys (kiosk->conf, "kiosk", (const char *const *) keys);
  if (!kiosk_front_configure (kiosk, "kiosk", "", 90, 60, error))
    return FALSE;
  kiosk->partners = partner_directory_load (kiosk->conf, error);
  if (kiosk->partners == NULL)
    return FALSE;
  if (!forward_options_from_conf (fopts, kiosk->conf, "kiosk", error))
    return FALSE;
  kiosk->context.partners = kiosk->partners;
  kiosk->context.channel = "kiosk";
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *assets_dir = NULL;
  g_autofree char *fonts_dir = NULL;
  g_autofree char *localedir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *url = NULL;
  g_autofree char *demo_inbox = NULL;
  gint idle_timeout = 0, idle_warning = 0;
  gboolean demo = FALSE, version = FALSE, allow_missing = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Configuration file (default " SYSCONFDIR "/saferoute/saferoute.conf)", "FILE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "Address to listen on (default " DEMO_KIOSK_LISTEN ")", "ADDR:PORT" },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Directory for the queue (kiosk.db)", "DIR" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      "No configuration: the demo partner, delivering to the demo inbox", NULL },
    { "demo-inbox", 0, 0, G_OPTION_ARG_STRING, &demo_inbox,
      "With --demo: the demo inbox's URL (default " DEMO_INBOX_URL ")", "URL" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Wipe an unfinished session after this many idle seconds "
      "(overrides [kiosk] idle_timeout)", "SECONDS" },
    { "idle-warning", 0, 0, G_OPTION_ARG_INT, &idle_warning,
      "Warn after this many idle seconds (overrides [kiosk] idle_warning)",
      "SECONDS" },
    { "assets-dir", 0, 0, G_OPTION_ARG_FILENAME, &assets_dir,
      "CSS and script (default " PKGDATADIR "/kiosk)", "DIR" },
    { "fonts-dir", 0, 0, G_OPTION_ARG_FILENAME, &fonts_dir,
      "Noto fonts (default " KIOSK_FONTS_DIR ")", "DIR" },
    { "localedir", 0, 0, G_OPTION_ARG_FILENAME, &localedir,
      "Message catalogs (default " LOCALEDIR ")", "DIR" },
    { "allow-missing-translations", 0, 0, G_OPTION_ARG_NONE, &allow_missing,
      "Development only: start even when a language's catalog is missing "
      "or untranslated (that language shows English)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) options =
    g_option_context_new ("- saferoute kiosk: explain, then report through a partner");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  ForwardOptions fopts;
  Kiosk kiosk = { 0 };
  int status = 0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("saferoute-kiosk %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (sodium_init () < 0)
    {
      g_printerr ("saferoute-kiosk: libsodium failed to initialise\n");
      return 1;
    }
  lang_allow_missing (allow_missing);
  if (!lang_init (localedir, &error))
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      g_printerr ("saferoute-kiosk: refusing to start rather than show "
                  "English to someone who chose another language\n");
      return 2;
    }

  if (demo && state_dir == NULL)
    state_dir = g_dir_make_tmp ("saferoute-kiosk-XXXXXX", &error);
  if (demo)
    kiosk.conf = state_dir ? demo_conf (state_dir,
                                        demo_inbox ? demo_inbox : DEMO_INBOX_URL,
                                        &error)
                           : NULL;
  else
    kiosk.conf = conf_load_file (config_path ? config_path
                                             : conf_default_path (), &error);
  forward_options_init (&fopts);
  if (kiosk.conf && idle_timeout > 0)
    {
      g_autofree char *text = g_strdup_printf ("%d", idle_timeout);
      conf_set_string (kiosk.conf, "kiosk", "idle_timeout", text);
    }
  if (kiosk.conf && idle_warning > 0)
    {
      g_autofree char *text = g_strdup_printf ("%d", idle_warning);
      conf_set_string (kiosk.conf, "kiosk", "idle_warning", text);
    }
  if (kiosk.conf == NULL || !kiosk_configure (&kiosk, state_dir, &fopts, &error))
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 2;
      goto out;
    }
  if (listen == NULL
      && (listen = conf_get_string (kiosk.conf, "kiosk", "listen",
                                    DEMO_KIOSK_LISTEN, &error)) == NULL)
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 2;
      goto out;
    }
  if (state_dir == NULL
      && (state_dir = conf_get_path (kiosk.conf, "kiosk", "state_dir",
                                     "/var/lib/saferoute", FALSE, &error)) == NULL)
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 2;
      goto out;
    }
  if (!kiosk_front_dirs (&kiosk, "kiosk", assets_dir, fonts_dir, &error))
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 2;
      goto out;
    }

  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      g_printerr ("saferoute-kiosk: cannot create %s\n", state_dir);
      status = 1;
      goto out;
    }
  db = g_build_filename (state_dir, "kiosk.db", NULL);
  kiosk.store = store_open (db, &error);
  if (kiosk.store == NULL)
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 1;
      goto out;
    }
  kiosk.intake = intake_new (kiosk.store, kiosk.partners,
                             fopts.relay_url != NULL && *fopts.relay_url);
  kiosk.forwarder = forward_new (kiosk.store, kiosk.partners, &fopts, &error);
  if (kiosk.forwarder == NULL)
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 2;
      goto out;
    }
  kiosk.sessions = session_store_new ((gint64) kiosk.idle_timeout * G_USEC_PER_SEC,
                                      KIOSK_MAX_SESSIONS);
  if (!kiosk_server_start (&kiosk, listen, &error))
    {
      g_printerr ("saferoute-kiosk: %s\n", error->message);
      status = 1;
      goto out;
    }
  forward_start (kiosk.forwarder);
  kiosk.sweep_id = g_timeout_add_seconds (1, kiosk_front_sweep, &kiosk);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, kiosk_quit, loop);
  g_unix_signal_add (SIGTERM, kiosk_quit, loop);
  url = http_base_url (kiosk.server);
  printf ("saferoute-kiosk: listening on %s/\n", url);
  fflush (stdout);
  g_main_loop_run (loop);
  g_message ("stopping: %u unfinished session(s) wiped",
             session_store_size (kiosk.sessions));

out:
  forward_options_clear (&fopts);
  kiosk_free (&kiosk);
  return status;
}
