/* saferoutectl: the operator's tool for a gateway's or a kiosk's queue.
 *
 * It opens the same SQLite file as the running server (WAL lets both
 * work at once) and changes it only through store_*, so every operator
 * action is one of the transitions store.h allows.  `enqueue` goes
 * through intake_submit, the very path the front doors use.  Nothing it
 * prints carries report content: deliveries show ids, references,
 * partners, states and times; the ledger shows field names only.
 *
 * Exit status: 0 ok, 1 runtime failure (or a partner unreachable), 2 bad
 * usage or bad configuration. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <glib/gstdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "conf.h"
#include "demo.h"
#include "forward.h"
#include "intake.h"
#include "partner.h"
#include "report.h"
#include "seal.h"
#include "store.h"

#define CTL_EXIT_FAILURE 1
#define CTL_EXIT_USAGE   2

typedef struct
{
  /* options */
  char     *config;
  char     *state_dir;
  char     *demo_inbox;
  char     *state;
  gint      limit;
  gboolean  demo;
  gboolean  kiosk;
  gboolean  json;
  gboolean  fresh;
  gboolean  version;
  /* opened on demand */
  Conf             *conf;
  PartnerDirectory *partners;
  Store            *store;
} Ctl;

typedef int (*CtlCommand) (Ctl *ctl, char **args);

static int
ctl_error (int status, const GError *error)
{
  g_printerr ("saferoutectl: %s\n", error->message);
  return status;
}

static int
ctl_usage (const char *message)
{
  g_printerr ("saferoutectl: %s\n", message);
  g_printerr (_("Try 'saferoutectl --help'.\n"));
  return CTL_EXIT_USAGE;
}

static const char *
ctl_group (Ctl *ctl)
{
  return ctl->kiosk ? "kiosk" : "gateway";
}

/* The configuration (or the demo one): errors are usage errors. */
static gboolean
ctl_load_conf (Ctl *ctl, GError **error)
{
  if (ctl->conf != NULL)
    return TRUE;
  if (ctl->demo)
    {
      if (ctl->state_dir == NULL)
        {
          g_set_error (error, CONF_ERROR, CONF_ERROR_MISSING,
                       _("--demo needs --state-dir (the demo gateway's state directory)"));
          return FALSE;
        }
      ctl->conf = demo_conf (ctl->state_dir,
                             ctl->demo_inbox ? ctl->demo_inbox : DEMO_INBOX_URL,
                             error);
    }
  else
    ctl->conf = conf_load_file (ctl->config ? ctl->config : conf_default_path (),
                                error);
  return ctl->conf != NULL;
}

static int
ctl_load_partners (Ctl *ctl)
{
  g_autoptr(GError) error = NULL;

  if (!ctl_load_conf (ctl, &error))
    return ctl_error (CTL_EXIT_USAGE, error);
  ctl->partners = partner_directory_load (ctl->conf, &error);
  if (ctl->partners == NULL)
    return ctl_error (CTL_EXIT_USAGE, error);
  return 0;
}

/* Opens STATE_DIR/gateway.db (or kiosk.db).  Only CREATE may make a new
 * one: a typo in --state-dir must not look like an empty queue. */
static int
ctl_open_store (Ctl *ctl, gboolean create)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *path = NULL;

  if (ctl->state_dir != NULL)
    state_dir = g_strdup (ctl->state_dir);
  else
    {
      if (!ctl_load_conf (ctl, &error))
        return ctl_error (CTL_EXIT_USAGE, error);
      state_dir = conf_get_path (ctl->conf, ctl_group (ctl), "state_dir",
                                 NULL, FALSE, &error);
      if (state_dir == NULL)
        return ctl_error (CTL_EXIT_USAGE, error);
    }
  path = g_build_filename (state_dir, ctl->kiosk ? "kiosk.db" : "gateway.db", NULL);
  /* Enqueueing before the server's first start is fine: make its home. */
  if (create && g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_printerr (_("saferoutectl: cannot create state directory %s: %s\n"),
                  state_dir, g_strerror (saved_errno));
      return CTL_EXIT_FAILURE;
    }
  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_printerr (_("saferoutectl: no queue database at %s (is --state-dir right?)\n"),
                  path);
      return CTL_EXIT_FAILURE;
    }
  ctl->store = store_open (path, &error);
  if (ctl->store == NULL)
    return ctl_error (CTL_EXIT_FAILURE, error);
  return 0;
}

static void
ctl_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  json_node_unref (node);
}

static JsonNode *
ctl_node_for_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* Prints ARRAY and frees it. */
static void
ctl_print_array (JsonArray *array)
{
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (node, array);
  ctl_print_json (node);
}

static char *
ctl_time (gint64 t)
{
  return t > 0 ? report_format_time (t) : g_strdup ("-");
}

/* status */

static int
ctl_status (Ctl *ctl, char **args)
{
  guint64 counts[DELIVERY_N_STATES] = { 0 };
  g_autoptr(GError) error = NULL;
  int status;

  if (args[0] != NULL)
    return ctl_usage (_("status takes no arguments"));
  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  if (!store_counts (ctl->store, counts, &error))
    return ctl_error (CTL_EXIT_FAILURE, error);
  if (ctl->json)
    {
      JsonObject *object = json_object_new ();

      for (int s = 0; s < DELIVERY_N_STATES; s++)
        json_object_set_int_member (object, delivery_state_to_string (s),
                                    (gint64) counts[s]);
      ctl_print_json (ctl_node_for_object (object));
      return 0;
    }
  for (int s = 0; s < DELIVERY_N_STATES; s++)
    g_print ("%-10s %" G_GUINT64_FORMAT "\n", delivery_state_to_string (s),
             counts[s]);
  return 0;
}

/* queue */

static JsonObject *
ctl_delivery_json (const Delivery *d)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created = report_format_time (d->created_at);

  json_object_set_string_member (object, "id", d->id);
  json_object_set_string_member (object, "ref", d->ref);
  json_object_set_string_member (object, "partner", d->partner);
  json_object_set_string_member (object, "method", delivery_method_to_string (d->method));
  json_object_set_string_member (object, "state", delivery_state_to_string (d->state));
  json_object_set_int_member (object, "attempts", d->attempts);
  json_object_set_string_member (object, "created_at", created);
  json_object_set_int_member (object, "next_attempt_at", d->next_attempt_at);
  json_object_set_int_member (object, "last_attempt_at", d->last_attempt_at);
  json_object_set_int_member (object, "delivered_at", d->delivered_at);
  if (d->last_error != NULL)
    json_object_set_string_member (object, "last_error", d->last_error);
  else
    json_object_set_null_member (object, "last_error");
  json_object_set_boolean_member (object, "envelope_stored", d->envelope_json != NULL);
  return object;
}

static int
ctl_queue_list (Ctl *ctl, char **args)
{
  DeliveryState state = DELIVERY_QUEUED;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (args[0] != NULL)
    return ctl_usage (_("queue list takes no arguments (use --state and --limit)"));
  if (ctl->state != NULL && !delivery_state_from_string (ctl->state, &state))
    return ctl_usage (_("--state must be queued, active, deferred, delivered or held"));
  if (ctl->limit <= 0)
    return ctl_usage (_("--limit must be a positive number"));
  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  list = store_list (ctl->store, ctl->state ? (int) state : -1,
                     (guint) ctl->limit, &error);
  if (list == NULL)
    return ctl_error (CTL_EXIT_FAILURE, error);
  if (ctl->json)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < list->len; i++)
        json_array_add_object_element (array, ctl_delivery_json (g_ptr_array_index (list, i)));
      ctl_print_array (array);
      return 0;
    }
  for (guint i = 0; i < list->len; i++)
    {
      const Delivery *d = g_ptr_array_index (list, i);
      g_autofree char *created = ctl_time (d->created_at);

      g_print ("%s  %-9s  %-7s  %-20s  %s  %s  %u  %s\n", d->id,
               delivery_state_to_string (d->state),
               delivery_method_to_string (d->method), d->partner, d->ref,
               created, d->attempts, d->last_error ? d->last_error : "");
    }
  return 0;
}

static int
ctl_queue_show (Ctl *ctl, const char *id)
{
  g_autoptr(Delivery) d = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  d = store_get (ctl->store, id, &error);
  if (d == NULL)
    return ctl_error (CTL_EXIT_FAILURE, error);
  if (ctl->json)
    ctl_print_json (ctl_node_for_object (ctl_delivery_json (d)));
  else
    {
      g_autofree char *created = ctl_time (d->created_at);
      g_autofree char *next = ctl_time (d->next_attempt_at);
      g_autofree char *last = ctl_time (d->last_attempt_at);
      g_autofree char *delivered = ctl_time (d->delivered_at);

      /* TRANSLATORS: labels of "saferoutectl queue show"; keep them short. */
      g_print (_("id:            %s\n"), d->id);
      g_print (_("reference:     %s\n"), d->ref);
      g_print (_("partner:       %s\n"), d->partner);
      g_print (_("method:        %s\n"), delivery_method_to_string (d->method));
      g_print (_("state:         %s\n"), delivery_state_to_string (d->state));
      g_print (_("attempts:      %u\n"), d->attempts);
      g_print (_("created:       %s\n"), created);
      g_print (_("next attempt:  %s\n"), next);
      g_print (_("last attempt:  %s\n"), last);
      g_print (_("delivered:     %s\n"), delivered);
      g_print (_("last error:    %s\n"), d->last_error ? d->last_error : "-");
      g_print (_("envelope:      %s\n"), d->envelope_json ? _("stored (sealed)")
                                                          : _("purged"));
    }
  return 0;
}

static int
ctl_queue (Ctl *ctl, char **args)
{
  g_autoptr(GError) error = NULL;
  const char *verb = args[0];
  gboolean done;
  int status;

  if (verb == NULL)
    return ctl_usage (_("queue needs list, show, retry, hold or purge"));
  if (g_str_equal (verb, "list"))
    return ctl_queue_list (ctl, args + 1);
  if (args[1] == NULL || args[2] != NULL)
    return ctl_usage (_("queue show|retry|hold|purge takes one delivery id"));
  if (g_str_equal (verb, "show"))
    return ctl_queue_show (ctl, args[1]);
  if (!g_str_equal (verb, "retry") && !g_str_equal (verb, "hold")
      && !g_str_equal (verb, "purge"))
    return ctl_usage (_("queue needs list, show, retry, hold or purge"));
  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  if (g_str_equal (verb, "retry"))
    done = store_retry (ctl->store, args[1], &error);
  else if (g_str_equal (verb, "hold"))
    done = store_hold (ctl->store, args[1], "held by operator", &error);
  else
    done = store_purge (ctl->store, args[1], &error);
  if (!done)
    return ctl_error (CTL_EXIT_FAILURE, error);
  /* TRANSLATORS: "%s: %s" is a delivery id and retry/hold/purge. */
  g_print (_("%s: %s done\n"), args[1], verb);
  return 0;
}

/* ledger */

static int
ctl_ledger_show (Ctl *ctl, const char *text)
{
  g_autofree char *ref = report_ref_normalize (text);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array = NULL;
  int status;

  if (ref == NULL)
    return ctl_usage (_("not a reference code (like K7QM-4XPA)"));
  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  rows = store_ledger_for_ref (ctl->store, ref, &error);
  if (rows == NULL)
    return ctl_error (CTL_EXIT_FAILURE, error);
  if (rows->len == 0)
    {
      g_printerr (_("saferoutectl: no ledger entry for %s\n"), ref);
      return CTL_EXIT_FAILURE;
    }
  if (ctl->json)
    array = json_array_new ();
  for (guint i = 0; i < rows->len; i++)
    {
      const LedgerEntry *e = g_ptr_array_index (rows, i);
      g_autofree char *created = ctl_time (e->created_at);
      g_autofree char *delivered = ctl_time (e->delivered_at);

      if (array != NULL)
        {
          JsonObject *o = json_object_new ();

          json_object_set_string_member (o, "id", e->id);
          json_object_set_string_member (o, "ref", e->ref);
          json_object_set_string_member (o, "partner", e->partner);
          json_object_set_string_member (o, "channel", e->channel);
          json_object_set_string_member (o, "category", e->category);
          json_object_set_string_member (o, "language", e->language);
          json_object_set_string_member (o, "shared_fields", e->shared_fields);
          json_object_set_string_member (o, "state", delivery_state_to_string (e->state));
          json_object_set_string_member (o, "created_at", created);
          json_object_set_string_member (o, "delivered_at", delivered);
          json_array_add_object_element (array, o);
          continue;
        }
      g_print (_("delivery:  %s\n"), e->id);
      g_print (_("reference: %s\n"), e->ref);
      g_print (_("partner:   %s\n"), e->partner);
      g_print (_("channel:   %s\n"), e->channel ? e->channel : "-");
      g_print (_("category:  %s\n"), e->category ? e->category : "-");
      g_print (_("language:  %s\n"), e->language ? e->language : "-");
      g_print (_("shared:    %s\n"), e->shared_fields ? e->shared_fields : "-");
      g_print (_("state:     %s\n"), delivery_state_to_string (e->state));
      g_print (_("created:   %s\n"), created);
      g_print (_("delivered: %s\n"), delivered);
      if (i + 1 < rows->len)
        g_print ("\n");
    }
  if (array != NULL)
    ctl_print_array (array);
  return 0;
}

static int
ctl_ledger_stats (Ctl *ctl)
{
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array = NULL;
  GVariantIter iter;
  const char *category, *channel, *language, *partner, *state;
  guint32 count;
  int status;

  if ((status = ctl_open_store (ctl, FALSE)) != 0)
    return status;
  stats = store_ledger_stats (ctl->store, &error);
  if (stats == NULL)
    return ctl_error (CTL_EXIT_FAILURE, error);
  if (ctl->json)
    array = json_array_new ();
  else
    g_print ("%-20s %-7s %-4s %-20s %-9s %s\n", _("category"), _("channel"),
             _("lang"), _("partner"), _("state"), _("count"));
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "(&s&s&s&s&su)", &category, &channel,
                              &language, &partner, &state, &count))
    {
      if (array != NULL)
        {
          JsonObject *o = json_object_new ();

          json_object_set_string_member (o, "category", category);
          json_object_set_string_member (o, "channel", channel);
          json_object_set_string_member (o, "language", language);
          json_object_set_string_member (o, "partner", partner);
          json_object_set_string_member (o, "state", state);
          json_object_set_int_member (o, "count", count);
          json_array_add_object_element (array, o);
        }
      else
        g_print ("%-20s %-7s %-4s %-20s %-9s %u\n", category, channel,
                 language, partner, state, count);
    }
  if (array != NULL)
    ctl_print_array (array);
  return 0;
}

static int
ctl_ledger (Ctl *ctl, char **args)
{
  if (args[0] != NULL && g_str_equal (args[0], "show") && args[1] != NULL
      && args[2] == NULL)
    return ctl_ledger_show (ctl, args[1]);
  if (args[0] != NULL && g_str_equal (args[0], "stats") && args[1] == NULL)
    return ctl_ledger_stats (ctl);
  return ctl_usage (_("ledger needs: show REF | stats"));
}

/* partners */

static int
ctl_partners_list (Ctl *ctl)
{
  JsonArray *array = ctl->json ? json_array_new () : NULL;
  guint n = partner_directory_size (ctl->partners);

  for (guint i = 0; i < n; i++)
    {
      const Partner *p = partner_directory_nth (ctl->partners, i);
      g_autofree char *languages = g_strjoinv (",", p->languages);
      g_autofree char *services = g_strjoinv (",", p->services);

      if (array != NULL)
        {
          JsonObject *o = json_object_new ();

          json_object_set_string_member (o, "id", p->id);
          json_object_set_string_member (o, "name", p->name);
          json_object_set_string_member (o, "kind", partner_kind_to_string (p->kind));
          json_object_set_string_member (o, "delivery",
                                         partner_delivery_to_string (p->delivery));
          json_object_set_string_member (o, "languages", languages);
          json_object_set_string_member (o, "services", services);
          json_array_add_object_element (array, o);
        }
      else
        g_print ("%-20s %-13s %-8s %-20s %s\n", p->id,
                 partner_kind_to_string (p->kind),
                 partner_delivery_to_string (p->delivery), languages, p->name);
    }
  if (array != NULL)
    ctl_print_array (array);
  return 0;
}

static int
ctl_partners_check (Ctl *ctl)
{
  ForwardOptions options;
  g_autoptr(GError) error = NULL;
  guint n = partner_directory_size (ctl->partners);
  int status = 0;

  forward_options_init (&options);
  if (!forward_options_from_conf (&options, ctl->conf, ctl_group (ctl), &error))
    {
      forward_options_clear (&options);
      return ctl_error (CTL_EXIT_USAGE, error);
    }
  for (guint i = 0; i < n; i++)
    {
      const Partner *p = partner_directory_nth (ctl->partners, i);
      g_autofree char *detail = NULL;
      g_autoptr(GError) check_error = NULL;

      if (forward_check_partner (p, &options, &detail, &check_error))
        g_print ("%-20s %s  %s\n", p->id, _("ok"), detail ? detail : "");
      else
        {
          /* TRANSLATORS: a partner's endpoint cannot be reached. */
          g_print ("%-20s %s  %s\n", p->id, _("UNREACHABLE"),
                   check_error ? check_error->message : (detail ? detail : ""));
          status = CTL_EXIT_FAILURE;
        }
    }
  forward_options_clear (&options);
  return status;
}

static int
ctl_partners (Ctl *ctl, char **args)
{
  int status;

  if (args[0] == NULL || args[1] != NULL
      || !(g_str_equal (args[0], "list") || g_str_equal (args[0], "check")))
    return ctl_usage (_("partners needs: list | check"));
  if ((status = ctl_load_partners (ctl)) != 0)
    return status;
  return g_str_equal (args[0], "list") ? ctl_partners_list (ctl)
                                       : ctl_partners_check (ctl);
}

/* keygen */

static int
ctl_keygen (Ctl *ctl, char **args)
{
  g_autoptr(GError) error = NULL;
  guint8 public_key[SEAL_PUBLIC_KEY_BYTES];
  g_autofree char *encoded = NULL;

  if (args[0] == NULL || args[1] == NULL || args[2] != NULL)
    return ctl_usage (_("keygen needs SECRET_FILE PUBLIC_FILE"));
  if (!seal_init (&error)
      || !seal_keygen (args[0], args[1], &error)
      || !seal_load_public_key (args[1], public_key, &error))
    return ctl_error (CTL_EXIT_FAILURE, error);
  encoded = seal_public_key_to_base64 (public_key);
  /* TRANSLATORS: %s are file names. */
  g_printerr (_("wrote secret key %s (keep it at the partner) and public key %s\n"),
              args[0], args[1]);
  g_print ("%s\n", encoded);
  return 0;
}

/* enqueue */

/* As the front doors do, the report keeps its own id and reference: the
 * same file enqueued twice is one report (intake is idempotent by id).
 * With --fresh each submission becomes a new report (fresh id, reference
 * code and time), so one example file can be sent again and again. */
static int
ctl_enqueue_one (Ctl *ctl, Intake *intake, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *id = NULL;
  g_autoptr(Report) report = NULL;
  g_autoptr(Report) fresh = ctl->fresh ? report_new () : NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &error))
    return ctl_error (CTL_EXIT_FAILURE, error);
  report = report_from_json (data, (gssize) length, &error);
  if (report == NULL)
    {
      g_printerr ("saferoutectl: %s: %s\n", path, error->message);
      return CTL_EXIT_FAILURE;
    }
  if (ctl->fresh)
    {
      g_free (report->id);
      report->id = g_steal_pointer (&fresh->id);
      g_free (report->ref);
      report->ref = g_steal_pointer (&fresh->ref);
      report->created_at = fresh->created_at;
    }
  if (!intake_submit (intake, report, NULL, &id, &error))
    {
      g_printerr ("saferoutectl: %s: %s\n", path, error->message);
      return CTL_EXIT_FAILURE;
    }
  /* TRANSLATORS: the reference code the person keeps, then the queue id. */
  g_print (_("reference %s delivery %s\n"), report->ref, id);
  return 0;
}

static int
ctl_enqueue (Ctl *ctl, char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Intake) intake = NULL;
  g_autofree char *relay_url = NULL;
  int status;

  if (args[0] == NULL)
    return ctl_usage (_("enqueue needs a REPORT.json file"));
  if ((status = ctl_load_partners (ctl)) != 0
      || (status = ctl_open_store (ctl, TRUE)) != 0)
    return status;
  if (!seal_init (&error))
    return ctl_error (CTL_EXIT_FAILURE, error);
  /* A kiosk that forwards through a gateway queues relay deliveries. */
  relay_url = ctl->kiosk ? conf_get_string (ctl->conf, "kiosk", "relay_url", "", NULL)
                         : NULL;
  intake = intake_new (ctl->store, ctl->partners, relay_url && *relay_url);
  for (guint i = 0; args[i] != NULL; i++)
    if ((status = ctl_enqueue_one (ctl, intake, args[i])) != 0)
      return status;
  return 0;
}

typedef struct
{
  const char *name;
  CtlCommand  run;
} CtlCommandEntry;

static const CtlCommandEntry ctl_commands[] = {
  { "status",   ctl_status },
  { "queue",    ctl_queue },
  { "ledger",   ctl_ledger },
  { "partners", ctl_partners },
  { "keygen",   ctl_keygen },
  { "enqueue",  ctl_enqueue },
};

static void
ctl_clear (Ctl *ctl)
{
  g_clear_pointer (&ctl->store, store_close);
  g_clear_pointer (&ctl->partners, partner_directory_free);
  g_clear_pointer (&ctl->conf, conf_free);
  g_free (ctl->config);
  g_free (ctl->state_dir);
  g_free (ctl->demo_inbox);
  g_free (ctl->state);
}

int
main (int argc, char **argv)
{
  Ctl ctl = { .limit = 50 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv ("SAFEROUTE_LOCALEDIR");
  int status = -1;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &ctl.config,
      N_("Configuration file"), N_("FILE") },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &ctl.state_dir,
      N_("State directory of the gateway (or kiosk)"), N_("DIR") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &ctl.demo,
      N_("Use the demo partner (with --state-dir)"), NULL },
    { "demo-inbox", 0, 0, G_OPTION_ARG_STRING, &ctl.demo_inbox,
      N_("With --demo: the demo partner's inbox URL"), N_("URL") },
    { "kiosk", 'k', 0, G_OPTION_ARG_NONE, &ctl.kiosk,
      N_("Work on the kiosk's queue ([kiosk] state_dir, kiosk.db)"), NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &ctl.json,
      N_("Print JSON (status, queue, ledger, partners list)"), NULL },
    { "fresh", 0, 0, G_OPTION_ARG_NONE, &ctl.fresh,
      N_("enqueue: give each report a new id and reference code"), NULL },
    { "state", 0, 0, G_OPTION_ARG_STRING, &ctl.state,
      N_("queue list: only deliveries in STATE"), N_("STATE") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &ctl.limit,
      N_("queue list: at most N deliveries (50)"), N_("N") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &ctl.version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (PACKAGE, "UTF-8");
  textdomain (PACKAGE);
  g_set_prgname ("saferoutectl");

  /* TRANSLATORS: the command line synopsis; keep the command words. */
  context = g_option_context_new (_("COMMAND [ARGUMENTS]"));
  g_option_context_set_summary (context, _("Operate a saferoute queue."));
  g_option_context_set_description (context, _(
    "Commands:\n"
    "  status                      deliveries by state\n"
    "  queue list [--state S] [--limit N]\n"
    "  queue show|retry|hold|purge ID\n"
    "  ledger show REF             what was shared for a reference code\n"
    "  ledger stats                counts without personal data\n"
    "  partners list|check         the partner directory; check reachability\n"
    "  keygen SECRET_FILE PUBLIC_FILE\n"
    "  enqueue [--fresh] REPORT.json...  submit reports as the front doors do\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 bad usage or configuration.\n"));
  g_option_context_add_main_entries (context, entries, PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = ctl_usage (error->message);
  else if (ctl.version)
    {
      g_print ("saferoutectl %s\n", PACKAGE_VERSION);
      status = 0;
    }
  else if (argc < 2)
    status = ctl_usage (_("a command is needed"));
  else
    {
      for (gsize i = 0; i < G_N_ELEMENTS (ctl_commands); i++)
        if (g_str_equal (argv[1], ctl_commands[i].name))
          status = ctl_commands[i].run (&ctl, argv + 2);
      if (status < 0)
        {
          g_autofree char *message = g_strdup_printf (_("unknown command: %s"), argv[1]);

          status = ctl_usage (message);
        }
    }
  ctl_clear (&ctl);
  return status;
}
