/* Sealing and opening reports, and the partner's key files. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "seal.h"

/* Only id, public_key and plain matter to seal. */
static Partner *
test_partner_new (const char *id, const guint8 public_key[32],
                  gboolean plain)
{
  Partner *partner = partner_new ();

  partner->id = g_strdup (id);
  memcpy (partner->public_key, public_key, 32);
  partner->plain = plain;
  return partner;
}

typedef struct
{
  char   *dir;
  char   *secret_path;
  char   *public_path;
  guint8  public_key[SEAL_PUBLIC_KEY_BYTES];
  guint8  secret_key[SEAL_SECRET_KEY_BYTES];
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-seal-XXXXXX", &error);
  g_assert_no_error (error);
  f->secret_path = g_build_filename (f->dir, "partner.key", NULL);
  f->public_path = g_build_filename (f->dir, "partner.pub", NULL);
  g_assert_true (seal_keygen (f->secret_path, f->public_path, &error));
  g_assert_no_error (error);
  g_assert_true (seal_load_secret_key (f->secret_path, f->public_key,
                                       f->secret_key, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_chmod (path, 0600);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->secret_path);
  g_free (f->public_path);
}

#define MARKER "a sentence only the partner may read"

static Report *
test_report (void)
{
  Report *report = report_new ();

  report->category = g_strdup ("modern-slavery");
  report->partner = g_strdup ("example-support");
  report->message = g_strdup (MARKER);
  g_free (report->contact.method);
  report->contact.method = g_strdup ("sms");
  report->contact.phone = g_strdup ("+44 7700 900123");
  return report;
}

static void
assert_same_report (const Report *a, const Report *b)
{
  g_autofree char *ja = report_to_json (a, NULL);
  g_autofree char *jb = report_to_json (b, NULL);

  g_assert_cmpstr (ja, ==, jb);
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = test_report ();
  g_autoptr(Partner) partner = test_partner_new ("example-support",
                                                 f->public_key, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(Envelope) envelope = seal_report (report, partner, &error);
  g_autoptr(Envelope) received = NULL;
  g_autoptr(Report) opened = NULL;
  g_autofree char *json = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (envelope->id, ==, report->id);
  g_assert_cmpstr (envelope->ref, ==, report->ref);
  g_assert_cmpstr (envelope->partner, ==, "example-support");
  g_assert_cmpint (envelope->created_at, ==, report->created_at);
  g_assert_null (envelope->report_json);
  g_assert_nonnull (envelope->sealed);

  /* What travels holds no report text (promise 3). */
  json = envelope_to_json (envelope, NULL);
  g_assert_null (strstr (json, MARKER));
  /* The whole number: four digits alone turn up in random ciphertext
   * (base64) or ids now and then, and failed a CI run. */
  g_assert_null (strstr (json, "7700 900123"));
  g_assert_null (strstr (json, "modern-slavery"));

  received = envelope_from_json (json, -1, &error);
  g_assert_no_error (error);
  opened = seal_open (received, f->public_key, f->secret_key, &error);
  g_assert_no_error (error);
  assert_same_report (report, opened);
}

static void
assert_does_not_open (const Envelope *envelope, const guint8 *public_key,
                      const guint8 *secret_key, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) report = seal_open (envelope, public_key, secret_key,
                                        &error);

  g_assert_null (report);
  g_assert_error (error, SEAL_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, "envelope "));
  g_assert_null (strstr (error->message, MARKER));
}

static void
test_wrong_key (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = test_report ();
  g_autoptr(Partner) partner = test_partner_new ("example-support",
                                                 f->public_key, FALSE);
  g_autoptr(Envelope) envelope = seal_report (report, partner, NULL);
  guint8 other_public[SEAL_PUBLIC_KEY_BYTES];
  guint8 other_secret[SEAL_SECRET_KEY_BYTES];

  crypto_box_keypair (other_public, other_secret);
  assert_does_not_open (envelope, other_public, other_secret,
                        SEAL_ERROR_OPEN);
  /* The right secret with a wrong public key does not open either: the
   * public key is part of the nonce. */
  assert_does_not_open (envelope, other_public, f->secret_key,
                        SEAL_ERROR_OPEN);
}

static void
test_tampered (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = test_report ();
  g_autoptr(Partner) partner = test_partner_new ("example-support",
                                                 f->public_key, FALSE);
  g_autoptr(Envelope) envelope = seal_report (report, partner, NULL);
  gsize size;
  const guint8 *sealed = g_bytes_get_data (envelope->sealed, &size);
  g_autoptr(GBytes) original = g_bytes_ref (envelope->sealed);

  /* A flipped bit anywhere (ephemeral key, MAC, ciphertext) is caught. */
  for (gsize i = 0; i < size; i += (i < 64 ? 1 : 97))
    {
      g_autofree guint8 *copy = g_memdup2 (sealed, size);

      copy[i] ^= 0x01;
      g_bytes_unref (envelope->sealed);
      envelope->sealed = g_bytes_new (copy, size);
      assert_does_not_open (envelope, f->public_key, f->secret_key,
                            SEAL_ERROR_OPEN);
    }
  /* Cut short, and shorter than the overhead itself. */
  g_bytes_unref (envelope->sealed);
  envelope->sealed = g_bytes_new (sealed, size - 1);
  assert_does_not_open (envelope, f->public_key, f->secret_key,
                        SEAL_ERROR_OPEN);
  g_bytes_unref (envelope->sealed);
  envelope->sealed = g_bytes_new (sealed, crypto_box_SEALBYTES - 1);
  assert_does_not_open (envelope, f->public_key, f->secret_key,
                        SEAL_ERROR_OPEN);
  g_bytes_unref (envelope->sealed);
  envelope->sealed = g_bytes_ref (original);
}

/* The clear head of one envelope on another's sealed report. */
static void
test_mismatch (Fixture *f, gconstpointer data)
{
  const char *members[] = { "id", "ref", "partner" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    for (guint plain = 0; plain < 2; plain++)
      {
        g_autoptr(Report) report = test_report ();
        g_autoptr(Partner) partner = test_partner_new (
          "example-support", f->public_key, plain);
        g_autoptr(Envelope) envelope = seal_report (report, partner, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(Report) opened = NULL;

        if (i == 0)
          {
            g_free (envelope->id);
            envelope->id = g_uuid_string_random ();
          }
        else if (i == 1)
          {
            g_free (envelope->ref);
            envelope->ref = report_ref_new ();
          }
        else
          {
            g_free (envelope->partner);
            envelope->partner = g_strdup ("other-partner");
          }
        opened = seal_open (envelope, f->public_key, f->secret_key, &error);
        g_assert_null (opened);
        g_assert_error (error, SEAL_ERROR, SEAL_ERROR_OPEN);
        g_assert_nonnull (strstr (error->message, members[i]));
      }
}

/* Sealed correctly, but what is inside is not a valid report. */
static void
test_not_a_report_inside (Fixture *f, gconstpointer data)
{
  const char *inside = "{\"v\":1,\"id\":\"x\"}";
  gsize size = strlen (inside) + crypto_box_SEALBYTES;
  guint8 *sealed = g_malloc (size);
  g_autoptr(Envelope) envelope = envelope_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(Report) opened = NULL;

  g_assert_cmpint (crypto_box_seal (sealed, (const guint8 *) inside,
                                    strlen (inside), f->public_key), ==, 0);
  envelope->id = g_uuid_string_random ();
  envelope->ref = report_ref_new ();
  envelope->partner = g_strdup ("example-support");
  envelope->sealed = g_bytes_new_take (sealed, size);
  opened = seal_open (envelope, f->public_key, f->secret_key, &error);
  g_assert_null (opened);
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "envelope "));
}

static void
test_seal_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = test_report ();
  g_autoptr(Partner) other = test_partner_new ("other-partner",
                                               f->public_key, FALSE);
  guint8 zero[32] = { 0 };
  g_autoptr(Partner) zero_key = test_partner_new ("example-support",
                                                  zero, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(Envelope) envelope = NULL;

  /* Sealed to the partner the report names, or not at all. */
  envelope = seal_report (report, other, &error);
  g_assert_null (envelope);
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_FAILED);
  g_clear_error (&error);

  /* An all-zero key would make a box anyone can open. */
  envelope = seal_report (report, zero_key, &error);
  g_assert_null (envelope);
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_FAILED);
  g_clear_error (&error);

  /* Invalid reports are not sealed. */
  report->share_with_partner = FALSE;
  envelope = seal_report (report, other, &error);
  g_assert_null (envelope);
  g_assert_error (error, REPORT_ERROR, REPORT_ERROR_INVALID);
}

static void
test_plain (Fixture *f, gconstpointer data)
{
  g_autoptr(Report) report = test_report ();
  g_autoptr(Partner) partner = test_partner_new ("example-support",
                                                 f->public_key, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(Envelope) envelope = seal_report (report, partner, &error);
  g_autoptr(Envelope) received = NULL;
  g_autoptr(Report) opened = NULL;
  g_autofree char *json = NULL;

  g_assert_no_error (error);
  g_assert_null (envelope->sealed);
  g_assert_nonnull (envelope->report_json);
  json = envelope_to_json (envelope, NULL);
  g_assert_nonnull (strstr (json, "\"report\":{\"v\":1,"));
  g_assert_nonnull (strstr (json, MARKER));

  received = envelope_from_json (json, -1, &error);
  g_assert_no_error (error);
  /* No keys needed to read a plain envelope. */
  opened = seal_open (received, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_same_report (report, opened);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static char *
file_text (const char *path)
{
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static guint
dir_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_keygen (Fixture *f, gconstpointer data)
{
  g_autofree char *secret_text = file_text (f->secret_path);
  g_autofree char *public_text = file_text (f->public_path);
  g_autofree char *public_b64 = seal_public_key_to_base64 (f->public_key);
  g_autoptr(GError) error = NULL;
  guint8 loaded[SEAL_PUBLIC_KEY_BYTES];
  mode_t old_umask;

  g_assert_cmphex (file_mode (f->secret_path), ==, 0600);
  g_assert_cmphex (file_mode (f->public_path), ==, 0644);
  /* One line of base64 each; the public half matches the secret. */
  g_assert_cmpuint (strlen (secret_text), ==, 45);
  g_assert_cmpint (secret_text[44], ==, '\n');
  g_assert_cmpuint (strlen (public_text), ==, 45);
  g_assert_true (g_str_has_prefix (public_text, public_b64));
  g_assert_true (seal_load_public_key (f->public_path, loaded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (loaded, sizeof loaded, f->public_key, sizeof loaded);
  g_assert_true (memcmp (f->public_key, f->secret_key, 32) != 0);

  /* Never replaces a key, either half; a refusal leaves nothing behind. */
  g_assert_false (seal_keygen (f->secret_path, f->public_path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  {
    g_autofree char *fresh_public = g_build_filename (f->dir, "new.pub",
                                                      NULL);
    g_autofree char *fresh_secret = g_build_filename (f->dir, "new.key",
                                                      NULL);

    g_assert_false (seal_keygen (f->secret_path, fresh_public, &error));
    g_assert_nonnull (strstr (error->message, f->secret_path));
    g_clear_error (&error);
    g_assert_false (g_file_test (fresh_public, G_FILE_TEST_EXISTS));
    g_assert_false (seal_keygen (fresh_secret, f->public_path, &error));
    g_clear_error (&error);
    g_assert_false (g_file_test (fresh_secret, G_FILE_TEST_EXISTS));
  }
  {
    g_autofree char *again = file_text (f->secret_path);

    g_assert_cmpstr (again, ==, secret_text);
  }
  g_assert_cmpuint (dir_entries (f->dir), ==, 2); /* no temporary files */

  /* The modes do not depend on the umask. */
  old_umask = umask (077);
  {
    g_autofree char *s = g_build_filename (f->dir, "u.key", NULL);
    g_autofree char *p = g_build_filename (f->dir, "u.pub", NULL);

    g_assert_true (seal_keygen (s, p, &error));
    g_assert_no_error (error);
    g_assert_cmphex (file_mode (s), ==, 0600);
    g_assert_cmphex (file_mode (p), ==, 0644);
  }
  umask (0);
  {
    g_autofree char *s = g_build_filename (f->dir, "v.key", NULL);
    g_autofree char *p = g_build_filename (f->dir, "v.pub", NULL);

    g_assert_true (seal_keygen (s, p, &error));
    g_assert_cmphex (file_mode (s), ==, 0600);
    g_assert_cmphex (file_mode (p), ==, 0644);
  }
  umask (old_umask);

  /* A directory that does not exist: an error, not a crash. */
  {
    g_autofree char *s = g_build_filename (f->dir, "no", "x.key", NULL);
    g_autofree char *p = g_build_filename (f->dir, "no", "x.pub", NULL);

    g_assert_false (seal_keygen (s, p, &error));
    g_assert_error (error, SEAL_ERROR, SEAL_ERROR_FAILED);
  }
}

static void
test_secret_key_mode (Fixture *f, gconstpointer data)
{
  const guint refused[] = { 0644, 0640, 0604, 0660, 0620, 0602, 0666 };
  const guint accepted[] = { 0600, 0400 };
  guint8 pk[SEAL_PUBLIC_KEY_BYTES], sk[SEAL_SECRET_KEY_BYTES];

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *mode = g_strdup_printf ("(mode %04o)", refused[i]);
      g_autofree char *fix = g_strconcat ("chmod 600 ", f->secret_path, NULL);

      g_assert_cmpint (g_chmod (f->secret_path, refused[i]), ==, 0);
      g_assert_false (seal_load_secret_key (f->secret_path, pk, sk, &error));
      g_assert_error (error, SEAL_ERROR, SEAL_ERROR_KEY);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, mode));
      g_assert_nonnull (strstr (error->message, fix));
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_chmod (f->secret_path, accepted[i]), ==, 0);
      g_assert_true (seal_load_secret_key (f->secret_path, pk, sk, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (pk, sizeof pk, f->public_key, sizeof pk);
      g_assert_cmpmem (sk, sizeof sk, f->secret_key, sizeof sk);
    }
}

static void
assert_key_file_refused (Fixture *f, const char *content)
{
  g_autofree char *path = g_build_filename (f->dir, "bad.key", NULL);
  g_autoptr(GError) error = NULL;
  guint8 pk[SEAL_PUBLIC_KEY_BYTES], sk[SEAL_SECRET_KEY_BYTES];

  g_unlink (path);
  g_assert_true (g_file_set_contents_full (path, content, -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600,
                                           NULL));
  g_assert_false (seal_load_public_key (path, pk, &error));
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_assert_false (seal_load_secret_key (path, pk, sk, &error));
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_KEY);
}

static void
test_key_files (Fixture *f, gconstpointer data)
{
  g_autofree char *good = seal_public_key_to_base64 (f->public_key);
  g_autofree char *short_key = g_base64_encode (f->public_key, 31);
  g_autofree char *long_key = NULL;
  g_autofree char *padded = g_strdup_printf ("  %s \r\n\n", good);
  g_autofree char *twice = g_strdup_printf ("%s\n%s\n", good, good);
  g_autofree char *huge = g_strdup_printf ("%s%*s", good, 300, "");
  g_autofree char *missing = g_build_filename (f->dir, "missing.key", NULL);
  g_autofree char *path = g_build_filename (f->dir, "ok.key", NULL);
  g_autoptr(GError) error = NULL;
  guint8 buffer[64] = { 0 };
  guint8 pk[SEAL_PUBLIC_KEY_BYTES];

  memcpy (buffer, f->public_key, 32);
  long_key = g_base64_encode (buffer, 33);
  assert_key_file_refused (f, "");
  assert_key_file_refused (f, "\n");
  assert_key_file_refused (f, short_key);
  assert_key_file_refused (f, long_key);
  assert_key_file_refused (f, twice);
  assert_key_file_refused (f, huge);
  assert_key_file_refused (f, "not base64 at all, not at all, no no no.....");

  g_assert_false (seal_load_public_key (missing, pk, &error));
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_KEY);
  g_clear_error (&error);
  g_assert_false (seal_load_public_key (f->dir, pk, &error));
  g_assert_error (error, SEAL_ERROR, SEAL_ERROR_KEY);
  g_clear_error (&error);

  /* Surrounding white space is not part of the line. */
  g_assert_true (g_file_set_contents (path, padded, -1, NULL));
  g_assert_true (seal_load_public_key (path, pk, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (pk, sizeof pk, f->public_key, sizeof pk);
}

static void
test_base64 (Fixture *f, gconstpointer data)
{
  g_autofree char *text = seal_public_key_to_base64 (f->public_key);
  g_autofree char *spaced = g_strconcat (text, "\n", NULL);
  guint8 key[SEAL_PUBLIC_KEY_BYTES];

  g_assert_cmpuint (strlen (text), ==, 44);
  g_assert_true (seal_public_key_from_base64 (text, key));
  g_assert_cmpmem (key, sizeof key, f->public_key, sizeof key);
  g_assert_false (seal_public_key_from_base64 (spaced, key));
  g_assert_false (seal_public_key_from_base64 ("", key));
  g_assert_false (seal_public_key_from_base64 (NULL, key));
  g_assert_false (seal_public_key_from_base64 ("AAAA", key));
  text[43] = '!';
  g_assert_false (seal_public_key_from_base64 (text, key));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_true (seal_init (&error));
  g_assert_no_error (error);
#define ADD(path, fn) \
  g_test_add ("/seal/" path, Fixture, NULL, fixture_setup, fn, \
              fixture_teardown)
  ADD ("roundtrip", test_roundtrip);
  ADD ("wrong-key", test_wrong_key);
  ADD ("tampered", test_tampered);
  ADD ("mismatch", test_mismatch);
  ADD ("not-a-report-inside", test_not_a_report_inside);
  ADD ("refusals", test_seal_refusals);
  ADD ("plain", test_plain);
  ADD ("keygen", test_keygen);
  ADD ("secret-key-mode", test_secret_key_mode);
  ADD ("key-files", test_key_files);
  ADD ("base64", test_base64);
#undef ADD
  return g_test_run ();
}
