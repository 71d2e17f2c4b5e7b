/* test-wizard: the wizard state machine (every step, back, invalid
 * answers, stale forms) and the kiosk's sessions (expiry, CSRF, wipe). */
#include "config.h"

#include <string.h>

#include "kiosk-test-data.h"
#include "session.h"
#include "wizard.h"

typedef struct
{
  Conf             *conf;
  PartnerDirectory *partners;
  WizardContext     context;
  Wizard           *w;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->conf = kiosk_test_load_conf ();
  f->partners = partner_directory_load (f->conf, &error);
  g_assert_no_error (error);
  f->context.partners = f->partners;
  f->context.channel = "kiosk";
  f->context.site = "Test Library";
  f->w = wizard_new (data ? data : "en");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wizard_free (f->w);
  partner_directory_free (f->partners);
  conf_free (f->conf);
}

static GHashTable *
form_v (const char *step, va_list args)
{
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  const char *key;

  g_hash_table_insert (table, (char *) "step", (char *) step);
  while ((key = va_arg (args, const char *)))
    g_hash_table_insert (table, (char *) key, va_arg (args, char *));
  return table;
}

/* Posts STEP's form (key, value, ..., NULL); returns whether accepted. */
static gboolean
post (Fixture *f, GError **error, const char *step, ...)
{
  va_list args;
  GHashTable *table;
  gboolean ok;

  va_start (args, step);
  table = form_v (step, args);
  va_end (args);
  ok = wizard_submit (f->w, &f->context, table, error);
  g_hash_table_unref (table);
  return ok;
}

#define POST_OK(f, ...) G_STMT_START { \
    g_autoptr(GError) _e = NULL; \
    g_assert_true (post (f, &_e, __VA_ARGS__, NULL)); \
    g_assert_no_error (_e); \
  } G_STMT_END

#define POST_INVALID(f, field, ...) G_STMT_START { \
    g_autoptr(GError) _e = NULL; \
    WizardStep _before = (f)->w->step; \
    g_assert_false (post (f, &_e, __VA_ARGS__, NULL)); \
    g_assert_error (_e, WIZARD_ERROR, WIZARD_ERROR_INVALID); \
    g_assert_cmpstr ((f)->w->invalid_field, ==, field); \
    g_assert_nonnull ((f)->w->invalid_reason); \
    g_assert_cmpint ((f)->w->step, ==, _before); \
  } G_STMT_END

static void
walk_to_check (Fixture *f)
{
  POST_OK (f, "category", "category", "domestic-abuse");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_PARTNER);
  POST_OK (f, "partner", "partner", "rights");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_CONTACT);
  POST_OK (f, "contact", "method", "phone");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_DETAILS);
  POST_OK (f, "details", "phone", " +44 7700 900123 ", "voicemail", "no",
           "sms", "yes", "safe_times", "weekdays 10-12");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_NEEDS);
  POST_OK (f, "needs", "interpreter", "pa", "woman_worker", "yes");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_POLICE);
  POST_OK (f, "police", "police", "no");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_MESSAGE);
  POST_OK (f, "message", "message", "  He took my passport.\r\nPlease help.  ");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_CHECK);
}

static void
test_full_walk (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Report *report;
  g_autoptr(WizardReceipt) receipt = NULL;
  guint n = 0;

  walk_to_check (f);
  g_assert_cmpuint (wizard_step_number (f->w, &n), ==, 8);
  g_assert_cmpuint (n, ==, 8);
  POST_OK (f, "check", "confirm", "send");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_DONE);
  report = wizard_build_report (f->w, &f->context, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpstr (report->channel, ==, "kiosk");
  g_assert_cmpstr (report->language, ==, "en");
  g_assert_cmpstr (report->category, ==, "domestic-abuse");
  g_assert_cmpstr (report->partner, ==, "rights");
  g_assert_cmpstr (report->contact.method, ==, "phone");
  g_assert_cmpstr (report->contact.phone, ==, "+44 7700 900123");
  g_assert_false (report->contact.voicemail_ok);
  g_assert_true (report->contact.sms_ok);
  g_assert_cmpstr (report->contact.safe_times, ==, "weekdays 10-12");
  g_assert_cmpstr (report->contact.interpreter_language, ==, "pa");
  g_assert_true (report->contact.woman_worker);
  g_assert_null (report->contact.trusted_person);
  g_assert_true (report->share_with_partner);
  g_assert_false (report->partner_may_tell_police);
  g_assert_cmpstr (report->message, ==, "He took my passport.\nPlease help.");
  g_assert_cmpstr (report->site, ==, "Test Library");
  g_assert_true (report_ref_valid (report->ref));

  receipt = wizard_receipt_new (report, partner_directory_lookup (f->partners, "rights"));
  g_assert_cmpstr (receipt->ref, ==, report->ref);
  g_assert_cmpstr (receipt->partner_name, ==, partner_directory_lookup (f->partners, "rights")->name);
  g_assert_true (g_strv_contains ((const char *const *) receipt->shared, "contact.phone"));
  wizard_report_wipe (report);

  /* Done is final: no more posts, no back. */
  {
    g_autoptr(GError) e = NULL;
    g_assert_false (post (f, &e, "check", "confirm", "send", NULL));
    g_assert_error (e, WIZARD_ERROR, WIZARD_ERROR_STATE);
  }
  g_assert_false (wizard_back (f->w));
}

static void
test_anonymous_skips_details (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = NULL;
  guint n = 0;

  POST_OK (f, "category", "category", "modern-slavery");
  POST_OK (f, "partner", "partner", "helpline");
  POST_OK (f, "contact", "method", "none");
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_NEEDS);
  wizard_step_number (f->w, &n);
  g_assert_cmpuint (n, ==, 7);
  g_assert_false (wizard_step_applies (f->w, WIZARD_STEP_DETAILS));
  /* Back skips the step that does not apply. */
  g_assert_true (wizard_back (f->w));
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_CONTACT);
  POST_OK (f, "contact", "method", "none");
  POST_OK (f, "needs", "interpreter", "none", "woman_worker", "no");
  POST_OK (f, "police", "police", "yes");
  POST_OK (f, "message", "message", "");
  POST_OK (f, "check", "confirm", "send");
  report = wizard_build_report (f->w, &f->context, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (report->contact.method, ==, "none");
  g_assert_null (report->contact.phone);
  g_assert_null (report->contact.interpreter_language);
  g_assert_null (report->message);
  g_assert_true (report->partner_may_tell_police);
}

static void
test_trusted_person (Fixture *f, gconstpointer data)
{
  POST_OK (f, "category", "category", "forced-marriage");
  POST_OK (f, "partner", "partner", "rights");
  POST_OK (f, "contact", "method", "trusted-person");
  POST_INVALID (f, "trusted_person", "details", "trusted_person", "   ");
  POST_OK (f, "details", "trusted_person", "My aunt, at the gurdwara");
  g_assert_cmpstr (f->w->trusted_person, ==, "My aunt, at the gurdwara");
  g_assert_null (f->w->phone);
}

static void
test_back_every_step (Fixture *f, gconstpointer data)
{
  WizardStep expected[] = {
    WIZARD_STEP_MESSAGE, WIZARD_STEP_POLICE, WIZARD_STEP_NEEDS,
    WIZARD_STEP_DETAILS, WIZARD_STEP_CONTACT, WIZARD_STEP_PARTNER,
    WIZARD_STEP_CATEGORY,
  };

  walk_to_check (f);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GError) e = NULL;
      /* Back through the form, as the Back button posts it. */
      g_assert_true (post (f, &e, wizard_step_name (f->w->step), "action", "back",
                           NULL));
      g_assert_cmpint (f->w->step, ==, expected[i]);
    }
  g_assert_false (wizard_back (f->w));
  /* Answers survive going back. */
  g_assert_cmpstr (f->w->category, ==, "domestic-abuse");
  g_assert_cmpstr (f->w->phone, ==, "+44 7700 900123");
}

static void
test_invalid_answers (Fixture *f, gconstpointer data)
{
  g_autofree char *long_text = g_strnfill (REPORT_MESSAGE_MAX + 1, 'a');
  g_autofree char *long_short = g_strnfill (REPORT_SHORT_FIELD_MAX + 1, 'b');

  POST_INVALID (f, "category", "category", "category", "burglary");
  POST_INVALID (f, "category", "category", "category", "");
  POST_INVALID (f, "category", "category", "other-thing", "x");
  POST_OK (f, "category", "category", "domestic-abuse");
  /* Not eligible for domestic abuse; not a partner at all. */
  POST_INVALID (f, "partner", "partner", "partner", "helpline");
  POST_INVALID (f, "partner", "partner", "partner", "home-office");
  POST_INVALID (f, "partner", "partner", "partner", "");
  POST_OK (f, "partner", "partner", "legal");
  POST_INVALID (f, "method", "contact", "method", "carrier-pigeon");
  POST_OK (f, "contact", "method", "phone");
  POST_INVALID (f, "phone", "details", "phone", "", "voicemail", "no", "sms", "no");
  POST_INVALID (f, "phone", "details", "phone", "call me", "voicemail", "no", "sms", "no");
  POST_INVALID (f, "phone", "details", "phone", "123", "voicemail", "no", "sms", "no");
  POST_INVALID (f, "phone", "details", "phone", "1234567890123456789", "voicemail", "no", "sms", "no");
  POST_INVALID (f, "phone", "details", "phone", "07700+900123", "voicemail", "no", "sms", "no");
  POST_INVALID (f, "voicemail", "details", "phone", "07700 900123", "sms", "no");
  POST_INVALID (f, "voicemail", "details", "phone", "07700 900123", "voicemail", "maybe", "sms", "no");
  POST_INVALID (f, "sms", "details", "phone", "07700 900123", "voicemail", "no");
  POST_INVALID (f, "safe_times", "details", "phone", "07700 900123", "voicemail", "no",
                "sms", "no", "safe_times", long_short);
  POST_INVALID (f, "safe_times", "details", "phone", "07700 900123", "voicemail", "no",
                "sms", "no", "safe_times", "bad\x01" "char");
  POST_INVALID (f, "safe_times", "details", "phone", "07700 900123", "voicemail", "no",
                "sms", "no", "safe_times", "\xff\xfe");
  POST_OK (f, "details", "phone", "(0113) 496-0000", "voicemail", "yes", "sms", "no");
  POST_INVALID (f, "interpreter", "needs", "interpreter", "en", "woman_worker", "no");
  POST_INVALID (f, "interpreter", "needs", "interpreter", "de", "woman_worker", "no");
  POST_INVALID (f, "interpreter", "needs", "woman_worker", "no");
  POST_INVALID (f, "woman_worker", "needs", "interpreter", "none");
  POST_OK (f, "needs", "interpreter", "ar", "woman_worker", "no");
  POST_INVALID (f, "police", "police", "police", "perhaps");
  POST_OK (f, "police", "police", "yes");
  POST_INVALID (f, "message", "message", "message", long_text);
  POST_INVALID (f, "message", "message", "message", "nul\x1b" "escape");
  POST_OK (f, "message", "message", "tab\there");
  POST_INVALID (f, "confirm", "check", "confirm", "yes");
  POST_OK (f, "check", "confirm", "send");
}

static void
test_stale_form (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;

  POST_OK (f, "category", "category", "hate-crime");
  /* A second tab, or Back to a cached page, posts an old step. */
  g_assert_false (post (f, &e1, "category", "category", "fgm", NULL));
  g_assert_error (e1, WIZARD_ERROR, WIZARD_ERROR_STATE);
  g_assert_cmpstr (f->w->category, ==, "hate-crime");
  g_assert_false (post (f, &e2, NULL, "partner", "legal", NULL));
  g_assert_error (e2, WIZARD_ERROR, WIZARD_ERROR_STATE);
  g_assert_cmpint (f->w->step, ==, WIZARD_STEP_PARTNER);
}

static void
test_changes_reset_dependants (Fixture *f, gconstpointer data)
{
  walk_to_check (f);
  /* Back to the category: another category clears the partner. */
  while (f->w->step != WIZARD_STEP_CATEGORY)
    wizard_back (f->w);
  POST_OK (f, "category", "category", "modern-slavery");
  g_assert_null (f->w->partner);
  POST_OK (f, "partner", "partner", "helpline");
  /* Another contact method clears the phone number. */
  POST_OK (f, "contact", "method", "none");
  g_assert_null (f->w->phone);
  g_assert_false (f->w->sms_ok);
}

static void
test_no_partner (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) eligible = NULL;
  g_autoptr(GError) error = NULL;

  /* Modern slavery in Punjabi: only the helpline (interpreters). */
  POST_OK (f, "category", "category", "modern-slavery");
  eligible = wizard_partners (f->w, &f->context);
  g_assert_cmpuint (eligible->len, ==, 1);
  /* An empty directory: nobody can take it. */
  f->context.partners = NULL;
  g_assert_false (post (f, &error, "partner", "partner", "helpline", NULL));
  g_assert_error (error, WIZARD_ERROR, WIZARD_ERROR_NO_PARTNER);
}

/* ---- sessions: expiry, CSRF, wipe ---- */

static void
test_session_expiry (void)
{
  g_autoptr(SessionStore) store = session_store_new (90 * G_USEC_PER_SEC, 100);
  gint64 t0 = 1000 * G_USEC_PER_SEC;
  Session *a = session_store_create (store, t0);
  Session *b = session_store_create (store, t0);
  g_autofree char *a_id = g_strdup (a->id);
  g_autofree char *b_id = g_strdup (b->id);

  g_assert_cmpuint (strlen (a->id), ==, 64);
  g_assert_cmpstr (a->id, !=, b->id);
  g_assert_cmpstr (a->csrf, !=, a->id);
  a->wizard = wizard_new ("ur");
  g_assert_true (session_store_lookup (store, a_id, t0 + 89 * G_USEC_PER_SEC) == a);
  /* Activity keeps a alive; b is left alone. */
  session_store_touch (store, a, t0 + 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (session_store_sweep (store, t0 + 100 * G_USEC_PER_SEC), ==, 1);
  g_assert_null (session_store_lookup (store, b_id, t0 + 100 * G_USEC_PER_SEC));
  g_assert_true (session_store_lookup (store, a_id, t0 + 149 * G_USEC_PER_SEC) == a);
  /* Expired on lookup even before the sweep runs. */
  g_assert_null (session_store_lookup (store, a_id, t0 + 151 * G_USEC_PER_SEC));
  g_assert_cmpuint (session_store_size (store), ==, 0);
  g_assert_null (session_store_lookup (store, "not-a-session", t0));
  g_assert_null (session_store_lookup (store, NULL, t0));
}

static void
test_session_csrf (void)
{
  g_autoptr(SessionStore) store = session_store_new (90 * G_USEC_PER_SEC, 100);
  Session *s = session_store_create (store, 0);
  Session *other = session_store_create (store, 0);
  g_autofree char *wrong = g_strdup (s->csrf);

  g_assert_true (session_csrf_valid (s, s->csrf));
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  g_assert_false (session_csrf_valid (s, wrong));
  g_assert_false (session_csrf_valid (s, other->csrf));
  g_assert_false (session_csrf_valid (s, ""));
  g_assert_false (session_csrf_valid (s, NULL));
  g_assert_false (session_csrf_valid (NULL, s->csrf));
  wrong[10] = '\0';
  g_assert_false (session_csrf_valid (s, wrong));
}

static void
test_session_eviction (void)
{
  g_autoptr(SessionStore) store = session_store_new (90 * G_USEC_PER_SEC, 3);
  Session *first = session_store_create (store, 0);
  g_autofree char *first_id = g_strdup (first->id);
  Session *second = session_store_create (store, 0);
  g_autofree char *second_id = g_strdup (second->id);

  session_store_create (store, 0);
  /* The least recently used goes first: touch the first one. */
  session_store_touch (store, first, 1);
  session_store_create (store, 2);
  g_assert_cmpuint (session_store_size (store), ==, 3);
  g_assert_nonnull (session_store_lookup (store, first_id, 3));
  g_assert_null (session_store_lookup (store, second_id, 3));
}

static void
test_session_reset (void)
{
  g_autoptr(SessionStore) store = session_store_new (90 * G_USEC_PER_SEC, 10);
  Session *s = session_store_create (store, 0);

  s->wizard = wizard_new ("so");
  s->wizard->message = g_strdup ("secret");
  session_set_string (&s->last_path, "/so/report");
  session_reset (s);
  g_assert_null (s->wizard);
  g_assert_null (s->receipt);
  session_store_remove (store, s);
  g_assert_cmpuint (session_store_size (store), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kiosk_test_lang_init ();
#define ADD(path, fn, data) \
  g_test_add (path, Fixture, data, fixture_set_up, fn, fixture_tear_down)
  ADD ("/wizard/full-walk", test_full_walk, NULL);
  ADD ("/wizard/anonymous-skips-details", test_anonymous_skips_details, NULL);
  ADD ("/wizard/trusted-person", test_trusted_person, NULL);
  ADD ("/wizard/back-every-step", test_back_every_step, NULL);
  ADD ("/wizard/invalid-answers", test_invalid_answers, NULL);
  ADD ("/wizard/stale-form", test_stale_form, NULL);
  ADD ("/wizard/changes-reset-dependants", test_changes_reset_dependants, NULL);
  ADD ("/wizard/no-partner", test_no_partner, "pa");
  g_test_add_func ("/session/expiry", test_session_expiry);
  g_test_add_func ("/session/csrf", test_session_csrf);
  g_test_add_func ("/session/eviction", test_session_eviction);
  g_test_add_func ("/session/reset", test_session_reset);
  return g_test_run ();
}
