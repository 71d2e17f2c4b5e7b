/* sr-test-envelope: makes what a gateway would send, for the inbox tests.
 *
 *   sr-test-envelope seal PUBLIC_KEY_FILE PARTNER OUT_FILE [MESSAGE]
 *       seals a valid report (MESSAGE with C escapes such as \n) to the
 *       key, writes the envelope JSON to OUT_FILE, prints id=... ref=...
 *   sr-test-envelope sign SECRET_FILE BODY_FILE [AGE_SECONDS]
 *       prints the Saferoute-Signature value for BODY_FILE made AGE
 *       seconds ago (default 0).
 *   sr-test-envelope report PARTNER OUT_FILE [MESSAGE]
 *       writes a valid report v1 JSON for PARTNER (for saferoutectl
 *       enqueue), prints id=... ref=...
 *   sr-test-envelope keygen SECRET_FILE PUBLIC_FILE
 *
 * Built with the library itself, so the tests exercise the real formats. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "partner.h"
#include "report.h"
#include "seal.h"
#include "signature.h"

static int
fail (const GError *error)
{
  g_printerr ("sr-test-envelope: %s\n", error->message);
  return 1;
}

/* report_new may already have filled a field with a default. */
static void
set (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static Report *
make_report (const char *partner_id, const char *message)
{
  Report *report = report_new ();

  set (&report->channel, "kiosk");
  set (&report->language, "en");
  set (&report->category, "domestic-abuse");
  set (&report->partner, partner_id);
  set (&report->contact.method, "phone");
  set (&report->contact.phone, "+447700900123");
  set (&report->contact.safe_times, "weekdays 10-12");
  report->share_with_partner = TRUE;
  report->partner_may_tell_police = FALSE;
  report->message = message ? g_strcompress (message) : NULL;
  set (&report->site, "test-site");
  return report;
}

static int
cmd_report (const char *partner_id, const char *out_file, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = make_report (partner_id, message);
  g_autofree char *json = NULL;
  gsize length = 0;

  json = report_to_json (report, &length);
  if (!g_file_set_contents (out_file, json, (gssize) length, &error))
    return fail (error);
  g_print ("id=%s\nref=%s\n", report->id, report->ref);
  return 0;
}

static int
cmd_seal (const char *public_key_file, const char *partner_id,
          const char *out_file, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = make_report (partner_id, message);
  g_autoptr(Partner) partner = partner_new ();
  g_autoptr(Envelope) envelope = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;

  if (!seal_load_public_key (public_key_file, partner->public_key, &error))
    return fail (error);
  set (&partner->id, partner_id);
  partner->plain = FALSE;
  envelope = seal_report (report, partner, &error);
  if (envelope == NULL)
    return fail (error);
  json = envelope_to_json (envelope, &length);
  if (!g_file_set_contents (out_file, json, (gssize) length, &error))
    return fail (error);
  g_print ("id=%s\nref=%s\n", envelope->id, envelope->ref);
  return 0;
}

static int
cmd_sign (const char *secret_file, const char *body_file, const char *age)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *body = NULL;
  g_autofree char *header = NULL;
  gsize length = 0;
  gint64 seconds = 0;

  if (age && !g_ascii_string_to_signed (age, 10, -100000, 100000, &seconds,
                                        &error))
    return fail (error);
  if (!g_file_get_contents (secret_file, &secret, NULL, &error)
      || !g_file_get_contents (body_file, &body, &length, &error))
    return fail (error);
  g_strstrip (secret);
  header = signature_header_new (secret,
                                 g_get_real_time () / G_USEC_PER_SEC - seconds,
                                 body, length);
  g_print ("%s\n", header);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (!seal_init (&error))
    return fail (error);
  if (argc >= 5 && argc <= 6 && strcmp (argv[1], "seal") == 0)
    return cmd_seal (argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
  if (argc >= 4 && argc <= 5 && strcmp (argv[1], "sign") == 0)
    return cmd_sign (argv[2], argv[3], argc == 5 ? argv[4] : NULL);
  if (argc >= 4 && argc <= 5 && strcmp (argv[1], "report") == 0)
    return cmd_report (argv[2], argv[3], argc == 5 ? argv[4] : NULL);
  if (argc == 4 && strcmp (argv[1], "keygen") == 0)
    return seal_keygen (argv[2], argv[3], &error) ? 0 : fail (error);
  g_printerr ("usage: sr-test-envelope seal PUBKEY PARTNER OUT [MESSAGE]\n"
              "       sr-test-envelope sign SECRET_FILE BODY_FILE [AGE]\n"
              "       sr-test-envelope report PARTNER OUT [MESSAGE]\n"
              "       sr-test-envelope keygen SECRET PUBLIC\n");
  return 2;
}
