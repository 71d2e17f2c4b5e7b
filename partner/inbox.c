/* inbox: one path for every envelope that reaches the partner.
 *
 * Owns: the checks between "an envelope arrived" and "it is committed in
 * our store": addressed to our partner id, opens with our secret key,
 * holds a valid report whose reference code matches the envelope's.
 * Invariants: nothing is stored unless every check passed; the store
 * commits before anyone is told (reply, ack, exit status).
 * Failures: INBOX_ERROR_* for envelopes we refuse, SEAL/REPORT errors from
 * opening, INBOX_STORE_ERROR from the store; inbox_status_for_error turns
 * them into the webhook's HTTP status. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sodium.h>

#include "inbox.h"
#include "http.h"

G_DEFINE_QUARK (inbox-error-quark, inbox_error)

Inbox *
inbox_new (void)
{
  return g_new0 (Inbox, 1);
}

void
inbox_free (Inbox *inbox)
{
  if (inbox == NULL)
    return;
  sodium_memzero (inbox->secret_key, sizeof inbox->secret_key);
  if (inbox->hmac_secret)
    sodium_memzero (inbox->hmac_secret, strlen (inbox->hmac_secret));
  if (inbox->pull_token)
    sodium_memzero (inbox->pull_token, strlen (inbox->pull_token));
  g_free (inbox->partner);
  g_free (inbox->hmac_secret);
  g_free (inbox->gateway_url);
  g_free (inbox->pull_token);
  g_free (inbox->listen);
  g_free (inbox->state_dir);
  inbox_store_close (inbox->store);
  g_free (inbox);
}

gboolean
inbox_receive (Inbox *inbox, const Envelope *envelope, const char *source,
               gboolean *duplicate, GError **error)
{
  g_autoptr(Report) report = NULL;
  g_autofree char *report_json = NULL;
  InboxEntry entry = { 0 };

  g_return_val_if_fail (inbox != NULL && envelope != NULL, FALSE);
  g_return_val_if_fail (inbox->store != NULL && inbox->have_key, FALSE);

  if (g_strcmp0 (envelope->partner, inbox->partner) != 0)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_WRONG_PARTNER,
                   "envelope is for partner %s, this inbox is %s",
                   envelope->partner ? envelope->partner : "(none)",
                   inbox->partner);
      return FALSE;
    }
  report = seal_open (envelope, inbox->public_key, inbox->secret_key, error);
  if (report == NULL)
    return FALSE;
  /* The reference code travels in clear beside the ciphertext: a worker
   * must be able to trust that the one on the list is the one inside. */
  if (g_strcmp0 (report->ref, envelope->ref) != 0)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_MISMATCH,
                   "envelope %s: reference code differs from the report's",
                   envelope->id);
      return FALSE;
    }
  report_json = report_to_json (report, NULL);
  entry.id = envelope->id;
  entry.ref = envelope->ref;
  entry.partner = envelope->partner;
  entry.created_at = report->created_at;
  entry.source = (char *) source;
  entry.category = report->category;
  entry.language = report->language;
  entry.contact_method = report->contact.method ? report->contact.method
                                                : (char *) "none";
  entry.report_json = report_json;
  if (!inbox_store_add (inbox->store, &entry, g_get_real_time () / G_USEC_PER_SEC,
                        duplicate, error))
    return FALSE;
  g_message ("%s delivery %s ref %s via %s",
             duplicate && *duplicate ? "duplicate" : "stored",
             envelope->id, envelope->ref, source);
  return TRUE;
}

guint
inbox_status_for_error (const GError *error)
{
  if (error == NULL)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  if (error->domain == INBOX_ERROR)
    switch (error->code)
      {
      case INBOX_ERROR_WRONG_PARTNER:
        return SOUP_STATUS_FORBIDDEN;
      case INBOX_ERROR_UNOPENED:
      case INBOX_ERROR_MISMATCH:
        return SOUP_STATUS_UNPROCESSABLE_ENTITY;
      default:
        return SOUP_STATUS_INTERNAL_SERVER_ERROR;
      }
  /* A report that does not open, or opens to something invalid, will not
   * open on a retry either: 422, so the sender holds it for a human. */
  if (error->domain == SEAL_ERROR || error->domain == REPORT_ERROR)
    return error->domain == SEAL_ERROR && error->code == SEAL_ERROR_FAILED
             ? SOUP_STATUS_INTERNAL_SERVER_ERROR
             : SOUP_STATUS_UNPROCESSABLE_ENTITY;
  if (error->domain == INBOX_STORE_ERROR)
    return error->code == INBOX_STORE_ERROR_BUSY
             ? SOUP_STATUS_SERVICE_UNAVAILABLE
             : error->code == INBOX_STORE_ERROR_NOT_FOUND
                 ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_INTERNAL_SERVER_ERROR;
  return http_status_for_error (error);
}

static void
inbox_field_free (InboxField *field)
{
  g_free (field->value);
  g_free (field);
}

static void
inbox_field_add (GPtrArray *fields, const char *label, const char *value)
{
  InboxField *field = g_new0 (InboxField, 1);

  field->label = label;
  field->value = g_strdup (value ? value : "");
  g_ptr_array_add (fields, field);
}

static const char *
inbox_yes_no (gboolean value)
{
  return value ? _("yes") : _("no");
}

GPtrArray *
inbox_report_fields (const Report *report)
{
  GPtrArray *fields =
    g_ptr_array_new_with_free_func ((GDestroyNotify) inbox_field_free);
  g_autofree char *created = report_format_time (report->created_at);
  const ReportContact *contact = &report->contact;

  /* TRANSLATORS: labels of one opened report, read by a support worker. */
  inbox_field_add (fields, _("Reference code"), report->ref);
  inbox_field_add (fields, _("Report id"), report->id);
  inbox_field_add (fields, _("Made at"), created);
  inbox_field_add (fields, _("Channel"), report->channel);
  inbox_field_add (fields, _("Language"), report->language);
  inbox_field_add (fields, _("Category"), report->category);
  inbox_field_add (fields, _("Partner"), report->partner);
  inbox_field_add (fields, _("Site"), report->site);
  inbox_field_add (fields, _("Contact method"), contact->method);
  inbox_field_add (fields, _("Phone"), contact->phone);
  inbox_field_add (fields, _("Safe times to call"), contact->safe_times);
  inbox_field_add (fields, _("Voicemail OK"), inbox_yes_no (contact->voicemail_ok));
  inbox_field_add (fields, _("SMS OK"), inbox_yes_no (contact->sms_ok));
  inbox_field_add (fields, _("Interpreter language"),
                   contact->interpreter_language);
  inbox_field_add (fields, _("Woman worker wanted"),
                   inbox_yes_no (contact->woman_worker));
  inbox_field_add (fields, _("Trusted person"), contact->trusted_person);
  inbox_field_add (fields, _("Agrees to share with you"),
                   inbox_yes_no (report->share_with_partner));
  inbox_field_add (fields, _("You may tell the police"),
                   inbox_yes_no (report->partner_may_tell_police));
  inbox_field_add (fields, _("Message"), report->message);
  return fields;
}
