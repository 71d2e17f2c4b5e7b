/* page-report: the wizard at "/LANG/report".
 *
 * GET shows the current step (or the receipt once sent); POST submits the
 * current step and always answers with a redirect to GET (so Back and
 * reload never re-post answers).  At the last step the report is built,
 * handed to intake (sealed and committed before we answer: promise 4),
 * the wizard is wiped and only a receipt without personal data stays. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kiosk.h"
#include "lang.h"

static void
kiosk_report_send (Kiosk *kiosk, KioskRequest *req)
{
  Session *s = req->session;
  g_autoptr(GError) error = NULL;
  g_autofree char *delivery = NULL;
  const Partner *partner = wizard_partner (s->wizard, &kiosk->context);
  Report *report = wizard_build_report (s->wizard, &kiosk->context, &error);

  if (report == NULL
      || !intake_submit (kiosk->intake, report, kiosk->area, &delivery, &error))
    {
      /* Back to the check screen, answers kept, with a plain reason. */
      g_warning ("report not accepted: %s", error ? error->message : "?");
      s->wizard->step = WIZARD_STEP_CHECK;
      s->wizard->invalid_field = "confirm";
      s->wizard->invalid_reason =
        N_("Your report could not be saved. Nothing was sent. Please try again, or call a helpline.");
      wizard_report_wipe (report);
      return;
    }
  g_message ("report %s accepted for partner %s (delivery %s)", report->ref,
             report->partner, delivery);
  kiosk->reports++;
  s->receipt = wizard_receipt_new (report, partner);
  g_clear_pointer (&s->wizard, wizard_free);
  wizard_report_wipe (report);
  if (kiosk->forwarder)
    forward_kick (kiosk->forwarder);
}

static void
kiosk_report_post (Kiosk *kiosk, KioskRequest *req)
{
  Session *s = req->session;
  GHashTable *form = kiosk_post_form (kiosk, req);
  g_autoptr(GError) error = NULL;
  g_autofree char *self = g_strdup_printf ("/%s/report", req->lang);

  if (form == NULL)
    return;
  session_store_touch (kiosk->sessions, s, req->now);
  if (s->wizard == NULL || s->receipt != NULL
      || strcmp (s->wizard->language, req->lang) != 0)
    {
      /* A stale page (after exit, timeout or sending): start afresh. */
      kiosk_form_free (form);
      kiosk_redirect (req, self);
      return;
    }
  if (wizard_submit (s->wizard, &kiosk->context, form, &error)
      && s->wizard->step == WIZARD_STEP_DONE)
    kiosk_report_send (kiosk, req);
  kiosk_form_free (form);
  kiosk_redirect (req, self);
}

void
kiosk_page_report (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;
  Session *s;

  if (strcmp (req->method, "POST") == 0)
    {
      kiosk_report_post (kiosk, req);
      return;
    }
  s = kiosk_session (kiosk, req);
  session_store_touch (kiosk->sessions, s, req->now);
  session_set_string (&s->lang, req->lang);
  session_set_string (&s->last_path, req->path);
  kiosk_page (kiosk, req, &page, req->lang);
  if (s->receipt && strcmp (s->receipt->language, req->lang) == 0)
    {
      const Partner *partner =
        partner_directory_lookup (kiosk->partners, s->receipt->partner_id);

      kiosk_reply_html (req, SOUP_STATUS_OK,
                        views_receipt (&page, s->receipt, partner));
      return;
    }
  if (s->receipt || (s->wizard && strcmp (s->wizard->language, req->lang) != 0))
    session_reset (s);
  if (s->wizard == NULL)
    s->wizard = wizard_new (req->lang);
  kiosk_reply_html (req, SOUP_STATUS_OK,
                    views_wizard (&page, s->wizard, &kiosk->context));
}
