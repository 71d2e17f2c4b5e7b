/* intake: a report becomes one sealed envelope, one delivery and one
 * ledger row, or nothing at all.  Real store, real sealing. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gstdio.h>

#include "intake.h"
#include "seal.h"
#include "store.h"

typedef struct
{
  char             *dir;
  Store            *store;
  PartnerDirectory *partners;
  guint8            public_key[SEAL_PUBLIC_KEY_BYTES];
  guint8            secret_key[SEAL_SECRET_KEY_BYTES];
} Fixture;

static Partner *
make_partner (const char *id, const char *services, const char *languages,
              const guint8 *public_key)
{
  Partner *partner = partner_new ();

  partner->id = g_strdup (id);
  partner->name = g_strdup (id);
  partner->description = g_strdup ("Helps in tests.");
  partner->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (partner->services);
  partner->services = g_strsplit (services, ",", -1);
  g_strfreev (partner->languages);
  partner->languages = g_strsplit (languages, ",", -1);
  g_strfreev (partner->areas);
  partner->areas = g_strsplit ("*", ",", -1);
  partner->delivery = PARTNER_DELIVERY_WEBHOOK;
  partner->url = g_strdup ("https://partner.example.org/hook");
  partner->hmac_secret = g_strdup ("secret");
  memcpy (partner->public_key, public_key, SEAL_PUBLIC_KEY_BYTES);
  return partner;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static Store *
open_store (Fixture *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  Store *store = store_open (path, &error);

  g_assert_no_error (error);
  return store;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint8 other_public[SEAL_PUBLIC_KEY_BYTES], other_secret[SEAL_SECRET_KEY_BYTES];

  g_assert_true (seal_init (&error));
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("test-intake-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = open_store (f, "queue.db");
  crypto_box_keypair (f->public_key, f->secret_key);
  crypto_box_keypair (other_public, other_secret);

  f->partners = partner_directory_new ();
  partner_directory_add (f->partners,
                         make_partner ("abuse-support", "domestic-abuse,forced-marriage",
                                       "en,ur", f->public_key), &error);
  g_assert_no_error (error);
  partner_directory_add (f->partners,
                         make_partner ("hate-crime-somali", "hate-crime", "so",
                                       other_public), &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->partners, partner_directory_free);
  g_clear_pointer (&f->store, store_close);
  remove_tree (f->dir);
  g_free (f->dir);
}

static Report *
make_report (const char *partner, const char *category)
{
  Report *report = report_new ();

  g_free (report->channel);
  report->channel = g_strdup ("kiosk");
  report->category = g_strdup (category);
  report->partner = g_strdup (partner);
  report->message = g_strdup ("He took my passport.");
  return report;
}

static guint64
count_all (Store *store)
{
  guint64 counts[DELIVERY_N_STATES] = { 0 };
  g_autoptr(GError) error = NULL;
  guint64 total = 0;

  g_assert_true (store_counts (store, counts, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < DELIVERY_N_STATES; i++)
    total += counts[i];
  return total;
}

static void
test_submit_opens (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = make_report ("abuse-support", "domestic-abuse");
  g_autoptr(Intake) intake = intake_new (f->store, f->partners, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;
  g_autoptr(Envelope) envelope = NULL;
  g_autoptr(Report) opened = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  LedgerEntry *row;

  g_assert_true (intake_submit (intake, report, "Leeds", &id, &error));
  g_assert_no_error (error);
  g_assert_nonnull (id);

  delivery = store_get (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (delivery->state, ==, DELIVERY_QUEUED);
  g_assert_cmpint (delivery->method, ==, DELIVERY_METHOD_WEBHOOK);
  g_assert_cmpstr (delivery->partner, ==, "abuse-support");
  g_assert_cmpstr (delivery->ref, ==, report->ref);
  /* What is stored is ciphertext: the message is not in it. */
  g_assert_null (strstr (delivery->envelope_json, "passport"));

  envelope = envelope_from_json (delivery->envelope_json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->id, ==, id);
  g_assert_nonnull (envelope->sealed);
  opened = seal_open (envelope, f->public_key, f->secret_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened->message, ==, "He took my passport.");
  g_assert_cmpstr (opened->ref, ==, report->ref);
  g_assert_cmpstr (opened->category, ==, "domestic-abuse");

  ledger = store_ledger_for_ref (f->store, report->ref, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 1);
  row = g_ptr_array_index (ledger, 0);
  g_assert_cmpstr (row->id, ==, id);
  g_assert_cmpstr (row->partner, ==, "abuse-support");
  g_assert_cmpstr (row->channel, ==, "kiosk");
  g_assert_cmpstr (row->category, ==, "domestic-abuse");
  g_assert_cmpstr (row->language, ==, "en");
  g_assert_nonnull (strstr (row->shared_fields, "category"));
  g_assert_nonnull (strstr (row->shared_fields, "message"));
  g_assert_null (strstr (row->shared_fields, " "));
}

/* Submits a report for PARTNER and returns the stored delivery's method. */
static DeliveryMethod
submitted_method (Fixture *f, Intake *intake, const char *partner,
                  const char *category)
{
  g_autoptr(Report) report = make_report (partner, category);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(Delivery) delivery = NULL;

  g_assert_true (intake_submit (intake, report, NULL, &id, &error));
  g_assert_no_error (error);
  delivery = store_get (f->store, id, &error);
  g_assert_no_error (error);
  return delivery->method;
}

static void
test_relay_method (Fixture *f, gconstpointer data)
{
  g_autoptr(Intake) intake = intake_new (f->store, f->partners, TRUE);

  g_assert_cmpint (submitted_method (f, intake, "abuse-support", "forced-marriage"),
                   ==, DELIVERY_METHOD_RELAY);
}

/* Without relay, each partner's own way of receiving decides the method. */
static void
test_partner_methods (Fixture *f, gconstpointer data)
{
  g_autoptr(Intake) intake = intake_new (f->store, f->partners, FALSE);
  g_autoptr(GError) error = NULL;
  Partner *pull = make_partner ("pull-clinic", "*", "en", f->public_key);
  Partner *mail = make_partner ("mail-helpline", "*", "en", f->public_key);
  const char *ids[] = { "pull-clinic", "mail-helpline" };
  const DeliveryMethod methods[] = { DELIVERY_METHOD_PULL, DELIVERY_METHOD_EMAIL };

  pull->delivery = PARTNER_DELIVERY_PULL;
  pull->pull_token = g_strdup ("0123456789abcdef0123456789abcdef");
  g_clear_pointer (&pull->url, g_free);
  mail->delivery = PARTNER_DELIVERY_EMAIL;
  mail->smtp_url = g_strdup ("smtp://mail.example.org:587");
  mail->email_to = g_strdup ("cases@example.org");
  g_clear_pointer (&mail->url, g_free);
  partner_directory_add (f->partners, pull, &error);
  g_assert_no_error (error);
  partner_directory_add (f->partners, mail, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpint (submitted_method (f, intake, ids[i], "other"), ==, methods[i]);
}

static void
test_refused_partner (Fixture *f, gconstpointer data)
{
  g_autoptr(Intake) intake = intake_new (f->store, f->partners, FALSE);
  g_autoptr(Report) wrong_category = make_report ("abuse-support", "hate-crime");
  g_autoptr(Report) wrong_language = make_report ("hate-crime-somali", "hate-crime");
  g_autoptr(Report) unknown = make_report ("no-such-partner", "domestic-abuse");
  g_autoptr(GError) error = NULL;
  char *id = NULL;

  /* A partner that does not take this category could not have been offered. */
  g_assert_false (intake_submit (intake, wrong_category, NULL, &id, &error));
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "abuse-support"));
  g_clear_error (&error);
  /* Nor one that neither speaks English nor brings an interpreter. */
  g_assert_false (intake_submit (intake, wrong_language, NULL, &id, &error));
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (intake_submit (intake, unknown, NULL, &id, &error));
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_null (id);
  g_assert_cmpuint (count_all (f->store), ==, 0);
}

static void
test_invalid_report (Fixture *f, gconstpointer data)
{
  g_autoptr(Intake) intake = intake_new (f->store, f->partners, FALSE);
  g_autoptr(Report) report = make_report ("abuse-support", "domestic-abuse");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  char *id = NULL;

  /* Phone contact without a phone number. */
  g_free (report->contact.method);
  report->contact.method = g_strdup ("phone");
  g_assert_false (intake_submit (intake, report, NULL, &id, &error));
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
  g_clear_error (&error);

  g_free (report->contact.method);
  report->contact.method = g_strdup ("none");
  report->share_with_partner = FALSE;
  g_assert_false (intake_submit (intake, report, NULL, &id, &error));
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);

  g_assert_null (id);
  g_assert_cmpuint (count_all (f->store), ==, 0);
  ledger = store_ledger_for_ref (f->store, report->ref, NULL);
  g_assert_true (ledger == NULL || ledger->len == 0);
}

static void
test_relayed_envelope (Fixture *f, gconstpointer data)
{
  g_autoptr(Intake) kiosk = intake_new (f->store, f->partners, TRUE);
  g_autoptr(Report) report = make_report ("abuse-support", "domestic-abuse");
  g_autoptr(Store) gateway_store = open_store (f, "gateway.db");
  g_autoptr(Intake) gateway = intake_new (gateway_store, f->partners, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(Delivery) sent = NULL;
  g_autoptr(Delivery) relayed = NULL;
  g_autoptr(Envelope) envelope = NULL;
  g_autoptr(Envelope) stranger = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  gboolean duplicate = TRUE;
  LedgerEntry *row;

  g_assert_true (intake_submit (kiosk, report, NULL, &id, &error));
  g_assert_no_error (error);
  sent = store_get (f->store, id, &error);
  g_assert_no_error (error);
  envelope = envelope_from_json (sent->envelope_json, -1, &error);
  g_assert_no_error (error);

  g_assert_true (intake_submit_envelope (gateway, envelope, "relay", &duplicate, &error));
  g_assert_no_error (error);
  g_assert_false (duplicate);
  /* The kiosk retries (it never saw our 2xx): nothing new is stored. */
  g_assert_true (intake_submit_envelope (gateway, envelope, "relay", &duplicate, &error));
  g_assert_no_error (error);
  g_assert_true (duplicate);
  g_assert_cmpuint (count_all (gateway_store), ==, 1);

  relayed = store_get (gateway_store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (relayed->method, ==, DELIVERY_METHOD_WEBHOOK);
  g_assert_cmpstr (relayed->partner, ==, "abuse-support");
  ledger = store_ledger_for_ref (gateway_store, report->ref, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 1);
  row = g_ptr_array_index (ledger, 0);
  g_assert_cmpstr (row->channel, ==, "relay");
  /* Sealed and unread: the gateway does not know what it is about. */
  g_assert_null (row->category);

  /* An envelope for a partner the gateway does not know is refused. */
  stranger = envelope_from_json (sent->envelope_json, -1, &error);
  g_assert_no_error (error);
  g_free (stranger->partner);
  stranger->partner = g_strdup ("unknown-partner");
  g_free (stranger->id);
  stranger->id = g_uuid_string_random ();
  g_assert_false (intake_submit_envelope (gateway, stranger, "relay", &duplicate, &error));
  g_assert_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID);
  g_assert_cmpuint (count_all (gateway_store), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
#define ADD(path, test) \
  g_test_add (path, Fixture, NULL, fixture_setup, test, fixture_teardown)
  ADD ("/intake/submit-opens-with-partner-key", test_submit_opens);
  ADD ("/intake/relay-method", test_relay_method);
  ADD ("/intake/partner-methods", test_partner_methods);
  ADD ("/intake/refused-partner", test_refused_partner);
  ADD ("/intake/invalid-report-stores-nothing", test_invalid_report);
  ADD ("/intake/relayed-envelope", test_relayed_envelope);
#undef ADD
  return g_test_run ();
}
