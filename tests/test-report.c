/* The report model: validation rules, JSON, shared fields, reference codes,
 * times. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "report.h"

/* The reference-code rule, written out again independently of report.c:
 * alphabet without 0/O 1/I/L 2/Z 5/S 8/B U/V, weights 8..1, sum = 0 mod 23. */
static const char alphabet[] = "34679ACDEFGHJKMNPQRTWXY";

static gboolean
rule_holds (const char *ref)
{
  guint sum = 0, j = 0;

  if (strlen (ref) != 9 || ref[4] != '-')
    return FALSE;
  for (guint i = 0; i < 9; i++)
    {
      const char *p;

      if (i == 4)
        continue;
      p = strchr (alphabet, ref[i]);
      if (ref[i] == '\0' || p == NULL)
        return FALSE;
      sum += (8 - j++) * (guint) (p - alphabet);
    }
  return sum % 23 == 0;
}

static Report *
valid_report (void)
{
  Report *report = report_new ();

  report->category = g_strdup ("domestic-abuse");
  report->partner = g_strdup ("example-support");
  return report;
}

static char **
slot (Report *report, const char *path)
{
  static const struct { const char *path; gsize offset; } slots[] = {
    { "id", G_STRUCT_OFFSET (Report, id) },
    { "ref", G_STRUCT_OFFSET (Report, ref) },
    { "channel", G_STRUCT_OFFSET (Report, channel) },
    { "language", G_STRUCT_OFFSET (Report, language) },
    { "category", G_STRUCT_OFFSET (Report, category) },
    { "partner", G_STRUCT_OFFSET (Report, partner) },
    { "contact.method", G_STRUCT_OFFSET (Report, contact.method) },
    { "contact.phone", G_STRUCT_OFFSET (Report, contact.phone) },
    { "contact.safe_times", G_STRUCT_OFFSET (Report, contact.safe_times) },
    { "contact.interpreter_language",
      G_STRUCT_OFFSET (Report, contact.interpreter_language) },
    { "contact.trusted_person",
      G_STRUCT_OFFSET (Report, contact.trusted_person) },
    { "message", G_STRUCT_OFFSET (Report, message) },
    { "site", G_STRUCT_OFFSET (Report, site) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    if (strcmp (slots[i].path, path) == 0)
      return G_STRUCT_MEMBER_P (report, slots[i].offset);
  g_assert_not_reached ();
}

static void
set_text (Report *report, const char *path, const char *value)
{
  char **p = slot (report, path);

  g_free (*p);
  *p = g_strdup (value);
}

static void
assert_refused (const Report *report, int code, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strconcat (path, ": ", NULL);

  g_assert_false (report_validate (report, &error));
  g_assert_error (error, REPORT_ERROR, code);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("error \"%s\" does not name %s", error->message, path);
}

static void
assert_valid (const Report *report)
{
  g_autoptr(GError) error = NULL;

  if (!report_validate (report, &error))
    g_error ("valid report refused: %s", error->message);
}

static void
test_new (void)
{
  g_autoptr(Report) a = valid_report ();
  g_autoptr(Report) b = valid_report ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_true (g_uuid_string_is_valid (a->id));
  g_assert_cmpstr (a->id, !=, b->id);
  g_assert_true (report_ref_valid (a->ref));
  g_assert_cmpint (a->created_at, <=, now);
  g_assert_cmpint (a->created_at, >=, now - 60);
  g_assert_cmpstr (a->channel, ==, "api");
  g_assert_cmpstr (a->language, ==, "en");
  g_assert_cmpstr (a->contact.method, ==, "none");
  g_assert_true (a->share_with_partner);
  g_assert_false (a->partner_may_tell_police);
  assert_valid (a);
}

static void
test_enums (void)
{
  g_assert_cmpuint (g_strv_length ((char **) report_categories), ==, 8);
  g_assert_cmpuint (g_strv_length ((char **) report_contact_methods), ==, 4);
  g_assert_cmpuint (g_strv_length ((char **) report_channels), ==, 4);
  g_assert_cmpuint (g_strv_length ((char **) report_languages), ==, 6);
  g_assert_true (report_is_category ("fgm"));
  g_assert_true (report_is_category ("honour-based-abuse"));
  g_assert_false (report_is_category ("burglary"));
  g_assert_false (report_is_category ("FGM"));
  g_assert_false (report_is_category (NULL));
  g_assert_true (report_is_language ("sq"));
  g_assert_false (report_is_language ("fr"));
  g_assert_false (report_is_language (""));
}

typedef struct
{
  const char *path;
  const char *value;
  int         code;
  const char *method;  /* contact.method to set first, or NULL */
} BadValue;

static void
test_validation (void)
{
  g_autofree char *long_short = g_strnfill (REPORT_SHORT_FIELD_MAX + 1, 'a');
  g_autofree char *long_message = g_strnfill (REPORT_MESSAGE_MAX + 1, 'a');
  g_autofree char *partner_41 = g_strnfill (41, 'p');
  const BadValue cases[] = {
    { "id", NULL, REPORT_ERROR_INVALID, NULL },
    { "id", "", REPORT_ERROR_INVALID, NULL },
    { "id", "not-a-uuid", REPORT_ERROR_INVALID, NULL },
    { "id", long_short, REPORT_ERROR_TOO_LARGE, NULL },
    { "ref", NULL, REPORT_ERROR_INVALID, NULL },
    { "ref", "K7QM-4XPA", REPORT_ERROR_INVALID, NULL }, /* bad check */
    { "ref", "k7qm-4xpr", REPORT_ERROR_INVALID, NULL }, /* not canonical */
    { "ref", "K7QM4XPR", REPORT_ERROR_INVALID, NULL },
    { "channel", NULL, REPORT_ERROR_INVALID, NULL },
    { "channel", "fax", REPORT_ERROR_INVALID, NULL },
    { "language", "fr", REPORT_ERROR_INVALID, NULL },
    { "language", "EN", REPORT_ERROR_INVALID, NULL },
    { "language", NULL, REPORT_ERROR_INVALID, NULL },
    { "category", NULL, REPORT_ERROR_INVALID, NULL },
    { "category", "burglary", REPORT_ERROR_INVALID, NULL },
    { "category", "fgm\n", REPORT_ERROR_INVALID, NULL },
    { "partner", NULL, REPORT_ERROR_INVALID, NULL },
    { "partner", "Example", REPORT_ERROR_INVALID, NULL },
    { "partner", "-example", REPORT_ERROR_INVALID, NULL },
    { "partner", "example_support", REPORT_ERROR_INVALID, NULL },
    { "partner", partner_41, REPORT_ERROR_INVALID, NULL },
    { "partner", long_short, REPORT_ERROR_TOO_LARGE, NULL },
    { "contact.method", NULL, REPORT_ERROR_INVALID, NULL },
    { "contact.method", "email", REPORT_ERROR_INVALID, NULL },
    { "contact.phone", NULL, REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", NULL, REPORT_ERROR_INVALID, "sms" },
    { "contact.phone", "call me", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", "123456", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", "+123456789012345678901", REPORT_ERROR_INVALID,
      "phone" }, /* 21 digits */
    { "contact.phone", "++447700900123", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", "07700-900123", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", "07700 900123 ", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", " 07700900123", REPORT_ERROR_INVALID, "phone" },
    { "contact.phone", "07700  900123", REPORT_ERROR_INVALID, "sms" },
    { "contact.phone", "0770090012\xd9\xa3", REPORT_ERROR_INVALID, "sms" },
    { "contact.phone", long_short, REPORT_ERROR_TOO_LARGE, "sms" },
    { "contact.phone", "+447700900123", REPORT_ERROR_INVALID, "none" },
    { "contact.phone", "+447700900123", REPORT_ERROR_INVALID,
      "trusted-person" },
    { "contact.trusted_person", NULL, REPORT_ERROR_INVALID,
      "trusted-person" },
    { "contact.trusted_person", "my sister", REPORT_ERROR_INVALID, "none" },
    { "contact.trusted_person", "a\rb", REPORT_ERROR_INVALID, "phone" },
    { "contact.trusted_person", long_short, REPORT_ERROR_TOO_LARGE,
      "trusted-person" },
    { "contact.safe_times", "\x1b[2J", REPORT_ERROR_INVALID, NULL },
    { "contact.safe_times", long_short, REPORT_ERROR_TOO_LARGE, NULL },
    { "contact.interpreter_language", "EN", REPORT_ERROR_INVALID, NULL },
    { "contact.interpreter_language", "e", REPORT_ERROR_INVALID, NULL },
    { "contact.interpreter_language", "engl", REPORT_ERROR_INVALID, NULL },
    { "contact.interpreter_language", "e1", REPORT_ERROR_INVALID, NULL },
    { "message", long_message, REPORT_ERROR_TOO_LARGE, NULL },
    { "message", "bell\a", REPORT_ERROR_INVALID, NULL },
    { "message", "carriage\rreturn", REPORT_ERROR_INVALID, NULL },
    { "message", "delete\x7f", REPORT_ERROR_INVALID, NULL },
    { "message", "c1 \xc2\x85 control", REPORT_ERROR_INVALID, NULL },
    { "message", "bad \xff utf-8", REPORT_ERROR_INVALID, NULL },
    { "message", "overlong \xc0\xaf", REPORT_ERROR_INVALID, NULL },
    { "message", "surrogate \xed\xa0\x80", REPORT_ERROR_INVALID, NULL },
    { "site", "two\nlines", REPORT_ERROR_INVALID, NULL },
    { "site", "tab\there", REPORT_ERROR_INVALID, NULL },
    { "site", long_short, REPORT_ERROR_TOO_LARGE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Report) report = valid_report ();

      g_test_message ("case %u: %s", i, cases[i].path);
      /* First a valid report with that method, then the bad value. */
      if (cases[i].method != NULL)
        {
          set_text (report, "contact.method", cases[i].method);
          if (strcmp (cases[i].method, "phone") == 0
              || strcmp (cases[i].method, "sms") == 0)
            set_text (report, "contact.phone", "+44 7700 900123");
          if (strcmp (cases[i].method, "trusted-person") == 0)
            set_text (report, "contact.trusted_person", "my sister");
        }
      assert_valid (report);
      set_text (report, cases[i].path, cases[i].value);
      assert_refused (report, cases[i].code, cases[i].path);
    }
}

static void
test_validation_other (void)
{
  g_autoptr(Report) report = valid_report ();
  g_autofree char *quotes = g_strnfill (REPORT_MESSAGE_MAX, '"');
  g_autofree char *newlines = g_strnfill (REPORT_SHORT_FIELD_MAX, '\n');
  g_autofree char *backslashes = g_strnfill (REPORT_SHORT_FIELD_MAX, '\\');

  report->share_with_partner = FALSE;
  assert_refused (report, REPORT_ERROR_INVALID, "consent.share_with_partner");
  report->share_with_partner = TRUE;

  report->created_at = -1;
  assert_refused (report, REPORT_ERROR_INVALID, "created_at");
  report->created_at = G_GINT64_CONSTANT (253402300800); /* year 10000 */
  assert_refused (report, REPORT_ERROR_INVALID, "created_at");
  report->created_at = 1795296000;
  assert_valid (report);

  /* Within the field limits, but twice that as JSON: it could not be read
   * back, so it is refused before it is sent. */
  set_text (report, "message", quotes);
  assert_valid (report);
  set_text (report, "contact.safe_times", newlines);
  set_text (report, "site", backslashes);
  assert_refused (report, REPORT_ERROR_TOO_LARGE, "report");
}

/* What must pass: the edges of every rule. */
static void
test_validation_accepts (void)
{
  g_autofree char *max_message = g_strnfill (REPORT_MESSAGE_MAX, 'a');
  g_autofree char *max_short = g_strnfill (REPORT_SHORT_FIELD_MAX, 'a');
  g_autofree char *partner_40 = g_strnfill (40, 'p');
  g_autoptr(Report) report = valid_report ();

  set_text (report, "message", max_message);
  set_text (report, "site", max_short);
  set_text (report, "contact.safe_times", "weekdays\t10-12\nnot weekends");
  set_text (report, "contact.interpreter_language", "fil");
  assert_valid (report);

  set_text (report, "message", "ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ\n\tمجھے مدد چاہیے");
  set_text (report, "contact.method", "phone");
  set_text (report, "contact.phone", "+44 7700 900123");
  assert_valid (report);
  set_text (report, "contact.phone", "0770090");      /* 7 digits */
  assert_valid (report);
  set_text (report, "contact.phone", "+12345678901234567890"); /* 20 */
  assert_valid (report);

  set_text (report, "contact.method", "trusted-person");
  set_text (report, "contact.phone", NULL);
  set_text (report, "contact.trusted_person", "Ask for Amina at the\nshop");
  assert_valid (report);

  /* Empty strings are no value (web forms send them). */
  set_text (report, "site", "");
  set_text (report, "message", "");
  assert_valid (report);

  for (guint i = 0; report_categories[i] != NULL; i++)
    {
      set_text (report, "category", report_categories[i]);
      assert_valid (report);
    }
  for (guint i = 0; report_channels[i] != NULL; i++)
    {
      set_text (report, "channel", report_channels[i]);
      assert_valid (report);
    }
  for (guint i = 0; report_languages[i] != NULL; i++)
    {
      set_text (report, "language", report_languages[i]);
      assert_valid (report);
    }
  set_text (report, "partner", partner_40);
  assert_valid (report);
  set_text (report, "partner", "0");
  assert_valid (report);
}

static Report *
full_report (void)
{
  Report *report = valid_report ();

  set_text (report, "channel", "web");
  set_text (report, "language", "pa");
  set_text (report, "contact.method", "sms");
  set_text (report, "contact.phone", "+44 7700 900123");
  set_text (report, "contact.safe_times", "after 3pm\tweekdays");
  set_text (report, "contact.interpreter_language", "pa");
  set_text (report, "contact.trusted_person", "my cousin \"Raj\"");
  set_text (report, "message", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ\nquote \" backslash \\ slash /"
                               " brackets \\\"} {[ \\u0000");
  set_text (report, "site", "gateway-1");
  report->contact.voicemail_ok = TRUE;
  report->contact.sms_ok = TRUE;
  report->contact.woman_worker = TRUE;
  report->partner_may_tell_police = TRUE;
  report->created_at = 1795296000;
  return report;
}

static void
assert_reports_equal (const Report *a, const Report *b)
{
  const char *paths[] = {
    "id", "ref", "channel", "language", "category", "partner",
    "contact.method", "contact.phone", "contact.safe_times",
    "contact.interpreter_language", "contact.trusted_person", "message",
    "site",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    g_assert_cmpstr (*slot ((Report *) a, paths[i]), ==,
                     *slot ((Report *) b, paths[i]));
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->contact.voicemail_ok, ==, b->contact.voicemail_ok);
  g_assert_cmpint (a->contact.sms_ok, ==, b->contact.sms_ok);
  g_assert_cmpint (a->contact.woman_worker, ==, b->contact.woman_worker);
  g_assert_cmpint (a->share_with_partner, ==, b->share_with_partner);
  g_assert_cmpint (a->partner_may_tell_police, ==,
                   b->partner_may_tell_police);
}

static void
test_json_roundtrip (void)
{
  g_autoptr(Report) report = full_report ();
  g_autoptr(Report) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  assert_valid (report);
  json = report_to_json (report, &length);
  g_assert_cmpuint (length, ==, strlen (json));
  g_assert_true (g_str_has_prefix (json, "{\"v\":1,\"id\":\""));
  g_assert_nonnull (strstr (json, "\"created_at\":\"2026-11-21T21:20:00Z\""));
  g_assert_nonnull (strstr (json, "\"contact\":{\"method\":\"sms\","));
  back = report_from_json (json, (gssize) length, &error);
  g_assert_no_error (error);
  assert_reports_equal (report, back);
  again = report_to_json (back, NULL);
  g_assert_cmpstr (json, ==, again);
}

static void
test_json_minimal (void)
{
  g_autoptr(Report) report = valid_report ();
  g_autoptr(Report) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = report_to_json (report, NULL);

  /* No value, no member. */
  g_assert_null (strstr (json, "\"phone\""));
  g_assert_null (strstr (json, "\"message\""));
  g_assert_null (strstr (json, "\"site\""));
  back = report_from_json (json, -1, &error);
  g_assert_no_error (error);
  assert_reports_equal (report, back);
}

static char *
example_json (gsize *length)
{
  const char *srcdir = g_getenv ("top_srcdir");
  g_autofree char *path = g_build_filename (srcdir ? srcdir : ".", "doc",
                                            "examples", "report.json", NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, length, &error);
  g_assert_no_error (error);
  return data;
}

static void
test_json_example (void)
{
  gsize length;
  g_autofree char *data = example_json (&length);
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = report_from_json (data, (gssize) length, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (report->ref, ==, "K7QM-4XPR");
  g_assert_cmpstr (report->language, ==, "ur");
  g_assert_cmpstr (report->contact.method, ==, "sms");
  g_assert_true (g_str_has_prefix (report->message, "میرا"));
  g_assert_cmpint (report->created_at, ==, 1795296000);
}

/* Replaces the first FROM in the example with TO and parses it. */
static Report *
example_with (const char *from, const char *to, GError **error)
{
  g_autofree char *data = example_json (NULL);
  char *at = strstr (data, from);
  g_autofree char *changed = NULL;

  if (at == NULL)
    g_error ("\"%s\" not in the example", from);
  *at = '\0';
  changed = g_strconcat (data, to, at + strlen (from), NULL);
  return report_from_json (changed, -1, error);
}

static void
assert_example_refused (const char *from, const char *to, int code,
                        const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = example_with (from, to, &error);

  g_test_message ("%s -> %s", from, to);
  g_assert_null (report);
  g_assert_error (error, REPORT_ERROR, code);
  if (path != NULL && !g_str_has_prefix (error->message, path))
    g_error ("error \"%s\" does not name %s", error->message, path);
}

static void
test_json_unknown_fields (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) a = example_with ("\"v\": 1,",
                                      "\"v\": 1, \"future\": {\"x\": [1, 2]},"
                                      " \"mood\": \"ok\",", &error);
  g_autoptr(Report) b = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (a);
  b = example_with ("\"method\"", "\"pronouns\": \"she\", \"method\"",
                    &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);
}

static void
test_json_null_is_absent (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = example_with ("\"site\": \"Example community "
                                           "centre\"", "\"site\": null",
                                           &error);

  g_assert_no_error (error);
  g_assert_null (report->site);
}

static void
test_json_version (void)
{
  assert_example_refused ("\"v\": 1", "\"v\": 2", REPORT_ERROR_VERSION, "v");
  assert_example_refused ("\"v\": 1", "\"v\": 0", REPORT_ERROR_VERSION, "v");
  assert_example_refused ("\"v\": 1", "\"v\": \"1\"", REPORT_ERROR_PARSE, "v");
  assert_example_refused ("\"v\": 1", "\"v\": 1.0", REPORT_ERROR_PARSE, "v");
  assert_example_refused ("\"v\": 1,", "", REPORT_ERROR_PARSE, "v");
}

static void
test_json_types (void)
{
  assert_example_refused ("\"kiosk\"", "7", REPORT_ERROR_PARSE, "channel");
  assert_example_refused ("\"contact\": {", "\"contact\": [], \"x\": {",
                          REPORT_ERROR_PARSE, "contact");
  assert_example_refused ("\"consent\": {", "\"consent\": true, \"x\": {",
                          REPORT_ERROR_PARSE, "consent");
  assert_example_refused ("\"sms_ok\": true", "\"sms_ok\": \"true\"",
                          REPORT_ERROR_PARSE, "contact.sms_ok");
  assert_example_refused ("\"sms_ok\": true", "\"sms_ok\": 1",
                          REPORT_ERROR_PARSE, "contact.sms_ok");
  assert_example_refused ("\"+44 7700 900123\"", "447700900123",
                          REPORT_ERROR_PARSE, "contact.phone");
  assert_example_refused ("\"Example community centre\"",
                          "[\"Example community centre\"]",
                          REPORT_ERROR_PARSE, "site");
  assert_example_refused ("\"2026-11-21T21:20:00Z\"", "1795287600",
                          REPORT_ERROR_PARSE, "created_at");
  assert_example_refused ("\"2026-11-21T21:20:00Z\"", "\"yesterday\"",
                          REPORT_ERROR_PARSE, "created_at");
  assert_example_refused ("\"created_at\": \"2026-11-21T21:20:00Z\",", "",
                          REPORT_ERROR_INVALID, "created_at");
  assert_example_refused ("\"share_with_partner\": true",
                          "\"share_with_partner\": null",
                          REPORT_ERROR_INVALID,
                          "consent.share_with_partner");
}

static void
test_json_rejects (void)
{
  const char *not_reports[] = {
    "", "nonsense", "[1,2]", "\"report\"", "null", "42", "{", "{\"v\":1",
    "{\"v\":1} trailing", "{\"v\":1,\"id\":\"x\xff\"}",
    /* json-glib would read the first object and ignore the rest. */
    "{\"v\":1} {}", "{\"v\":1} [2]", "{\"v\":1}\n{\"v\":1}",
  };
  g_autofree char *big = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (not_reports); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(Report) r = report_from_json (not_reports[i], -1, &e);

      g_test_message ("not a report: %s", not_reports[i]);
      g_assert_null (r);
      g_assert_error (e, REPORT_ERROR, REPORT_ERROR_PARSE);
    }

  /* \u0000 would cut the message short without a word: refused. */
  assert_example_refused ("Please text", "Please\\u0000 text",
                          REPORT_ERROR_PARSE, NULL);
  /* ...but an escaped backslash followed by u0000 is just text. */
  report = example_with ("Please text", "Please\\\\u0000 text", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (report->message, "\\u0000"));
  g_clear_pointer (&report, report_free);

  /* Escapes that decode to control characters are still refused. */
  assert_example_refused ("Please text", "Please\\u001b text",
                          REPORT_ERROR_INVALID, "message");
  assert_example_refused ("weekdays", "week\\rdays", REPORT_ERROR_INVALID,
                          "contact.safe_times");

  /* Too large: refused before parsing. */
  big = g_strdup_printf ("{\"v\":1,\"message\":\"%*s\"}", REPORT_JSON_MAX, "");
  report = report_from_json (big, -1, &error);
  g_assert_null (report);
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* The length given is the length used. */
  report = report_from_json ("{\"v\":2}", 6, &error);
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_PARSE);
}

static void
test_json_invalid_values (void)
{
  assert_example_refused ("\"kiosk\"", "\"fax\"", REPORT_ERROR_INVALID,
                          "channel");
  assert_example_refused ("\"domestic-abuse\"", "\"burglary\"",
                          REPORT_ERROR_INVALID, "category");
  assert_example_refused ("\"K7QM-4XPR\"", "\"K7QM-4XPA\"",
                          REPORT_ERROR_INVALID, "ref");
  assert_example_refused ("\"share_with_partner\": true",
                          "\"share_with_partner\": false",
                          REPORT_ERROR_INVALID, "consent.share_with_partner");
  assert_example_refused ("\"phone\": \"+44 7700 900123\",", "",
                          REPORT_ERROR_INVALID, "contact.phone");
}

static gboolean
strv_has (char **strv, const char *s)
{
  return g_strv_contains ((const char *const *) strv, s);
}

/* Every leaf member of OBJECT, as dotted paths. */
static void
collect_paths (JsonObject *object, const char *prefix, GPtrArray *out)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);
      g_autofree char *path = prefix ? g_strconcat (prefix, ".", l->data, NULL)
                                     : g_strdup (l->data);

      if (JSON_NODE_HOLDS_OBJECT (node))
        collect_paths (json_node_get_object (node), path, out);
      else if (g_strcmp0 (path, "v") != 0)
        g_ptr_array_add (out, g_steal_pointer (&path));
    }
}

/* The ledger and the check screen list exactly what the JSON carries. */
static void
assert_shared_matches_json (const Report *report)
{
  g_auto(GStrv) shared = report_shared_fields (report);
  g_autofree char *json = report_to_json (report, NULL);
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  collect_paths (json_node_get_object (root), NULL, paths);
  g_assert_cmpuint (paths->len, ==, g_strv_length (shared));
  for (guint i = 0; i < paths->len; i++)
    g_assert_cmpstr (paths->pdata[i], ==, shared[i]);
}

static void
test_shared_fields (void)
{
  g_autoptr(Report) minimal = valid_report ();
  g_autoptr(Report) full = full_report ();
  g_auto(GStrv) few = report_shared_fields (minimal);
  g_auto(GStrv) many = report_shared_fields (full);

  g_assert_true (strv_has (few, "category"));
  g_assert_true (strv_has (few, "contact.method"));
  g_assert_true (strv_has (few, "consent.partner_may_tell_police"));
  g_assert_false (strv_has (few, "contact.phone"));
  g_assert_false (strv_has (few, "message"));
  g_assert_false (strv_has (few, "site"));
  g_assert_true (strv_has (many, "contact.phone"));
  g_assert_true (strv_has (many, "contact.trusted_person"));
  g_assert_true (strv_has (many, "message"));
  g_assert_true (strv_has (many, "site"));
  assert_shared_matches_json (minimal);
  assert_shared_matches_json (full);
}

static void
test_ref_new (void)
{
  guint seen[256] = { 0 };

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *ref = report_ref_new ();

      g_assert_true (rule_holds (ref));
      g_assert_true (report_ref_valid (ref));
      for (guint j = 0; j < 9; j++)
        seen[(guchar) ref[j]]++;
    }
  /* Every symbol of the alphabet turns up, and nothing else. */
  for (guint c = 0; c < 256; c++)
    {
      if (c == '-')
        g_assert_cmpuint (seen[c], ==, 2000);
      else if (c != 0 && strchr (alphabet, (int) c) != NULL)
        g_assert_cmpuint (seen[c], >, 0);
      else
        g_assert_cmpuint (seen[c], ==, 0);
    }
  g_assert_cmpuint (strlen (alphabet), ==, 23);
  for (const char *p = "0O1IL2Z5S8BUV"; *p; p++)
    g_assert_null (strchr (alphabet, *p));
}

/* Exhaustive for CODE: every single substitution (each position, each
 * other symbol) and every adjacent transposition (the dash is only
 * formatting: positions 4 and 5 are adjacent) is caught. */
static void
assert_errors_caught (const char *code)
{
  const guint pos[8] = { 0, 1, 2, 3, 5, 6, 7, 8 };
  char copy[10];

  g_assert_true (report_ref_valid (code));
  for (guint i = 0; i < 8; i++)
    for (const char *s = alphabet; *s; s++)
      {
        if (*s == code[pos[i]])
          continue;
        g_strlcpy (copy, code, sizeof copy);
        copy[pos[i]] = *s;
        if (report_ref_valid (copy))
          g_error ("substitution %s -> %s not caught", code, copy);
      }
  for (guint i = 0; i + 1 < 8; i++)
    {
      if (code[pos[i]] == code[pos[i + 1]])
        continue;
      g_strlcpy (copy, code, sizeof copy);
      copy[pos[i]] = code[pos[i + 1]];
      copy[pos[i + 1]] = code[pos[i]];
      if (report_ref_valid (copy))
        g_error ("transposition %s -> %s not caught", code, copy);
    }
}

static void
test_ref_check (void)
{
  assert_errors_caught ("K7QM-4XPR");
  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *ref = report_ref_new ();

      assert_errors_caught (ref);
    }
}

static void
test_ref_valid (void)
{
  g_assert_true (report_ref_valid ("K7QM-4XPR"));
  g_assert_false (report_ref_valid ("K7QM-4XPR "));
  g_assert_false (report_ref_valid ("K7QM 4XPR"));
  g_assert_false (report_ref_valid ("K7QM4-XPR"));
  g_assert_false (report_ref_valid ("K7QM-4XP"));
  g_assert_false (report_ref_valid ("k7qm-4xpr"));
  g_assert_false (report_ref_valid (""));
  g_assert_false (report_ref_valid (NULL));
}

static void
test_ref_normalize (void)
{
  const struct { const char *in; const char *out; } cases[] = {
    { "K7QM-4XPR", "K7QM-4XPR" },
    { "k7qm-4xpr", "K7QM-4XPR" },
    { "K7QM4XPR", "K7QM-4XPR" },
    { " k7qm 4xpr\n", "K7QM-4XPR" },
    { " k7qm 4xpr ", "K7QM-4XPR" },
    { "k 7 q m 4 x p r", "K7QM-4XPR" },
    { "K7QM--4XPR", "K7QM-4XPR" },
    { "K7QM\xe2\x80\x93" "4XPR", "K7QM-4XPR" },   /* en dash */
    { "K7QM\xc2\xa0" "4XPR", "K7QM-4XPR" },       /* no-break space */
    { "K\xd9\xa7QM-\xd9\xa4XPR", "K7QM-4XPR" },   /* Arabic-Indic 7, 4 */
    { "K\xdb\xb7QM-\xdb\xb4XPR", "K7QM-4XPR" },   /* Urdu (extended) */
    { "K\xe0\xa9\xadQM-\xe0\xa9\xaaXPR", "K7QM-4XPR" }, /* Gurmukhi */
    { "K7QM-4XPA", NULL },                 /* wrong check */
    { "K7QM-4XP", NULL },                  /* short */
    { "K7QM-4XPRR", NULL },                /* long */
    { "K7OM-4XPR", NULL },                 /* O: confusable, rejected */
    { "K7Q0-4XPR", NULL },                 /* 0 */
    { "K7QM-4XP1", NULL },
    { "K7QM-IXPR", NULL },
    { "K7QM-4\xd9\xa0PR", NULL },          /* Arabic-Indic 0 */
    { "K7QM-4XP\xc3\x84", NULL },          /* non-ASCII letter */
    { "K7QM/4XPR", NULL },
    { "", NULL },
    { "----", NULL },
    { "bad \xff", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = report_ref_normalize (cases[i].in);

      g_test_message ("normalize case %u", i);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

static void
test_time (void)
{
  const struct { const char *text; gint64 value; } good[] = {
    { "1970-01-01T00:00:00Z", 0 },
    { "2026-11-21T21:20:00Z", 1795296000 },
    { "2026-11-21t21:20:00z", 1795296000 },
    { "2026-11-21T21:20:00+00:00", 1795296000 },
    { "2026-11-21T21:20:00.999Z", 1795296000 },
    { "2028-02-29T12:00:00Z", 1835438400 },
    { "9999-12-31T23:59:59Z", G_GINT64_CONSTANT (253402300799) },
  };
  const char *bad[] = {
    "", "garbage", "2026-11-22", "2026-11-21T21:20:00",
    "2026-11-22 00:00:00Z", "2026-11-21T21:20:00+01:00",
    "2026-11-21T21:20:00-00:00", "2026-11-22T00:00Z",
    "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T23:60:00Z",
    "2026-11-22T23:59:60Z", "2026-11-21T21:20:00.Z", "2026-11-21T21:20:00ZZ",
    "2026-11-21T21:20:00Z ", " 2026-11-21T21:20:00Z", "+2026-11-21T21:20:00Z",
    "0000-01-01T00:00:00Z", "2026-1-22T00:00:00Z", "2026-11-22T00:00:0aZ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      gint64 value = -1;

      g_test_message ("time %s", good[i].text);
      g_assert_true (report_parse_time (good[i].text, &value));
      g_assert_cmpint (value, ==, good[i].value);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gint64 value = 42;

      g_test_message ("bad time %s", bad[i]);
      g_assert_false (report_parse_time (bad[i], &value));
      g_assert_cmpint (value, ==, 42);
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *text = report_format_time (good[i].value);

      g_assert_cmpstr (text, ==, good[i].text);
    }
  {
    g_autofree char *text = report_format_time (G_GINT64_CONSTANT (253402300799));
    g_autofree char *early = report_format_time (-62135596800); /* 0001 */
    g_autofree char *late = report_format_time (G_GINT64_CONSTANT (253402300800));

    g_assert_cmpstr (text, ==, "9999-12-31T23:59:59Z");
    g_assert_cmpstr (early, ==, "0001-01-01T00:00:00Z");
    g_assert_null (late);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/report/new", test_new);
  g_test_add_func ("/report/enums", test_enums);
  g_test_add_func ("/report/validation/refused", test_validation);
  g_test_add_func ("/report/validation/other", test_validation_other);
  g_test_add_func ("/report/validation/accepted", test_validation_accepts);
  g_test_add_func ("/report/json/roundtrip", test_json_roundtrip);
  g_test_add_func ("/report/json/minimal", test_json_minimal);
  g_test_add_func ("/report/json/example", test_json_example);
  g_test_add_func ("/report/json/unknown-fields", test_json_unknown_fields);
  g_test_add_func ("/report/json/null-is-absent", test_json_null_is_absent);
  g_test_add_func ("/report/json/version", test_json_version);
  g_test_add_func ("/report/json/types", test_json_types);
  g_test_add_func ("/report/json/rejects", test_json_rejects);
  g_test_add_func ("/report/json/invalid-values", test_json_invalid_values);
  g_test_add_func ("/report/shared-fields", test_shared_fields);
  g_test_add_func ("/report/ref/new", test_ref_new);
  g_test_add_func ("/report/ref/check", test_ref_check);
  g_test_add_func ("/report/ref/valid", test_ref_valid);
  g_test_add_func ("/report/ref/normalize", test_ref_normalize);
  g_test_add_func ("/report/time", test_time);
  return g_test_run ();
}
