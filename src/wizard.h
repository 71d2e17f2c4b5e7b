/* wizard: the report wizard's state machine, independent of transport.
 *
 * The kiosk and the gateway's web wizard (/LANG/report) keep one Wizard
 * per session, feed it each posted form and render its current step with
 * views.h.  The wizard validates every answer, decides the next step
 * (steps that do not apply are skipped), and builds the Report at the end.
 * It holds what the person typed: wizard_free() wipes every string.
 *
 * Steps, in order:
 *   category -> partner -> contact -> details -> needs -> police ->
 *   message -> check -> (done)
 * "details" is skipped when the person chose not to be contacted. */
#pragma once

#include <glib.h>
#include "partner.h"
#include "report.h"

G_BEGIN_DECLS

#define WIZARD_ERROR (wizard_error_quark ())
GQuark wizard_error_quark (void);

typedef enum
{
  WIZARD_ERROR_INVALID,   /* an answer is wrong; the step is shown again */
  WIZARD_ERROR_STATE,     /* the form was for another step (stale page) */
  WIZARD_ERROR_NO_PARTNER,/* nobody can take this report here */
} WizardError;

typedef enum
{
  WIZARD_STEP_CATEGORY,
  WIZARD_STEP_PARTNER,
  WIZARD_STEP_CONTACT,
  WIZARD_STEP_DETAILS,
  WIZARD_STEP_NEEDS,
  WIZARD_STEP_POLICE,
  WIZARD_STEP_MESSAGE,
  WIZARD_STEP_CHECK,
  WIZARD_STEP_DONE,
  WIZARD_N_STEPS
} WizardStep;

/* Where the wizard runs: which partners, which area, which channel. */
typedef struct
{
  const PartnerDirectory *partners;
  const char             *area;     /* NULL = unknown */
  const char             *channel;  /* "kiosk" or "web" */
  const char             *site;     /* kiosk site / gateway name, or NULL */
} WizardContext;

typedef struct
{
  WizardStep  step;
  char       *language;
  char       *category;
  char       *partner;
  char       *contact_method;        /* report_contact_methods */
  char       *phone;
  gboolean    voicemail_ok;
  gboolean    sms_ok;
  char       *safe_times;
  char       *trusted_person;
  char       *interpreter_language;  /* NULL = none needed */
  gboolean    woman_worker;
  gboolean    police_ok;
  char       *message;
  /* The last rejected answer, for the page to show: the form field and an
   * untranslated msgid (N_()) that views translate in the page language. */
  const char *invalid_field;
  const char *invalid_reason;
} Wizard;

/* What the receipt shows: no personal data, only where it went and which
 * kinds of information went there. */
typedef struct
{
  char  *ref;
  char  *language;
  char  *partner_id;
  char  *partner_name;
  char **shared;      /* report_shared_fields () */
} WizardReceipt;

Wizard        *wizard_new          (const char *language);
/* Wipes (zeroes) every answer, then frees. */
void           wizard_free         (Wizard *wizard);

/* Applies FORM (field -> value, as posted) to the current step.  FORM's
 * "step" must name the current step (wizard_step_name) or the post is
 * stale (WIZARD_ERROR_STATE).  "action=back" goes one step back without
 * validating; otherwise the answers are validated and, when valid, kept
 * and the wizard moves on.  On WIZARD_ERROR_INVALID invalid_field/reason
 * say what to show.  At WIZARD_STEP_CHECK a valid post moves to DONE:
 * the caller then builds the report and submits it. */
gboolean       wizard_submit       (Wizard              *wizard,
                                    const WizardContext *context,
                                    GHashTable          *form,
                                    GError             **error);
/* One step back (skipping steps that do not apply); FALSE at the start. */
gboolean       wizard_back         (Wizard *wizard);

/* The partners the person can choose from now (route_eligible): array of
 * const Partner *, owned by the directory. */
GPtrArray     *wizard_partners     (const Wizard        *wizard,
                                    const WizardContext *context);
const Partner *wizard_partner      (const Wizard        *wizard,
                                    const WizardContext *context);

/* The Report for a wizard at WIZARD_STEP_DONE (or CHECK, for the preview).
 * Validated; the caller owns it and should wipe it with
 * wizard_report_wipe() once submitted. */
Report        *wizard_build_report (const Wizard        *wizard,
                                    const WizardContext *context,
                                    GError             **error);
/* Zeroes the personal fields of REPORT (message, phone, safe times,
 * trusted person) and frees it. */
void           wizard_report_wipe  (Report *report);

WizardReceipt *wizard_receipt_new  (const Report  *report,
                                    const Partner *partner);
void           wizard_receipt_free (WizardReceipt *receipt);

/* "category", "partner", ... (stable: used in forms and URLs). */
const char    *wizard_step_name    (WizardStep step);
/* 1-based position of STEP among the steps that apply, and their count. */
guint          wizard_step_number  (const Wizard *wizard,
                                    guint        *n_steps);
gboolean       wizard_step_applies (const Wizard *wizard,
                                    WizardStep    step);

/* Zero and free a string holding something a person typed. */
void           wizard_wipe_string  (char **text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wizard, wizard_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WizardReceipt, wizard_receipt_free)

G_END_DECLS
