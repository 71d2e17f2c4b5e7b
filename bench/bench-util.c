/* bench-util: slices, timing and clean-up shared by the benchmarks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bench-util.h"
#include "route.h"
#include "seal.h"

double
bench_now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

/* Returns FALSE once SIDE is out of work. */
static gboolean
bench_slice (BenchSide *side, double slice)
{
  double start = bench_now (), elapsed;
  gboolean more = TRUE;

  do
    {
      guint done = side->step (side->data);

      if (done == G_MAXUINT)
        more = FALSE;
      else
        side->done += done;
      elapsed = bench_now () - start;
    }
  while (more && elapsed < slice);
  side->seconds += elapsed;
  return more;
}

void
bench_alternate (BenchSide *a, BenchSide *b, double seconds, double slice)
{
  while (a->seconds + b->seconds < seconds)
    if (!bench_slice (a, slice) || !bench_slice (b, slice))
      break;
}

double
bench_rate (const BenchSide *side)
{
  return side->seconds > 0 ? (double) side->done / side->seconds : 0;
}

void
bench_die (const char *what, const GError *error)
{
  g_printerr ("%s: %s: %s\n", g_get_prgname (), what,
              error != NULL ? error->message : "failed");
  exit (1);
}

char *
bench_make_dir (const char *parent, const char *prefix)
{
  g_autofree char *name = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autofree char *template = g_build_filename (parent != NULL ? parent : ".",
                                                name, NULL);
  char *dir = g_mkdtemp (g_strdup (template));

  if (dir == NULL)
    {
      g_printerr ("%s: cannot create a directory like %s\n", g_get_prgname (),
                  template);
      exit (1);
    }
  return dir;
}

void
bench_remove_db (const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-lock" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

Partner *
bench_partner_new (const char *url, const guint8 *public_key)
{
  Partner *partner = partner_new ();

  partner->id = g_strdup (BENCH_PARTNER_ID);
  partner->name = g_strdup ("Abuse Support");
  partner->description = g_strdup ("Helps in benchmarks.");
  partner->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (partner->services);
  partner->services = g_strsplit ("domestic-abuse", ",", -1);
  g_strfreev (partner->languages);
  partner->languages = g_strsplit ("en,ur", ",", -1);
  g_strfreev (partner->areas);
  partner->areas = g_strsplit ("*", ",", -1);
  partner->delivery = PARTNER_DELIVERY_WEBHOOK;
  partner->url = g_strdup (url);
  partner->hmac_secret = g_strdup ("bench-secret");
  memcpy (partner->public_key, public_key, sizeof partner->public_key);
  return partner;
}

static void
bench_drop_log (const char *domain, GLogLevelFlags level, const char *message,
                gpointer data)
{
}

void
bench_quiet_logs (void)
{
  g_log_set_handler ("saferoute", G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE
                     | G_LOG_LEVEL_DEBUG, bench_drop_log, NULL);
}

void
bench_report_renew (Report *report)
{
  g_free (report->id);
  report->id = g_uuid_string_random ();
}

gboolean
bench_submit_group (Store *store, const PartnerDirectory *partners,
                    Report *template, guint n, GError **error)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) envelopes =
    g_ptr_array_new_with_free_func ((GDestroyNotify) envelope_free);
  g_autofree StoreItem *items = g_new0 (StoreItem, n);
  g_autofree LedgerEntry *ledgers = g_new0 (LedgerEntry, n);
  const Partner *partner = partner_directory_lookup (partners, template->partner);

  for (guint i = 0; i < n; i++)
    {
      Envelope *envelope;
      g_auto(GStrv) fields = NULL;
      char *json;

      bench_report_renew (template);
      if (!report_validate (template, error))
        return FALSE;
      if (partner == NULL
          || !route_allows (partners, partner, template->category,
                            template->language, NULL))
        {
          g_set_error (error, REPORT_ERROR, REPORT_ERROR_INVALID,
                       "partner: not one this report may go to");
          return FALSE;
        }
      envelope = seal_report (template, partner, error);
      if (envelope == NULL)
        return FALSE;
      g_ptr_array_add (envelopes, envelope);
      fields = report_shared_fields (template);
      ledgers[i].shared_fields = g_strjoinv (",", fields);
      g_ptr_array_add (keep, ledgers[i].shared_fields);
      ledgers[i].channel = template->channel;
      ledgers[i].category = template->category;
      ledgers[i].language = template->language;
      ledgers[i].created_at = envelope->created_at;
      ledgers[i].state = DELIVERY_QUEUED;
      json = envelope_to_json (envelope, NULL);
      g_ptr_array_add (keep, json);
      items[i].envelope = envelope;
      items[i].envelope_json = json;
      items[i].method = partner->delivery == PARTNER_DELIVERY_PULL
        ? DELIVERY_METHOD_PULL
        : partner->delivery == PARTNER_DELIVERY_EMAIL
        ? DELIVERY_METHOD_EMAIL : DELIVERY_METHOD_WEBHOOK;
      items[i].ledger = &ledgers[i];
    }
  return store_enqueue (store, items, n, NULL, error);
}
