/* Envelope v1: JSON both ways, sealed and plain, and every refusal. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "envelope.h"

#define ID  "5f0c6f53-1a0e-4a8e-9c4e-2f9d7c1b2a10"
#define REF "K7QM-4XPR"

static const guint8 cipher[] = { 0x00, 0xff, 0x10, 0x80, 0x7f, 0x01, 0xfe };

static Envelope *
sealed_envelope (void)
{
  Envelope *envelope = envelope_new ();

  envelope->id = g_strdup (ID);
  envelope->ref = g_strdup (REF);
  envelope->partner = g_strdup ("example-support");
  envelope->created_at = 1795296000;
  envelope->sealed = g_bytes_new (cipher, sizeof cipher);
  return envelope;
}

static void
test_new (void)
{
  g_autoptr(Envelope) envelope = envelope_new ();

  g_assert_cmpint (envelope->v, ==, 1);
  g_assert_null (envelope->sealed);
  g_assert_null (envelope->report_json);
}

static void
test_sealed_roundtrip (void)
{
  g_autoptr(Envelope) envelope = sealed_envelope ();
  g_autoptr(Envelope) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base64 = g_base64_encode (cipher, sizeof cipher);
  g_autofree char *expected = g_strdup_printf (
    "{\"v\":1,\"id\":\"" ID "\",\"ref\":\"" REF "\","
    "\"partner\":\"example-support\",\"created_at\":\"2026-11-21T21:20:00Z\","
    "\"sealed\":\"%s\"}", base64);
  gsize length = 0;
  g_autofree char *json = envelope_to_json (envelope, &length);

  g_assert_cmpstr (json, ==, expected);
  g_assert_cmpuint (length, ==, strlen (json));
  back = envelope_from_json (json, (gssize) length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->v, ==, 1);
  g_assert_cmpstr (back->id, ==, ID);
  g_assert_cmpstr (back->ref, ==, REF);
  g_assert_cmpstr (back->partner, ==, "example-support");
  g_assert_cmpint (back->created_at, ==, 1795296000);
  g_assert_null (back->report_json);
  g_assert_true (g_bytes_equal (back->sealed, envelope->sealed));
}

static void
test_plain_roundtrip (void)
{
  g_autoptr(Envelope) envelope = sealed_envelope ();
  g_autoptr(Envelope) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *report;

  g_clear_pointer (&envelope->sealed, g_bytes_unref);
  envelope->report_json = g_strdup ("{\"v\":1,\"message\":\"a \\\"b\\\"\\nc\","
                                    "\"contact\":{\"sms_ok\":true}}");
  json = envelope_to_json (envelope, NULL);
  g_assert_null (strstr (json, "\"sealed\""));

  /* The report is an object in the envelope, not a string of JSON. */
  root = json_from_string (json, &error);
  g_assert_no_error (error);
  report = json_object_get_member (json_node_get_object (root), "report");
  g_assert_nonnull (report);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (report));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (report),
                                                  "message"), ==, "a \"b\"\nc");

  back = envelope_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_null (back->sealed);
  g_assert_cmpstr (back->report_json, ==, envelope->report_json);
}

/* The JSON of a valid sealed envelope with FROM replaced by TO. */
static char *
envelope_json_with (const char *from, const char *to)
{
  g_autoptr(Envelope) envelope = sealed_envelope ();
  g_autofree char *json = envelope_to_json (envelope, NULL);
  char *at = strstr (json, from);

  if (at == NULL)
    g_error ("\"%s\" not in %s", from, json);
  *at = '\0';
  return g_strconcat (json, to, at + strlen (from), NULL);
}

static void
assert_refused (const char *from, const char *to, int code, const char *path)
{
  g_autofree char *json = envelope_json_with (from, to);
  g_autoptr(GError) error = NULL;
  g_autoptr(Envelope) envelope = envelope_from_json (json, -1, &error);

  g_test_message ("%s", json);
  g_assert_null (envelope);
  g_assert_error (error, ENVELOPE_ERROR, code);
  if (path != NULL && !g_str_has_prefix (error->message, path))
    g_error ("error \"%s\" does not name %s", error->message, path);
}

static void
test_version (void)
{
  assert_refused ("\"v\":1", "\"v\":2", ENVELOPE_ERROR_VERSION, "v");
  assert_refused ("\"v\":1", "\"v\":-1", ENVELOPE_ERROR_VERSION, "v");
  assert_refused ("\"v\":1", "\"v\":\"1\"", ENVELOPE_ERROR_PARSE, "v");
  assert_refused ("\"v\":1", "\"v\":true", ENVELOPE_ERROR_PARSE, "v");
  assert_refused ("\"v\":1,", "", ENVELOPE_ERROR_PARSE, "v");
}

static void
test_members (void)
{
  /* Types. */
  assert_refused ("\"" ID "\"", "42", ENVELOPE_ERROR_PARSE, "id");
  assert_refused ("\"" REF "\"", "[]", ENVELOPE_ERROR_PARSE, "ref");
  assert_refused ("\"example-support\"", "{}", ENVELOPE_ERROR_PARSE,
                  "partner");
  assert_refused ("\"2026-11-21T21:20:00Z\"", "1795296000",
                  ENVELOPE_ERROR_PARSE, "created_at");
  assert_refused ("\"sealed\":\"", "\"sealed\":[\"", ENVELOPE_ERROR_PARSE,
                  NULL);
  assert_refused ("\"sealed\":", "\"report\":\"{}\",\"x\":",
                  ENVELOPE_ERROR_PARSE, "report");
  /* Values. */
  assert_refused ("\"" ID "\"", "\"not-a-uuid\"", ENVELOPE_ERROR_INVALID,
                  "id");
  assert_refused ("\"id\":\"" ID "\",", "", ENVELOPE_ERROR_INVALID, "id");
  assert_refused ("\"" REF "\"", "\"K7QM-4XPA\"", ENVELOPE_ERROR_INVALID,
                  "ref");
  assert_refused ("\"ref\":\"" REF "\",", "", ENVELOPE_ERROR_INVALID, "ref");
  assert_refused ("\"example-support\"", "\"Example Support\"",
                  ENVELOPE_ERROR_INVALID, "partner");
  assert_refused ("\"example-support\"", "\"\"", ENVELOPE_ERROR_INVALID,
                  "partner");
  assert_refused ("\"2026-11-21T21:20:00Z\"", "\"2026-11-21 21:20\"",
                  ENVELOPE_ERROR_INVALID, "created_at");
  assert_refused ("\"created_at\":\"2026-11-21T21:20:00Z\",", "",
                  ENVELOPE_ERROR_INVALID, "created_at");
}

static void
test_sealed_or_report (void)
{
  /* Neither, both. */
  assert_refused ("\"sealed\":", "\"ignored\":", ENVELOPE_ERROR_INVALID,
                  "sealed");
  assert_refused ("\"sealed\":", "\"report\":{\"v\":1},\"sealed\":",
                  ENVELOPE_ERROR_INVALID, "sealed");
  /* A null is no value: neither again. */
  assert_refused ("\"sealed\":", "\"sealed\":null,\"x\":",
                  ENVELOPE_ERROR_INVALID, "sealed");
}

static void
test_base64 (void)
{
  const char *bad[] = {
    "",          /* nothing sealed */
    "AP8QgH8B/g",    /* padding missing */
    "AP8QgH8B/g=",   /* padding short */
    "AP8Q gH8B/g==", /* space */
    "AP8QgH8B/g==\\n",  /* a JSON-escaped newline */
    "AP8QgH8B_g==",  /* URL-safe alphabet */
    "AP8QgH8B/g==AA",
    "!!!!",
  };
  g_autofree char *good = g_base64_encode (cipher, sizeof cipher);

  g_assert_cmpstr (good, ==, "AP8QgH8B/g==");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *to = g_strdup_printf ("\"%s\"", bad[i]);

      assert_refused ("\"AP8QgH8B/g==\"", to, ENVELOPE_ERROR_INVALID,
                      "sealed");
    }
}

static void
test_documents (void)
{
  const char *not_envelopes[] = {
    "", "[]", "\"x\"", "{", "nonsense", "{\"v\":1} {}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(Envelope) envelope = NULL;
  g_autofree char *big = NULL;
  g_autofree char *unknown = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (not_envelopes); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(Envelope) env = envelope_from_json (not_envelopes[i], -1, &e);

      g_assert_null (env);
      g_assert_error (e, ENVELOPE_ERROR, ENVELOPE_ERROR_PARSE);
    }
  assert_refused ("\"sealed\":", "\"report\":{\"m\":\"a\\u0000b\"},\"x\":",
                  ENVELOPE_ERROR_PARSE, NULL);

  big = g_strdup_printf ("{\"v\":1,\"pad\":\"%*s\"}", ENVELOPE_JSON_MAX, "");
  envelope = envelope_from_json (big, -1, &error);
  g_assert_null (envelope);
  g_assert_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* Members we do not know are ignored (a later writer may add some). */
  unknown = envelope_json_with ("\"v\":1,", "\"v\":1,\"trace\":{\"hop\":2},");
  envelope = envelope_from_json (unknown, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (envelope->id, ==, ID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/envelope/new", test_new);
  g_test_add_func ("/envelope/sealed-roundtrip", test_sealed_roundtrip);
  g_test_add_func ("/envelope/plain-roundtrip", test_plain_roundtrip);
  g_test_add_func ("/envelope/version", test_version);
  g_test_add_func ("/envelope/members", test_members);
  g_test_add_func ("/envelope/sealed-or-report", test_sealed_or_report);
  g_test_add_func ("/envelope/base64", test_base64);
  g_test_add_func ("/envelope/documents", test_documents);
  return g_test_run ();
}
