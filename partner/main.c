/* saferoute-inbox: the partner-side receiver.
 *
 *   saferoute-inbox [serve]        webhook + local page
 *   saferoute-inbox list [--json]
 *   saferoute-inbox show ID [--json]
 *   saferoute-inbox pull           fetch from the gateway, store, ack
 *   saferoute-inbox import FILE    one envelope JSON file (e-mail delivery)
 *
 * Exit status: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <curl/curl.h>

#include "conf.h"
#include "demo.h"
#include "http.h"
#include "inbox.h"

#define EXIT_USAGE 2

static char *opt_config;
static char *opt_listen;
static char *opt_state_dir;
static gboolean opt_demo;
static gboolean opt_version;
static gboolean opt_json;

static const GOptionEntry inbox_options[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    N_("Read the configuration from FILE"), N_("FILE") },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen,
    N_("Listen on ADDR:PORT (overrides the configuration)"), N_("ADDR:PORT") },
  { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &opt_state_dir,
    N_("Keep the database in DIR (overrides the configuration)"), N_("DIR") },
  { "demo", 0, 0, G_OPTION_ARG_NONE, &opt_demo,
    N_("Run as the demo partner, with no configuration file"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
    N_("list, show: print JSON"), NULL },
  { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static const char *const inbox_known_keys[] = {
  "listen", "state_dir", "secret_key_file", "hmac_secret_file", "hmac_secret",
  "gateway_url", "pull_token", "pull_token_file", "partner", NULL
};

/* Secrets must not be readable by group or others; say which file and
 * what mode so the fix is one chmod away. */
static gboolean
inbox_check_private (const char *path, const char *what, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s %s: %s", what, path, g_strerror (saved));
      return FALSE;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID,
                   "%s %s has mode %04o: it must be 0600 (chmod 600 %s)",
                   what, path, (unsigned) (st.st_mode & 07777), path);
      return FALSE;
    }
  return TRUE;
}

static char *
inbox_read_secret (const char *path, const char *what, GError **error)
{
  g_autofree char *text = NULL;

  if (!inbox_check_private (path, what, error)
      || !g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_strstrip (text);
  if (*text == '\0')
    {
      g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID, "%s %s is empty",
                   what, path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

/* Where the configuration lives, to load the secret key later. */
typedef struct
{
  char *secret_key_file;
} InboxPaths;

static gboolean
inbox_configure_demo (Inbox *inbox, InboxPaths *paths, GError **error)
{
  g_autofree char *hmac_path = NULL;

  if (opt_state_dir)
    inbox->state_dir = g_strdup (opt_state_dir);
  else
    {
      inbox->state_dir = g_dir_make_tmp ("saferoute-inbox-XXXXXX", error);
      if (inbox->state_dir == NULL)
        return FALSE;
    }
  /* Makes STATE_DIR (0700) too. */
  if (!demo_ensure_keys (inbox->state_dir, error))
    return FALSE;
  paths->secret_key_file = demo_secret_key_path (inbox->state_dir);
  hmac_path = demo_hmac_secret_path (inbox->state_dir);
  inbox->hmac_secret = inbox_read_secret (hmac_path, "hmac secret file", error);
  if (inbox->hmac_secret == NULL)
    return FALSE;
  inbox->partner = g_strdup (DEMO_PARTNER_ID);
  inbox->listen = g_strdup (opt_listen ? opt_listen : DEMO_INBOX_LISTEN);
  inbox->gateway_url = g_strdup ("http://" DEMO_GATEWAY_LISTEN);
  return TRUE;
}

/* An optional secret given either inline (KEY) or as a file (KEY_file). */
static gboolean
inbox_conf_secret (const Conf *conf, const char *key, const char *file_key,
                   char **out, GError **error)
{
  g_autofree char *path = NULL;

  path = conf_get_path (conf, "inbox", file_key, "", FALSE, error);
  if (path == NULL)
    return FALSE;
  if (*path != '\0')
    {
      g_autofree char *where = conf_where (conf, "inbox", file_key);
      g_autoptr(GError) local = NULL;

      *out = inbox_read_secret (path, "file", &local);
      if (*out == NULL)
        {
          g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID, "%s: %s", where,
                       local->message);
          return FALSE;
        }
      return TRUE;
    }
  *out = conf_get_string (conf, "inbox", key, "", error);
  if (*out == NULL)
    return FALSE;
  if (**out == '\0')
    g_clear_pointer (out, g_free);
  return TRUE;
}

static gboolean
inbox_configure_file (Inbox *inbox, InboxPaths *paths, GError **error)
{
  const char *path = opt_config ? opt_config : conf_default_path ();
  g_autoptr(Conf) conf = conf_load_file (path, error);
  g_autofree char *listen = NULL;
  g_autofree char *state_dir = NULL;

  if (conf == NULL)
    return FALSE;
  if (!conf_has_group (conf, "inbox"))
    {
      g_set_error (error, CONF_ERROR, CONF_ERROR_MISSING,
                   "%s: no [inbox] group", conf_name (conf));
      return FALSE;
    }
  conf_warn_unknown_keys (conf, "inbox", inbox_known_keys);
  inbox->partner = conf_get_string (conf, "inbox", "partner", NULL, error);
  if (inbox->partner == NULL)
    return FALSE;
  listen = conf_get_string (conf, "inbox", "listen", DEMO_INBOX_LISTEN, error);
  if (listen == NULL)
    return FALSE;
  inbox->listen = g_strdup (opt_listen ? opt_listen : listen);
  state_dir = conf_get_path (conf, "inbox", "state_dir", NULL, FALSE, error);
  if (opt_state_dir == NULL && state_dir == NULL)
    return FALSE;
  g_clear_error (error);
  inbox->state_dir = g_strdup (opt_state_dir ? opt_state_dir : state_dir);
  paths->secret_key_file = conf_get_path (conf, "inbox", "secret_key_file",
                                          NULL, FALSE, error);
  if (paths->secret_key_file == NULL)
    return FALSE;
  {
    g_autoptr(GError) local = NULL;

    if (!inbox_check_private (paths->secret_key_file, "file", &local))
      {
        g_autofree char *where = conf_where (conf, "inbox", "secret_key_file");

          g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID, "%s: %s", where,
                     local->message);
        return FALSE;
      }
  }
  if (!inbox_conf_secret (conf, "hmac_secret", "hmac_secret_file",
                          &inbox->hmac_secret, error)
      || !inbox_conf_secret (conf, "pull_token", "pull_token_file",
                             &inbox->pull_token, error))
    return FALSE;
  inbox->gateway_url = conf_get_string (conf, "inbox", "gateway_url", "", error);
  if (inbox->gateway_url == NULL)
    return FALSE;
  if (*inbox->gateway_url == '\0')
    g_clear_pointer (&inbox->gateway_url, g_free);
  return TRUE;
}

static gboolean
inbox_open_store (Inbox *inbox, GError **error)
{
  g_autofree char *db = NULL;

  /* The store holds opened reports: nobody else may look in. */
  if (g_mkdir_with_parents (inbox->state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "state directory %s: %s", inbox->state_dir,
                   g_strerror (saved));
      return FALSE;
    }
  db = g_build_filename (inbox->state_dir, "inbox.sqlite", NULL);
  inbox->store = inbox_store_open (db, error);
  return inbox->store != NULL;
}

static gboolean
inbox_load_key (Inbox *inbox, const InboxPaths *paths, GError **error)
{
  if (!seal_init (error)
      || !inbox_check_private (paths->secret_key_file, "secret key file", error)
      || !seal_load_secret_key (paths->secret_key_file, inbox->public_key,
                                inbox->secret_key, error))
    return FALSE;
  inbox->have_key = TRUE;
  return TRUE;
}

static gboolean
inbox_on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
inbox_serve (Inbox *inbox)
{
  g_autoptr(SoupServer) server = soup_server_new ("server-header", NULL, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  http_limit_body (server, INBOX_BODY_MAX);
  inbox_webhook_register (inbox, server);
  inbox_page_register (inbox, server);
  if (!http_listen (server, inbox->listen, &error))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      return EXIT_FAILURE;
    }
  url = http_base_url (server);
  if (inbox->hmac_secret == NULL)
    g_warning ("no hmac_secret: POST /webhook will answer 503");
  g_message ("partner %s listening on %s (webhook %s/webhook, page %s/)",
             inbox->partner, url, url, url);
  g_unix_signal_add (SIGINT, inbox_on_signal, loop);
  g_unix_signal_add (SIGTERM, inbox_on_signal, loop);
  g_main_loop_run (loop);
  return EXIT_SUCCESS;
}

static void
inbox_json_member (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static JsonNode *
inbox_entry_to_json (const InboxEntry *entry, gboolean with_report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *received = report_format_time (entry->received_at);
  g_autofree char *created = report_format_time (entry->created_at);

  json_builder_begin_object (builder);
  inbox_json_member (builder, "id", entry->id);
  inbox_json_member (builder, "ref", entry->ref);
  inbox_json_member (builder, "partner", entry->partner);
  inbox_json_member (builder, "created_at", created);
  inbox_json_member (builder, "received_at", received);
  inbox_json_member (builder, "source", entry->source);
  inbox_json_member (builder, "category", entry->category);
  inbox_json_member (builder, "language", entry->language);
  inbox_json_member (builder, "contact_method", entry->contact_method);
  if (with_report)
    {
      JsonNode *report = json_from_string (entry->report_json, NULL);

      json_builder_set_member_name (builder, "report");
      if (report)
        json_builder_add_value (builder, report);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
inbox_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static int
inbox_cmd_list (Inbox *inbox)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = inbox_store_list (inbox->store, &error);

  if (entries == NULL)
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (opt_json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < entries->len; i++)
        json_array_add_element (array, inbox_entry_to_json (entries->pdata[i],
                                                            FALSE));
      json_node_take_array (root, array);
      inbox_print_json (root);
      return EXIT_SUCCESS;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      InboxEntry *entry = entries->pdata[i];
      g_autofree char *received = report_format_time (entry->received_at);

      g_print ("%s  %s  %-18s %-3s %-15s %s\n", entry->ref, received,
               entry->category, entry->language, entry->contact_method,
               entry->id);
    }
  return EXIT_SUCCESS;
}

static int
inbox_cmd_show (Inbox *inbox, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InboxEntry) entry = inbox_store_get (inbox->store, id, &error);
  g_autoptr(Report) report = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  g_autofree char *received = NULL;

  if (entry == NULL)
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (opt_json)
    {
      g_autoptr(JsonNode) root = inbox_entry_to_json (entry, TRUE);

      inbox_print_json (root);
      return EXIT_SUCCESS;
    }
  report = report_from_json (entry->report_json, -1, &error);
  if (report == NULL)
    {
      g_printerr ("saferoute-inbox: %s: stored report does not parse\n", id);
      return EXIT_FAILURE;
    }
  fields = inbox_report_fields (report);
  received = report_format_time (entry->received_at);
  g_print ("%s: %s\n", _("Received"), received);
  for (guint i = 0; i < fields->len; i++)
    {
      InboxField *field = fields->pdata[i];

      g_print ("%s: %s\n", field->label, field->value);
    }
  return EXIT_SUCCESS;
}

static int
inbox_cmd_import (Inbox *inbox, const char *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autoptr(Envelope) envelope = NULL;
  gsize length = 0;
  gboolean duplicate = FALSE;

  if (!g_file_get_contents (file, &data, &length, &error))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      return EXIT_FAILURE;
    }
  envelope = envelope_from_json (data, (gssize) length, &error);
  if (envelope == NULL
      || !inbox_receive (inbox, envelope, "import", &duplicate, &error))
    {
      g_printerr ("saferoute-inbox: %s: %s\n", file, error->message);
      return EXIT_FAILURE;
    }
  g_print ("%s %s %s\n", duplicate ? "duplicate" : "stored", envelope->id,
           envelope->ref);
  return EXIT_SUCCESS;
}

static int
inbox_cmd_pull (Inbox *inbox)
{
  g_autoptr(GError) error = NULL;
  guint stored = 0, duplicates = 0;
  gboolean ok = inbox_pull (inbox, &stored, &duplicates, &error);

  g_print ("stored %u, duplicate %u\n", stored, duplicates);
  if (!ok)
    {
      g_printerr ("saferoute-inbox: pull: %s\n", error->message);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

static void
inbox_init_gettext (void)
{
  const char *localedir = g_getenv ("SAFEROUTE_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (PACKAGE, "UTF-8");
  textdomain (PACKAGE);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Inbox) inbox = inbox_new ();
  InboxPaths paths = { NULL };
  const char *command;
  int status;

  inbox_init_gettext ();
  /* TRANSLATORS: the command line synopsis after the program name. */
  context = g_option_context_new (_("[serve | list | show ID | pull | import FILE]"));
  g_option_context_set_summary (context,
    _("Receive saferoute reports for one partner organisation: verify\n"
      "webhook signatures, open envelopes, keep them in a local database\n"
      "and show them on a page served to this machine only."));
  g_option_context_set_description (context,
    _("Exit status: 0 ok, 1 runtime failure, 2 bad usage or configuration.\n"
      "See saferoute-inbox(1)."));
  g_option_context_add_main_entries (context, inbox_options, PACKAGE);
  g_option_context_set_translation_domain (context, PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (opt_version)
    {
      g_print ("saferoute-inbox (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  command = argc > 1 ? argv[1] : "serve";
  if (!((g_str_equal (command, "serve") && argc <= 2)
        || (g_str_equal (command, "list") && argc == 2)
        || (g_str_equal (command, "pull") && argc == 2)
        || (g_str_equal (command, "show") && argc == 3)
        || (g_str_equal (command, "import") && argc == 3)))
    {
      g_printerr ("saferoute-inbox: bad usage: %s (see --help)\n", command);
      return EXIT_USAGE;
    }

  if (!(opt_demo ? inbox_configure_demo (inbox, &paths, &error)
                 : inbox_configure_file (inbox, &paths, &error)))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      g_free (paths.secret_key_file);
      return error->domain == CONF_ERROR ? EXIT_USAGE : EXIT_FAILURE;
    }
  if (!inbox_open_store (inbox, &error))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      g_free (paths.secret_key_file);
      return EXIT_FAILURE;
    }
  /* Listing needs only the store: workers need not touch the key. */
  if (!g_str_equal (command, "list") && !g_str_equal (command, "show")
      && !inbox_load_key (inbox, &paths, &error))
    {
      g_printerr ("saferoute-inbox: %s\n", error->message);
      g_free (paths.secret_key_file);
      return EXIT_USAGE;
    }
  g_free (paths.secret_key_file);

  if (g_str_equal (command, "serve"))
    status = inbox_serve (inbox);
  else if (g_str_equal (command, "list"))
    status = inbox_cmd_list (inbox);
  else if (g_str_equal (command, "show"))
    status = inbox_cmd_show (inbox, argv[2]);
  else if (g_str_equal (command, "import"))
    status = inbox_cmd_import (inbox, argv[2]);
  else
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      status = inbox_cmd_pull (inbox);
      curl_global_cleanup ();
    }
  g_free (opt_config);
  g_free (opt_listen);
  g_free (opt_state_dir);
  return status;
}
