/* conf: the configuration file and its FILE:LINE: [group] key messages. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "conf.h"

/* tests/data/conf/NAME in the source tree (make distcheck builds elsewhere). */
static char *
data_file (const char *name)
{
  const char *top = g_getenv ("top_srcdir");

  if (top != NULL)
    return g_build_filename (top, "tests", "data", "conf", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "data", "conf", name, NULL);
}

static Conf *
load (const char *text)
{
  g_autoptr(GError) error = NULL;
  Conf *conf = conf_load_data (text, "test.conf", &error);

  g_assert_no_error (error);
  g_assert_nonnull (conf);
  return conf;
}

static void
test_where (void)
{
  g_autoptr(Conf) conf = NULL;
  g_autofree char *w1 = NULL;
  g_autofree char *w2 = NULL;
  g_autofree char *w3 = NULL;
  g_autofree char *w4 = NULL;
  g_autofree char *w5 = NULL;
  g_autofree char *name = NULL;

  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING,
                         "test.conf:7: [partner a] name: set again (first on"
                         " line 6)*");
  conf = load ("# comment\n"
                               "[gateway]\n"
                               "  listen = 127.0.0.1:8081\n"
                               "\n"
                               "[partner a]\r\n"
                               "name=A\r\n"
                               "name = A again\n");
  g_test_assert_expected_messages ();
  w1 = conf_where (conf, "gateway", "listen");
  w2 = conf_where (conf, "partner a", "name");
  w3 = conf_where (conf, "partner a", "absent");
  w4 = conf_where (conf, "nowhere", "key");
  w5 = conf_where (conf, "gateway", NULL);

  g_assert_cmpstr (w1, ==, "test.conf:3: [gateway] listen");
  /* The last assignment wins in GKeyFile, and so in the line map. */
  g_assert_cmpstr (w2, ==, "test.conf:7: [partner a] name");
  name = conf_get_string (conf, "partner a", "name", NULL, NULL);
  g_assert_cmpstr (name, ==, "A again");
  /* A key not in the file points at its group, where it should be added. */
  g_assert_cmpstr (w3, ==, "test.conf:5: [partner a] absent");
  g_assert_cmpstr (w4, ==, "test.conf: [nowhere] key");
  g_assert_cmpstr (w5, ==, "test.conf:2: [gateway]");
  g_assert_cmpstr (conf_name (conf), ==, "test.conf");
}

static void
test_groups (void)
{
  g_autoptr(Conf) conf = load ("[b]\nx=1\n[a]\ny=2\n[partner z]\n");
  g_auto(GStrv) groups = conf_groups (conf);

  g_assert_cmpuint (g_strv_length (groups), ==, 3);
  g_assert_cmpstr (groups[0], ==, "b");
  g_assert_cmpstr (groups[1], ==, "a");
  g_assert_cmpstr (groups[2], ==, "partner z");
  g_assert_true (conf_has_group (conf, "a"));
  g_assert_false (conf_has_group (conf, "c"));
  g_assert_true (conf_has_key (conf, "a", "y"));
  g_assert_false (conf_has_key (conf, "a", "x"));
}

static void
test_string (void)
{
  g_autoptr(Conf) conf = load ("[g]\ns =   padded value   \nempty =\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *s = conf_get_string (conf, "g", "s", NULL, &error);
  g_autofree char *d = conf_get_string (conf, "g", "absent", "dflt", &error);
  g_autofree char *e = conf_get_string (conf, "g", "empty", "dflt", &error);
  char *m;

  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "padded value");
  g_assert_cmpstr (d, ==, "dflt");
  /* Written empty on purpose: empty, not the default. */
  g_assert_cmpstr (e, ==, "");

  m = conf_get_string (conf, "g", "absent", NULL, &error);
  g_assert_null (m);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_MISSING);
  g_assert_cmpstr (error->message, ==,
                   "test.conf:1: [g] absent: required key is missing");
  g_clear_error (&error);

  m = conf_get_string (conf, "g", "empty", NULL, &error);
  g_assert_null (m);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_MISSING);
  g_assert_cmpstr (error->message, ==,
                   "test.conf:3: [g] empty: required key is empty");
}

static void
test_bool (void)
{
  g_autoptr(Conf) conf = load ("[g]\na = true\nb = No\nc = 1\nd = off\n"
                               "bad = maybe\n");
  g_autoptr(GError) error = NULL;
  gboolean v = FALSE;

  g_assert_true (conf_get_bool (conf, "g", "a", FALSE, &v, &error));
  g_assert_true (v);
  g_assert_true (conf_get_bool (conf, "g", "b", TRUE, &v, &error));
  g_assert_false (v);
  g_assert_true (conf_get_bool (conf, "g", "c", FALSE, &v, &error));
  g_assert_true (v);
  g_assert_true (conf_get_bool (conf, "g", "d", TRUE, &v, &error));
  g_assert_false (v);
  g_assert_true (conf_get_bool (conf, "g", "absent", TRUE, &v, &error));
  g_assert_true (v);
  g_assert_no_error (error);

  g_assert_false (conf_get_bool (conf, "g", "bad", FALSE, &v, &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "test.conf:6: [g] bad: expected true or false, got “maybe”");
}

static void
test_int (void)
{
  g_autoptr(Conf) conf = load ("[g]\nn = 42\nbig = 100000\nneg = -3\n"
                               "word = ten\nfrac = 1.5\n");
  g_autoptr(GError) error = NULL;
  gint64 v = 0;

  g_assert_true (conf_get_int (conf, "g", "n", 0, 0, 100, &v, &error));
  g_assert_cmpint (v, ==, 42);
  g_assert_true (conf_get_int (conf, "g", "neg", 0, -10, 10, &v, &error));
  g_assert_cmpint (v, ==, -3);
  g_assert_true (conf_get_int (conf, "g", "absent", 7, 0, 10, &v, &error));
  g_assert_cmpint (v, ==, 7);
  g_assert_no_error (error);

  g_assert_false (conf_get_int (conf, "g", "big", 0, 1, 65535, &v, &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "test.conf:3: [g] big: expected a whole"
                   " number from 1 to 65535, got “100000”");
  g_clear_error (&error);
  g_assert_false (conf_get_int (conf, "g", "word", 0, 0, 100, &v, &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (conf_get_int (conf, "g", "frac", 0, 0, 100, &v, &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_cmpint (v, ==, 7); /* untouched on error */
}

static void
test_duration (void)
{
  static const struct { const char *text; gint64 seconds; } good[] = {
    { "0", 0 }, { "90", 90 }, { "90s", 90 }, { "15m", 900 }, { "1h", 3600 },
    { "7d", 604800 }, { "36500d", 3153600000 },
  };
  static const char *const bad[] = {
    "", "s", "-5", "+5", "1.5h", "7 d", "7days", "1w", "1H", "15M", " 1h",
    "1h ", "99999999999999999999", "106751991167301d", NULL
  };
  g_autoptr(Conf) conf = load ("[retention]\nshort = 15m\nbad = 7 days\n");
  g_autoptr(GError) error = NULL;
  gint64 v = -1;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (conf_parse_duration (good[i].text, &v));
      g_assert_cmpint (v, ==, good[i].seconds);
    }
  for (guint i = 0; bad[i] != NULL; i++)
    {
      v = -1;
      g_assert_false (conf_parse_duration (bad[i], &v));
      g_assert_cmpint (v, ==, -1);
    }
  g_assert_false (conf_parse_duration (NULL, &v));

  g_assert_true (conf_get_duration (conf, "retention", "short", 0, &v, &error));
  g_assert_cmpint (v, ==, 900);
  g_assert_true (conf_get_duration (conf, "retention", "absent", 86400, &v,
                                    &error));
  g_assert_cmpint (v, ==, 86400);
  g_assert_no_error (error);
  g_assert_false (conf_get_duration (conf, "retention", "bad", 0, &v, &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "test.conf:3: [retention] bad: expected a duration such as"
                   " 90, 90s, 15m, 1h or 7d, got “7 days”");
}

static void
test_list (void)
{
  g_autoptr(Conf) conf = load ("[g]\nl = a, b ,,c , \none = x\n");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) l = conf_get_list (conf, "g", "l", &error);
  g_auto(GStrv) one = conf_get_list (conf, "g", "one", &error);
  g_auto(GStrv) none = conf_get_list (conf, "g", "absent", &error);
  const char *want[] = { "a", "b", "c", NULL };

  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) l, want));
  g_assert_cmpuint (g_strv_length (one), ==, 1);
  g_assert_cmpstr (one[0], ==, "x");
  g_assert_nonnull (none);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

static void
write_file (const char *path, const char *contents, int mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static void
test_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("conf-XXXXXX", &error);
  g_autofree char *conf_path = g_build_filename (dir, "saferoute.conf", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autofree char *open_secret = g_build_filename (dir, "open", NULL);
  g_autofree char *p = NULL;
  g_autofree char *want = NULL;
  g_autoptr(Conf) conf = NULL;
  char *bad;

  g_assert_no_error (error);
  write_file (conf_path, "[g]\nrel = secret\nabs = /etc/hostname\n"
              "open = open\nmissing = nothing-here\n", 0600);
  write_file (secret, "s3cret\n", 0600);
  write_file (open_secret, "s3cret\n", 0644);

  conf = conf_load_file (conf_path, &error);
  g_assert_no_error (error);

  /* Relative to the file's directory, not to the working directory. */
  p = conf_get_path (conf, "g", "rel", NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p, ==, secret);
  g_clear_pointer (&p, g_free);
  p = conf_get_path (conf, "g", "abs", NULL, FALSE, &error);
  g_assert_cmpstr (p, ==, "/etc/hostname");
  g_clear_pointer (&p, g_free);
  p = conf_get_path (conf, "g", "absent", "dflt", FALSE, &error);
  want = g_build_filename (dir, "dflt", NULL);
  g_assert_cmpstr (p, ==, want);
  g_assert_no_error (error);

  /* A secret others can read: refused, saying the mode and the fix. */
  bad = conf_get_path (conf, "g", "open", NULL, TRUE, &error);
  g_assert_null (bad);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "saferoute.conf:4: [g] open: "));
  g_assert_nonnull (strstr (error->message, "mode 0644"));
  g_assert_nonnull (strstr (error->message, "chmod 600 "));
  g_clear_error (&error);

  /* The same file without the privacy requirement is fine. */
  g_clear_pointer (&p, g_free);
  p = conf_get_path (conf, "g", "open", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p, ==, open_secret);

  bad = conf_get_path (conf, "g", "missing", NULL, TRUE, &error);
  g_assert_null (bad);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "saferoute.conf:5: [g] missing: "));
  g_clear_error (&error);

  bad = conf_get_path (conf, "g", "absent", NULL, FALSE, &error);
  g_assert_null (bad);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_MISSING);

  g_unlink (secret);
  g_unlink (open_secret);
  g_unlink (conf_path);
  g_rmdir (dir);
}

static void
test_load_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = data_file ("parse-error.conf");
  Conf *conf;

  conf = conf_load_file (path, &error);
  g_assert_null (conf);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "parse-error.conf:5: not a valid INI line"));
  g_clear_error (&error);

  conf = conf_load_data ("key = before any group\n", "x.conf", &error);
  g_assert_null (conf);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, "x.conf:1: "));
  g_clear_error (&error);

  conf = conf_load_data ("[ok]\na=1\n\n[broken\n", "y.conf", &error);
  g_assert_null (conf);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, "y.conf:4: "));
  g_clear_error (&error);

  /* GKeyFile would merge these; two partners' addresses would mix. */
  conf = conf_load_data ("[partner a]\nname = A\n\n[partner b]\nname = B\n"
                         "[partner a]\nurl = https://b.example.org/\n",
                         "z.conf", &error);
  g_assert_null (conf);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_PARSE);
  g_assert_cmpstr (error->message, ==, "z.conf:6: [partner a]: this group"
                   " appears twice (first on line 1); merge the two");
  g_clear_error (&error);

  conf = conf_load_file ("/nonexistent/saferoute.conf", &error);
  g_assert_null (conf);
  g_assert_error (error, CONF_ERROR, CONF_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/saferoute.conf: "));
}

static void
test_bad_duration_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = data_file ("bad-duration.conf");
  g_autoptr(Conf) conf = conf_load_file (path, &error);
  gint64 v;

  g_assert_no_error (error);
  g_assert_false (conf_get_duration (conf, "retention", "delivered", 0, &v,
                                     &error));
  g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
  g_assert_true (g_str_has_suffix (error->message, "bad-duration.conf:3:"
                                   " [retention] delivered: expected a duration"
                                   " such as 90, 90s, 15m, 1h or 7d, got “7 days”"));
}

static void
test_unknown_keys (void)
{
  g_autoptr(Conf) conf = load ("[gateway]\nlisten = 127.0.0.1:1\n"
                               "lisen = typo\nname[pa] = translated\n");
  const char *const known[] = { "listen", "name", NULL };

  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING,
                         "test.conf:3: [gateway] lisen: unknown key*");
  g_assert_cmpuint (conf_warn_unknown_keys (conf, "gateway", known), ==, 1);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (conf_warn_unknown_keys (conf, "absent", known), ==, 0);
}

static void
test_set_string (void)
{
  g_autoptr(Conf) conf = conf_new_empty ("--demo");
  g_autofree char *where = NULL;
  g_autofree char *v = NULL;

  g_assert_false (conf_has_group (conf, "gateway"));
  conf_set_string (conf, "gateway", "listen", "127.0.0.1:0");
  g_assert_true (conf_has_key (conf, "gateway", "listen"));
  v = conf_get_string (conf, "gateway", "listen", NULL, NULL);
  g_assert_cmpstr (v, ==, "127.0.0.1:0");
  where = conf_where (conf, "gateway", "listen");
  g_assert_cmpstr (where, ==, "--demo: [gateway] listen");
}

static void
test_override_loses_line (void)
{
  g_autoptr(Conf) conf = load ("[gateway]\nlisten = 127.0.0.1:8081\n");
  g_autofree char *where = NULL;

  conf_set_string (conf, "gateway", "listen", "127.0.0.1:9");
  where = conf_where (conf, "gateway", "listen");
  /* The value no longer comes from line 2: point at the group instead. */
  g_assert_cmpstr (where, ==, "test.conf:1: [gateway] listen");
}

static void
test_listen (void)
{
  static const struct { const char *text; const char *host; guint16 port; } good[] = {
    { "127.0.0.1:8081", "127.0.0.1", 8081 },
    { "[::1]:8081", "::1", 8081 },
    { "0.0.0.0:80", "0.0.0.0", 80 },
    { "localhost:80", "127.0.0.1", 80 },
    { "LocalHost:65535", "127.0.0.1", 65535 },
    { "127.0.0.1:0", "127.0.0.1", 0 },
    { "[2001:db8::5]:443", "2001:db8::5", 443 },
  };
  static const char *const bad[] = {
    "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
    "127.0.0.1:80x", "::1:8081", "[::1]8081", "[::1:8081", "[127.0.0.1]:80",
    "example.org:80", ":8081", "[]:80", "1.2.3.4.5:80", NULL
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *host = NULL;
      guint16 port = 1;
      g_autoptr(GError) error = NULL;

      g_assert_true (conf_parse_listen (good[i].text, &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, good[i].host);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; bad[i] != NULL; i++)
    {
      char *host = NULL;
      guint16 port = 1;
      g_autoptr(GError) error = NULL;

      g_assert_false (conf_parse_listen (bad[i], &host, &port, &error));
      g_assert_error (error, CONF_ERROR, CONF_ERROR_INVALID);
      g_assert_null (host);
      g_assert_cmpuint (port, ==, 1);
      g_assert_nonnull (strstr (error->message, bad[i]));
    }
}

static void
test_default_path (void)
{
  g_assert_true (g_str_has_suffix (conf_default_path (),
                                   "/saferoute/saferoute.conf"));
  g_assert_true (g_str_has_prefix (conf_default_path (), SYSCONFDIR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/conf/where", test_where);
  g_test_add_func ("/conf/groups", test_groups);
  g_test_add_func ("/conf/string", test_string);
  g_test_add_func ("/conf/bool", test_bool);
  g_test_add_func ("/conf/int", test_int);
  g_test_add_func ("/conf/duration", test_duration);
  g_test_add_func ("/conf/list", test_list);
  g_test_add_func ("/conf/path", test_path);
  g_test_add_func ("/conf/load-errors", test_load_errors);
  g_test_add_func ("/conf/bad-duration-file", test_bad_duration_file);
  g_test_add_func ("/conf/unknown-keys", test_unknown_keys);
  g_test_add_func ("/conf/set-string", test_set_string);
  g_test_add_func ("/conf/override-loses-line", test_override_loses_line);
  g_test_add_func ("/conf/listen", test_listen);
  g_test_add_func ("/conf/default-path", test_default_path);
  return g_test_run ();
}
