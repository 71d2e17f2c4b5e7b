/* wizard: the report wizard's state machine (see wizard.h).
 *
 * Owns the answers of one unfinished report and the rules for each step.
 * Nothing here touches the network, the disk or HTML: the kiosk and the
 * gateway keep a Wizard in server memory per session, and views.c draws
 * it.  Invariants: the wizard only ever stands on a step that applies,
 * every kept answer passed its step's validation, and a partner is kept
 * only if route allowed it for the kept category and language.  On a
 * crash nothing survives, by design: unsent answers live only here.
 *
 * Failure: a bad answer leaves the wizard on its step with invalid_field
 * and invalid_reason set (WIZARD_ERROR_INVALID); a form for another step
 * is WIZARD_ERROR_STATE and changes nothing. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "wizard.h"
#include "lang.h"
#include "route.h"

G_DEFINE_QUARK (saferoute-wizard-error-quark, wizard_error)

#define WIZARD_PHONE_MIN_DIGITS 7
#define WIZARD_PHONE_MAX_DIGITS 15

static const char *const wizard_step_names[WIZARD_N_STEPS] = {
  "category", "partner", "contact", "details", "needs", "police",
  "message", "check", "done",
};

void
wizard_wipe_string (char **text)
{
  if (*text == NULL)
    return;
  sodium_memzero (*text, strlen (*text));
  g_free (*text);
  *text = NULL;
}

Wizard *
wizard_new (const char *language)
{
  Wizard *wizard = g_new0 (Wizard, 1);

  g_return_val_if_fail (lang_lookup (language) != NULL, NULL);
  wizard->step = WIZARD_STEP_CATEGORY;
  wizard->language = g_strdup (language);
  return wizard;
}

void
wizard_free (Wizard *wizard)
{
  if (wizard == NULL)
    return;
  wizard_wipe_string (&wizard->language);
  wizard_wipe_string (&wizard->category);
  wizard_wipe_string (&wizard->partner);
  wizard_wipe_string (&wizard->contact_method);
  wizard_wipe_string (&wizard->phone);
  wizard_wipe_string (&wizard->safe_times);
  wizard_wipe_string (&wizard->trusted_person);
  wizard_wipe_string (&wizard->interpreter_language);
  wizard_wipe_string (&wizard->message);
  sodium_memzero (wizard, sizeof *wizard);
  g_free (wizard);
}

const char *
wizard_step_name (WizardStep step)
{
  g_return_val_if_fail (step < WIZARD_N_STEPS, "category");
  return wizard_step_names[step];
}

gboolean
wizard_step_applies (const Wizard *wizard, WizardStep step)
{
  if (step == WIZARD_STEP_DETAILS)
    return g_strcmp0 (wizard->contact_method, "none") != 0;
  return step < WIZARD_STEP_DONE;
}

guint
wizard_step_number (const Wizard *wizard, guint *n_steps)
{
  guint number = 0, n = 0;

  for (WizardStep s = 0; s < WIZARD_STEP_DONE; s++)
    if (wizard_step_applies (wizard, s))
      {
        n++;
        if (s <= wizard->step)
          number = n;
      }
  if (n_steps)
    *n_steps = n;
  return number;
}

GPtrArray *
wizard_partners (const Wizard *wizard, const WizardContext *context)
{
  if (wizard->category == NULL || context->partners == NULL)
    return g_ptr_array_new ();
  return route_eligible (context->partners, wizard->category,
                         wizard->language, context->area);
}

const Partner *
wizard_partner (const Wizard *wizard, const WizardContext *context)
{
  const Partner *partner;

  if (wizard->partner == NULL || context->partners == NULL)
    return NULL;
  partner = partner_directory_lookup (context->partners, wizard->partner);
  if (partner == NULL
      || !route_allows (context->partners, partner, wizard->category,
                        wizard->language, context->area))
    return NULL;
  return partner;
}

/* ---- validation helpers: each returns NULL or a msgid for the page ---- */

static gboolean
wizard_invalid (Wizard *wizard, const char *field, const char *reason,
                GError **error)
{
  wizard->invalid_field = field;
  wizard->invalid_reason = reason;
  g_set_error (error, WIZARD_ERROR, WIZARD_ERROR_INVALID, "%s: %s", field,
               reason);
  return FALSE;
}

/* Free text: valid UTF-8, within MAX bytes, no control characters but
 * (when MULTILINE) newline and tab; CRLF becomes LF; trimmed.  *OUT is
 * NULL when the text is empty. */
static const char *
wizard_clean_text (const char *value, gsize max, gboolean multiline,
                   char **out)
{
  g_autoptr(GString) text = NULL;
  const char *p;

  *out = NULL;
  if (value == NULL)
    return NULL;
  if (!g_utf8_validate (value, -1, NULL))
    return N_("This text has characters we cannot read. Please type it again.");
  text = g_string_sized_new (strlen (value));
  for (p = value; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\r')
        continue;
      if ((c == '\n' || c == '\t') && multiline)
        ;
      else if (c == '\n' || c == '\t')
        c = ' ';
      else if (g_unichar_iscntrl (c))
        {
          sodium_memzero (text->str, text->len);
          return N_("This text has characters we cannot read. Please type it again.");
        }
      g_string_append_unichar (text, c);
    }
  g_strstrip (text->str);
  text->len = strlen (text->str);
  if (text->len > max)
    {
      sodium_memzero (text->str, text->allocated_len);
      return N_("This is too long. Please make it shorter.");
    }
  if (text->len > 0)
    *out = g_strndup (text->str, text->len);
  sodium_memzero (text->str, text->allocated_len);
  return NULL;
}

static const char *
wizard_clean_phone (const char *value, char **out)
{
  guint digits = 0;
  const char *reason = wizard_clean_text (value, 40, FALSE, out);

  if (reason)
    return reason;
  if (*out == NULL)
    return N_("Please type a phone number.");
  for (const char *p = *out; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digits++;
      else if (!strchr ("+ -()", *p) || (*p == '+' && p != *out))
        {
          wizard_wipe_string (out);
          return N_("A phone number can only have numbers, spaces and a + at the start.");
        }
    }
  if (digits < WIZARD_PHONE_MIN_DIGITS || digits > WIZARD_PHONE_MAX_DIGITS)
    {
      wizard_wipe_string (out);
      return N_("This phone number does not have the right number of digits.");
    }
  return NULL;
}

/* "yes" / "no"; anything else (or nothing) is not an answer. */
static gboolean
wizard_yes_no (GHashTable *form, const char *field, gboolean *out)
{
  const char *value = g_hash_table_lookup (form, field);

  if (g_strcmp0 (value, "yes") == 0)
    *out = TRUE;
  else if (g_strcmp0 (value, "no") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
wizard_in_list (const char *value, const char *const *list)
{
  if (value == NULL)
    return FALSE;
  for (guint i = 0; list[i]; i++)
    if (strcmp (list[i], value) == 0)
      return TRUE;
  return FALSE;
}

static void
wizard_replace (char **slot, char *value)
{
  wizard_wipe_string (slot);
  *slot = value;
}

/* ---- one function per step: validate FORM, keep the answers ---- */

static gboolean
wizard_take_category (Wizard *w, const WizardContext *c, GHashTable *form,
                      GError **error)
{
  const char *category = g_hash_table_lookup (form, "category");

  if (!report_is_category (category))
    return wizard_invalid (w, "category",
                           N_("Please choose what happened."), error);
  if (g_strcmp0 (w->category, category) != 0)
    /* Another category may mean other partners: choose again. */
    wizard_replace (&w->partner, NULL);
  wizard_replace (&w->category, g_strdup (category));
  return TRUE;
}

static gboolean
wizard_take_partner (Wizard *w, const WizardContext *c, GHashTable *form,
                     GError **error)
{
  const char *id = g_hash_table_lookup (form, "partner");
  g_autoptr(GPtrArray) eligible = wizard_partners (w, c);

  if (eligible->len == 0)
    {
      w->invalid_field = "partner";
      w->invalid_reason = N_("No organisation here can take this report. Please call a helpline.");
      g_set_error (error, WIZARD_ERROR, WIZARD_ERROR_NO_PARTNER,
                   "no eligible partner");
      return FALSE;
    }
  for (guint i = 0; id && i < eligible->len; i++)
    {
      const Partner *p = g_ptr_array_index (eligible, i);

      if (strcmp (p->id, id) == 0)
        {
          wizard_replace (&w->partner, g_strdup (id));
          return TRUE;
        }
    }
  return wizard_invalid (w, "partner",
                         N_("Please choose an organisation."), error);
}

static gboolean
wizard_take_contact (Wizard *w, const WizardContext *c, GHashTable *form,
                     GError **error)
{
  const char *method = g_hash_table_lookup (form, "method");

  if (!wizard_in_list (method, report_contact_methods))
    return wizard_invalid (w, "method",
                           N_("Please choose how they can contact you."),
                           error);
  if (g_strcmp0 (w->contact_method, method) != 0)
    {
      /* Details of another method must not be sent by mistake. */
      wizard_replace (&w->phone, NULL);
      wizard_replace (&w->trusted_person, NULL);
      wizard_replace (&w->safe_times, NULL);
      w->voicemail_ok = FALSE;
      w->sms_ok = FALSE;
    }
  wizard_replace (&w->contact_method, g_strdup (method));
  return TRUE;
}

static gboolean
wizard_take_details (Wizard *w, const WizardContext *c, GHashTable *form,
                     GError **error)
{
  g_autofree char *phone = NULL;
  g_autofree char *trusted = NULL;
  g_autofree char *times = NULL;
  gboolean voicemail = FALSE, sms = FALSE;
  gboolean by_phone = g_strcmp0 (w->contact_method, "phone") == 0;
  gboolean by_sms = g_strcmp0 (w->contact_method, "sms") == 0;
  const char *reason;
  gboolean ok = FALSE;

  if (by_phone || by_sms)
    {
      if ((reason = wizard_clean_phone (g_hash_table_lookup (form, "phone"),
                                        &phone)))
        {
          wizard_invalid (w, "phone", reason, error);
          goto out;
        }
    }
  else
    {
      reason = wizard_clean_text (g_hash_table_lookup (form, "trusted_person"),
                                  REPORT_SHORT_FIELD_MAX, FALSE, &trusted);
      if (reason == NULL && trusted == NULL)
        reason = N_("Please say how they can reach the person you trust.");
      if (reason)
        {
          wizard_invalid (w, "trusted_person", reason, error);
          goto out;
        }
    }
  if (by_phone && !wizard_yes_no (form, "voicemail", &voicemail))
    {
      wizard_invalid (w, "voicemail", N_("Please answer yes or no."), error);
      goto out;
    }
  if (by_phone && !wizard_yes_no (form, "sms", &sms))
    {
      wizard_invalid (w, "sms", N_("Please answer yes or no."), error);
      goto out;
    }
  if ((reason = wizard_clean_text (g_hash_table_lookup (form, "safe_times"),
                                   REPORT_SHORT_FIELD_MAX, FALSE, &times)))
    {
      wizard_invalid (w, "safe_times", reason, error);
      goto out;
    }
  wizard_replace (&w->phone, g_steal_pointer (&phone));
  wizard_replace (&w->trusted_person, g_steal_pointer (&trusted));
  wizard_replace (&w->safe_times, g_steal_pointer (&times));
  w->voicemail_ok = voicemail;
  w->sms_ok = by_sms || sms;
  ok = TRUE;
out:
  wizard_wipe_string (&phone);
  wizard_wipe_string (&trusted);
  wizard_wipe_string (&times);
  return ok;
}

static gboolean
wizard_take_needs (Wizard *w, const WizardContext *c, GHashTable *form,
                   GError **error)
{
  const char *interpreter = g_hash_table_lookup (form, "interpreter");
  gboolean woman = FALSE;

  if (g_strcmp0 (interpreter, "none") != 0
      && (!report_is_language (interpreter)
          || strcmp (interpreter, "en") == 0))
    return wizard_invalid (w, "interpreter",
                           N_("Please choose a language, or no interpreter."),
                           error);
  if (!wizard_yes_no (form, "woman_worker", &woman))
    return wizard_invalid (w, "woman_worker", N_("Please answer yes or no."),
                           error);
  wizard_replace (&w->interpreter_language,
                  strcmp (interpreter, "none") == 0 ? NULL
                                                    : g_strdup (interpreter));
  w->woman_worker = woman;
  return TRUE;
}

static gboolean
wizard_take_police (Wizard *w, const WizardContext *c, GHashTable *form,
                    GError **error)
{
  gboolean police;

  if (!wizard_yes_no (form, "police", &police))
    return wizard_invalid (w, "police", N_("Please answer yes or no."), error);
  w->police_ok = police;
  return TRUE;
}

static gboolean
wizard_take_message (Wizard *w, const WizardContext *c, GHashTable *form,
                     GError **error)
{
  g_autofree char *message = NULL;
  const char *reason = wizard_clean_text (g_hash_table_lookup (form, "message"),
                                          REPORT_MESSAGE_MAX, TRUE, &message);

  if (reason)
    return wizard_invalid (w, "message", reason, error);
  wizard_replace (&w->message, g_steal_pointer (&message));
  return TRUE;
}

static gboolean
wizard_take_check (Wizard *w, const WizardContext *c, GHashTable *form,
                   GError **error)
{
  if (g_strcmp0 (g_hash_table_lookup (form, "confirm"), "send") != 0)
    return wizard_invalid (w, "confirm", N_("Please press Send to send your report."),
                           error);
  /* The partner may have left the directory (reload) since it was chosen. */
  if (wizard_partner (w, c) == NULL)
    {
      w->step = WIZARD_STEP_PARTNER;
      return wizard_invalid (w, "partner", N_("Please choose an organisation."),
                             error);
    }
  return TRUE;
}

typedef gboolean (*WizardTake) (Wizard *, const WizardContext *, GHashTable *,
                                GError **);

static const WizardTake wizard_takes[WIZARD_STEP_DONE] = {
  wizard_take_category, wizard_take_partner, wizard_take_contact,
  wizard_take_details, wizard_take_needs, wizard_take_police,
  wizard_take_message, wizard_take_check,
};

gboolean
wizard_back (Wizard *wizard)
{
  WizardStep s = wizard->step;

  wizard->invalid_field = NULL;
  wizard->invalid_reason = NULL;
  if (s == WIZARD_STEP_CATEGORY || s == WIZARD_STEP_DONE)
    return FALSE;
  do
    s--;
  while (s > WIZARD_STEP_CATEGORY && !wizard_step_applies (wizard, s));
  wizard->step = s;
  return TRUE;
}

gboolean
wizard_submit (Wizard *wizard, const WizardContext *context, GHashTable *form,
               GError **error)
{
  const char *step = g_hash_table_lookup (form, "step");

  g_return_val_if_fail (wizard != NULL && context != NULL && form != NULL,
                        FALSE);
  if (wizard->step == WIZARD_STEP_DONE
      || g_strcmp0 (step, wizard_step_name (wizard->step)) != 0)
    {
      g_set_error (error, WIZARD_ERROR, WIZARD_ERROR_STATE,
                   "form for step %s, wizard at %s",
                   step ? step : "(none)", wizard_step_name (wizard->step));
      return FALSE;
    }
  if (g_strcmp0 (g_hash_table_lookup (form, "action"), "back") == 0)
    {
      wizard_back (wizard);
      return TRUE;
    }
  wizard->invalid_field = NULL;
  wizard->invalid_reason = NULL;
  if (!wizard_takes[wizard->step] (wizard, context, form, error))
    return FALSE;
  do
    wizard->step++;
  while (!wizard_step_applies (wizard, wizard->step)
         && wizard->step < WIZARD_STEP_DONE);
  return TRUE;
}

static void
wizard_set (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

Report *
wizard_build_report (const Wizard *w, const WizardContext *c, GError **error)
{
  Report *report;
  gboolean reachable = g_strcmp0 (w->contact_method, "phone") == 0
                       || g_strcmp0 (w->contact_method, "sms") == 0;

  if (w->step < WIZARD_STEP_CHECK || wizard_partner (w, c) == NULL)
    {
      g_set_error (error, WIZARD_ERROR, WIZARD_ERROR_STATE,
                   "the report is not complete");
      return NULL;
    }
  /* report_new fills some fields with defaults: replace, do not leak. */
  report = report_new ();
  wizard_set (&report->channel, c->channel);
  wizard_set (&report->language, w->language);
  wizard_set (&report->category, w->category);
  wizard_set (&report->partner, w->partner);
  wizard_set (&report->contact.method, w->contact_method);
  report->contact.phone = reachable ? g_strdup (w->phone) : NULL;
  report->contact.safe_times = g_strdup (w->safe_times);
  report->contact.voicemail_ok = w->voicemail_ok;
  report->contact.sms_ok = w->sms_ok;
  report->contact.interpreter_language = g_strdup (w->interpreter_language);
  report->contact.woman_worker = w->woman_worker;
  report->contact.trusted_person = g_strdup (w->trusted_person);
  /* Sending is the consent to share with the chosen partner: the check
   * screen says so next to the Send button. */
  report->share_with_partner = TRUE;
  report->partner_may_tell_police = w->police_ok;
  report->message = g_strdup (w->message);
  report->site = g_strdup (c->site);
  if (!report_validate (report, error))
    {
      wizard_report_wipe (report);
      return NULL;
    }
  return report;
}

void
wizard_report_wipe (Report *report)
{
  if (report == NULL)
    return;
  wizard_wipe_string (&report->message);
  wizard_wipe_string (&report->contact.phone);
  wizard_wipe_string (&report->contact.safe_times);
  wizard_wipe_string (&report->contact.trusted_person);
  report_free (report);
}

WizardReceipt *
wizard_receipt_new (const Report *report, const Partner *partner)
{
  WizardReceipt *receipt = g_new0 (WizardReceipt, 1);

  receipt->ref = g_strdup (report->ref);
  receipt->language = g_strdup (report->language);
  receipt->partner_id = g_strdup (partner->id);
  receipt->partner_name = g_strdup (partner->name);
  receipt->shared = report_shared_fields (report);
  return receipt;
}

void
wizard_receipt_free (WizardReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->ref);
  g_free (receipt->language);
  g_free (receipt->partner_id);
  g_free (receipt->partner_name);
  g_strfreev (receipt->shared);
  g_free (receipt);
}
