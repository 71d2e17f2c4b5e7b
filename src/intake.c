/* intake: the single door from a finished report to durable deliveries.
 *
 * Owns the order of the checks (valid report, a partner the person could
 * have chosen, sealed before anything is written) and the shape of what is
 * stored: one envelope, one delivery, one ledger row, in one store
 * transaction.  It keeps no state of its own beyond borrowed pointers.
 *
 * Invariants: nothing is written unless every check passed and the report
 * is sealed; what is written is written whole (store_enqueue is one
 * transaction), so a crash at any line leaves either nothing or a complete,
 * deliverable item.  Callers answer "sent" only after TRUE.
 *
 * Failures: a refused report is REPORT_ERROR_INVALID (a front door shows
 * it as 400), an unusable relayed envelope ENVELOPE_ERROR_*, the store's
 * own errors pass through (busy -> 503). */
#include "config.h"

#include <string.h>

#include "intake.h"
#include "route.h"
#include "seal.h"

struct _Intake
{
  Store                  *store;
  const PartnerDirectory *partners;
  gboolean                relay;
};

Intake *
intake_new (Store                  *store,
            const PartnerDirectory *partners,
            gboolean                relay)
{
  Intake *intake;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (partners != NULL, NULL);

  intake = g_new0 (Intake, 1);
  intake->store = store;
  intake->partners = partners;
  intake->relay = relay;
  return intake;
}

void
intake_free (Intake *intake)
{
  g_free (intake);
}

static DeliveryMethod
intake_method (const Intake *intake, const Partner *partner)
{
  if (intake->relay)
    return DELIVERY_METHOD_RELAY;
  switch (partner->delivery)
    {
    case PARTNER_DELIVERY_EMAIL:
      return DELIVERY_METHOD_EMAIL;
    case PARTNER_DELIVERY_PULL:
      return DELIVERY_METHOD_PULL;
    case PARTNER_DELIVERY_WEBHOOK:
    default:
      return DELIVERY_METHOD_WEBHOOK;
    }
}

static gboolean
intake_enqueue (Intake            *intake,
                const Envelope    *envelope,
                const Partner     *partner,
                const LedgerEntry *ledger,
                guint             *duplicates,
                GError           **error)
{
  g_autofree char *json = NULL;
  gsize length = 0;
  StoreItem item = { 0 };

  json = envelope_to_json (envelope, &length);
  if (json == NULL || length > ENVELOPE_JSON_MAX)
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_TOO_LARGE,
                   "envelope larger than %d bytes", ENVELOPE_JSON_MAX);
      return FALSE;
    }
  item.envelope = envelope;
  item.envelope_json = json;
  item.method = intake_method (intake, partner);
  item.ledger = ledger;
  return store_enqueue (intake->store, &item, 1, duplicates, error);
}

gboolean
intake_submit (Intake       *intake,
               const Report *report,
               const char   *area,
               char        **envelope_id,
               GError      **error)
{
  const Partner *partner;
  g_autoptr(Envelope) envelope = NULL;
  g_auto(GStrv) fields = NULL;
  g_autofree char *shared = NULL;
  LedgerEntry ledger = { 0 };
  guint duplicates = 0;

  g_return_val_if_fail (intake != NULL, FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  if (!report_validate (report, error))
    return FALSE;
  partner = report->partner != NULL
    ? partner_directory_lookup (intake->partners, report->partner) : NULL;
  if (partner == NULL)
    {
      g_set_error (error, REPORT_ERROR, REPORT_ERROR_INVALID,
                   "partner: not a known partner");
      return FALSE;
    }
  /* Only a partner the person was offered for these answers: a front
   * door (or a forged form) must not pick one behind their back. */
  if (!route_allows (intake->partners, partner, report->category,
                     report->language, area))
    {
      g_set_error (error, REPORT_ERROR, REPORT_ERROR_INVALID,
                   "partner: %s does not take %s reports in this language "
                   "or area", partner->id, report->category);
      return FALSE;
    }

  envelope = seal_report (report, partner, error);
  if (envelope == NULL)
    return FALSE;

  fields = report_shared_fields (report);
  shared = fields != NULL && fields[0] != NULL ? g_strjoinv (",", fields) : NULL;
  ledger.id = envelope->id;
  ledger.ref = envelope->ref;
  ledger.partner = envelope->partner;
  ledger.channel = report->channel;
  ledger.category = report->category;
  ledger.language = report->language;
  ledger.shared_fields = shared;
  ledger.created_at = envelope->created_at;
  ledger.state = DELIVERY_QUEUED;

  if (!intake_enqueue (intake, envelope, partner, &ledger, &duplicates, error))
    return FALSE;
  g_info ("report %s: enqueued as %s for %s", envelope->ref, envelope->id,
          partner->id);
  if (envelope_id != NULL)
    *envelope_id = g_strdup (envelope->id);
  return TRUE;
}

gboolean
intake_submit_envelope (Intake         *intake,
                        const Envelope *envelope,
                        const char     *channel,
                        gboolean       *duplicate,
                        GError        **error)
{
  const Partner *partner;
  LedgerEntry ledger = { 0 };
  guint duplicates = 0;

  g_return_val_if_fail (intake != NULL, FALSE);
  g_return_val_if_fail (envelope != NULL, FALSE);

  if (envelope->v != 1)
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_VERSION,
                   "envelope version %d not supported", envelope->v);
      return FALSE;
    }
  if (envelope->id == NULL || *envelope->id == '\0'
      || envelope->ref == NULL || envelope->partner == NULL)
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID,
                   "envelope: id, ref and partner are required");
      return FALSE;
    }
  if ((envelope->sealed == NULL) == (envelope->report_json == NULL))
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID,
                   "envelope: exactly one of sealed and report is required");
      return FALSE;
    }
  partner = partner_directory_lookup (intake->partners, envelope->partner);
  if (partner == NULL)
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID,
                   "envelope: partner is not known here");
      return FALSE;
    }
  /* A plain report may only travel to a partner configured for it; a
   * relay must never turn a sealed-only partner's mail into plain text. */
  if (envelope->report_json != NULL && !partner->plain)
    {
      g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID,
                   "envelope: partner %s takes sealed envelopes only",
                   partner->id);
      return FALSE;
    }

  /* Sealed and unread: the category and language stay unknown here. */
  ledger.id = envelope->id;
  ledger.ref = envelope->ref;
  ledger.partner = envelope->partner;
  ledger.channel = (char *) (channel != NULL ? channel : "relay");
  ledger.created_at = envelope->created_at;
  ledger.state = DELIVERY_QUEUED;

  if (!intake_enqueue (intake, envelope, partner, &ledger, &duplicates, error))
    return FALSE;
  if (duplicate != NULL)
    *duplicate = duplicates > 0;
  g_info ("envelope %s for %s: %s", envelope->id, partner->id,
          duplicates > 0 ? "already here" : "enqueued");
  return TRUE;
}
