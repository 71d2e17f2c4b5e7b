/* partner: the directory, its validation, and the Home Office firewall. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "partner.h"

#define KEY_A "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define KEY_B "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A="
#define SECRET "0123456789abcdef0123456789abcdef"

static char *
source_file (const char *dir, const char *name)
{
  const char *top = g_getenv ("top_srcdir");

  if (top != NULL)
    return g_build_filename (top, dir, name, NULL);
  return g_test_build_filename (G_TEST_DIST, "..", dir, name, NULL);
}

/* Load TEXT as a config and its partner directory; NULL with ERROR set. */
static PartnerDirectory *
load_text (const char *text, GError **error)
{
  g_autoptr(Conf) conf = conf_load_data (text, "t.conf", error);

  if (conf == NULL)
    return NULL;
  return partner_directory_load (conf, error);
}

static void
assert_error_has (GError *error, GQuark domain, int code, const char *text)
{
  g_assert_error (error, domain, code);
  if (strstr (error->message, text) == NULL)
    g_error ("“%s” does not contain “%s”", error->message, text);
}

/* Each bad file and the message it must produce. */
static void
test_bad_files (void)
{
  static const struct
  {
    const char *file;
    int         code;
    const char *message;
  } cases[] = {
    { "missing-name.conf", PARTNER_ERROR_INVALID,
      "missing-name.conf:2: [partner no-name] name: required key is missing" },
    { "kind-immigration.conf", PARTNER_ERROR_FORBIDDEN,
      "kind-immigration.conf:3: [partner enforcement] kind:" },
    { "kind-immigration.conf", PARTNER_ERROR_FORBIDDEN,
      "saferoute only delivers to support organisations, never to the Home"
      " Office or Immigration Enforcement" },
    { "webhook-homeoffice.conf", PARTNER_ERROR_FORBIDDEN,
      "webhook-homeoffice.conf:8: [partner friendly] url: this address"
      " belongs to the Home Office" },
    { "email-homeoffice.conf", PARTNER_ERROR_FORBIDDEN,
      "email-homeoffice.conf:8: [partner helpful] email_to: this address"
      " belongs to the Home Office" },
    { "http-remote.conf", PARTNER_ERROR_INVALID,
      "http-remote.conf:9: [partner plain-http] url: reports travel only over"
      " https://" },
    { "bad-key.conf", PARTNER_ERROR_INVALID,
      "bad-key.conf:8: [partner bad-key] public_key: expected a public key in"
      " standard base64 of 32 bytes" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = source_file ("tests/data/conf", cases[i].file);
      g_autoptr(GError) error = NULL;
      g_autoptr(Conf) conf = conf_load_file (path, &error);
      g_autoptr(PartnerDirectory) dir = NULL;

      g_assert_no_error (error);
      dir = partner_directory_load (conf, &error);
      g_assert_null (dir);
      assert_error_has (error, PARTNER_ERROR, cases[i].code, cases[i].message);
      /* Never a secret in a message. */
      g_assert_null (strstr (error->message, SECRET));
    }
}

static void
test_unknown_key_warns (void)
{
  g_autofree char *path = source_file ("tests/data/conf", "unknown-key.conf");
  g_autoptr(GError) error = NULL;
  g_autoptr(Conf) conf = conf_load_file (path, &error);
  g_autoptr(PartnerDirectory) dir = NULL;

  g_assert_no_error (error);
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING,
                         "*unknown-key.conf:6: [partner colourful] colour:"
                         " unknown key*");
  dir = partner_directory_load (conf, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (partner_directory_size (dir), ==, 1);
}

static void
test_example_loads (void)
{
  g_autofree char *path = source_file ("doc", "saferoute.conf.example");
  g_autoptr(GError) error = NULL;
  g_autoptr(Conf) conf = conf_load_file (path, &error);
  g_autoptr(PartnerDirectory) dir = NULL;
  const Partner *p;

  g_assert_no_error (error);
  dir = partner_directory_load (conf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (partner_directory_size (dir), ==, 3);

  p = partner_directory_nth (dir, 0);
  g_assert_cmpstr (p->id, ==, "rights-centre");
  g_assert_cmpstr (p->name, ==, "Leeds Rights Centre");
  g_assert_cmpint (p->kind, ==, PARTNER_KIND_SUPPORT);
  g_assert_cmpint (p->delivery, ==, PARTNER_DELIVERY_WEBHOOK);
  g_assert_true (p->interpreters);
  g_assert_true (p->woman_worker);
  g_assert_false (p->plain);
  g_assert_cmpuint (g_strv_length (p->services), ==, 4);
  g_assert_cmpstr (p->areas[1], ==, "Bradford");
  g_assert_cmpuint (p->public_key[0], ==, 1);
  g_assert_cmpuint (p->public_key[31], ==, 32);
  g_assert_cmpint (p->may_tell_police, ==, PARTNER_POLICE_IF_YOU_AGREE);

  p = partner_directory_lookup (dir, "slavery-helpline");
  g_assert_nonnull (p);
  g_assert_cmpint (p->kind, ==, PARTNER_KIND_HELPLINE);
  g_assert_cmpint (p->delivery, ==, PARTNER_DELIVERY_EMAIL);
  g_assert_cmpstr (p->smtp_url, ==, "smtp://mail.helpline.example.org:587");
  g_assert_cmpstr (p->smtp_password, ==, "change-me-to-a-long-random-password");
  g_assert_cmpint (p->may_tell_police, ==, PARTNER_POLICE_ONLY_DANGER);
  g_assert_cmpstr (p->areas[0], ==, "*");

  p = partner_directory_lookup (dir, "migrant-legal");
  g_assert_nonnull (p);
  g_assert_cmpint (p->kind, ==, PARTNER_KIND_LEGAL_ADVICE);
  g_assert_cmpint (p->delivery, ==, PARTNER_DELIVERY_PULL);
  g_assert_true (partner_serves (p, "hate-crime"));
  g_assert_null (partner_directory_lookup (dir, "nobody"));
  g_assert_null (partner_directory_nth (dir, 3));
}

static void
test_firewall_addresses (void)
{
  static const char *const forbidden[] = {
    "homeoffice.gov.uk",
    "HOMEOFFICE.GOV.UK.",
    "https://homeoffice.gov.uk/",
    "https://api.homeoffice.gov.uk/v1/referrals",
    "https://x@homeoffice.gov.uk/",
    "https://user:pass@HomeOffice.Gov.UK:8443/path?q=1",
    "https://sub.domain.homeoffice.gov.uk:443",
    "sub.domain.homeoffice.gov.uk:443",
    "https://api.homeoffice.gov.uk./",
    "a@digital.homeoffice.gov.uk",
    "mailto:a@digital.homeoffice.gov.uk",
    "Someone <a@digital.homeoffice.gov.uk>",
    "someone@homeoffice.gsi.gov.uk",
    "x@ukba.gsi.gov.uk",
    "smtp://mail.ukba.homeoffice.gsi.gov.uk:25",
    "smtps://relay.ind.homeoffice.gov.uk",
    "https://ind.homeoffice.gov.uk",
    /* percent-escapes, Unicode look-alikes, invisible characters */
    "https://homeoffice%2egov%2euk/",
    "https://%68omeoffice.gov.uk/",
    "https://\xef\xbd\x88omeoffice.gov.uk/",          /* fullwidth h */
    "https://homeoffice\xe3\x80\x82gov\xe3\x80\x82uk/", /* ideographic full stop */
    "https://home\xc2\xadoffice.gov.uk/",               /* soft hyphen */
    "https://home\xe2\x80\x8boffice.gov.uk/",           /* zero width space */
    "https://HOMEOFFICE\xef\xbc\x8egov.uk",             /* fullwidth full stop */
    /* an IDN A-label that decodes to the same name */
    "https://xn--homeoffice-.gov.uk/",
    "smtps://mail.XN--HOMEOFFICE-.GOV.UK:465",
    /* parser disagreements: found wherever it appears as a host name */
    "https://example.org\\@homeoffice.gov.uk/",
    "https://example.org#@homeoffice.gov.uk/",
    "https://homeoffice.gov.uk@homeoffice.gov.uk",
    NULL
  };
  static const char *const allowed[] = {
    "https://example.org/hook",
    "https://nothomeoffice.gov.uk/",
    "https://homeoffice.gov.uk.example.org/",
    "https://my-homeoffice.gov.uk/",
    "cases@helpline.example.org",
    "smtp://mail.example.org:587",
    "https://homeoffice-watch.example.org/",
    "https://gov.uk/",
    "https://police.uk/",
    NULL
  };

  for (guint i = 0; forbidden[i] != NULL; i++)
    if (!partner_address_forbidden (forbidden[i]))
      g_error ("firewall let through: %s", forbidden[i]);
  for (guint i = 0; allowed[i] != NULL; i++)
    if (partner_address_forbidden (allowed[i]))
      g_error ("firewall refused: %s", allowed[i]);
}

static void
test_url_allowed (void)
{
  static const char *const good[] = {
    "https://example.org/hook", "HTTPS://example.org", "http://127.0.0.1:8080/x",
    "http://127.8.9.10/", "http://[::1]:9000/hook", "http://localhost/",
    "http://LOCALHOST:1/", NULL
  };
  static const char *const bad[] = {
    "http://example.org/", "http://10.0.0.1/", "http://[::2]/",
    "http://localhost.example.org/", "ftp://example.org/", "example.org",
    "https://", "", "http://0.0.0.0/", "http://128.0.0.1/", NULL
  };

  for (guint i = 0; good[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!partner_url_allowed (good[i], &error))
        g_error ("refused %s: %s", good[i], error->message);
    }
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (partner_url_allowed (bad[i], &error))
        g_error ("allowed %s", bad[i]);
      g_assert_error (error, PARTNER_ERROR, PARTNER_ERROR_INVALID);
    }
  {
    g_autoptr(GError) error = NULL;

    /* Credentials in a refused URL are not repeated in the message. */
    g_assert_false (partner_url_allowed ("http://user:hunter2@example.org/",
                                         &error));
    g_assert_null (strstr (error->message, "hunter2"));
    g_assert_nonnull (strstr (error->message, "http://example.org"));
  }
  g_assert_false (partner_url_allowed (NULL, NULL));
}

static void
test_loopback (void)
{
  g_assert_true (partner_host_is_loopback ("127.0.0.1"));
  g_assert_true (partner_host_is_loopback ("127.255.0.9"));
  g_assert_true (partner_host_is_loopback ("::1"));
  g_assert_true (partner_host_is_loopback ("[::1]"));
  g_assert_true (partner_host_is_loopback ("localhost"));
  g_assert_true (partner_host_is_loopback ("localhost."));
  g_assert_false (partner_host_is_loopback ("10.0.0.1"));
  g_assert_false (partner_host_is_loopback ("example.org"));
  g_assert_false (partner_host_is_loopback ("localhost.example.org"));
  g_assert_false (partner_host_is_loopback (""));
  g_assert_false (partner_host_is_loopback (NULL));
}

/* A valid pull partner, with the "key = value" lines of EXTRA in place of
 * (or after) its own: a repeated key would only draw a warning. */
static char *
pull_partner (const char *id, const char *extra)
{
  static const char *const base[] = {
    "name = Test Partner",
    "kind = support",
    "services = domestic-abuse, hate-crime",
    "languages = en, ur",
    "delivery = pull",
    "pull_token = " SECRET,
    "public_key = " KEY_A,
    NULL
  };
  g_auto(GStrv) lines = g_strsplit (extra, "\n", -1);
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "[partner %s]\n", id);
  for (guint i = 0; base[i] != NULL; i++)
    {
      gsize klen = strcspn (base[i], " ");
      gboolean replaced = FALSE;

      for (guint j = 0; lines[j] != NULL && !replaced; j++)
        replaced = strncmp (lines[j], base[i], klen) == 0
          && (lines[j][klen] == ' ' || lines[j][klen] == '=');
      if (!replaced)
        g_string_append_printf (out, "%s\n", base[i]);
    }
  g_string_append (out, extra);
  return g_string_free (out, FALSE);
}

static void
expect_load_error (const char *text, int code, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PartnerDirectory) dir = load_text (text, &error);

  g_assert_null (dir);
  assert_error_has (error, PARTNER_ERROR, code, message);
  g_assert_null (strstr (error->message, SECRET));
}

static void
expect_partner_error (const char *extra, int code, const char *message)
{
  g_autofree char *text = pull_partner ("p", extra);

  expect_load_error (text, code, message);
}

static void
test_names_refused (void)
{
  expect_partner_error ("name = Home Office Liaison Unit\n",
                        PARTNER_ERROR_FORBIDDEN,
                        "t.conf:8: [partner p] name: names the Home Office");
  expect_partner_error ("name = IMMIGRATION-ENFORCEMENT (north)\n",
                        PARTNER_ERROR_FORBIDDEN, "[partner p] name:");
  {
    g_autofree char *text = pull_partner ("home-office", "");

    expect_load_error (text, PARTNER_ERROR_FORBIDDEN,
                       "t.conf:1: [partner home-office] id: names the Home"
                       " Office");
  }
  {
    g_autofree char *text = pull_partner ("immigration-enforcement", "");

    expect_load_error (text, PARTNER_ERROR_FORBIDDEN, "id:");
  }
  {
    /* Not a valid id either, but the firewall speaks first. */
    g_autofree char *text = pull_partner ("Home Office", "");

    expect_load_error (text, PARTNER_ERROR_FORBIDDEN,
                       "[partner Home Office] id: names the Home Office");
  }
  {
    /* "homeless office" is not the Home Office. */
    g_autofree char *text = pull_partner ("p", "name = Homeless Office Aid\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(PartnerDirectory) dir = load_text (text, &error);

    g_assert_no_error (error);
    g_assert_nonnull (dir);
  }
}

static void
test_kinds (void)
{
  static const struct { const char *text; PartnerKind kind; } good[] = {
    { "support", PARTNER_KIND_SUPPORT }, { "advocacy", PARTNER_KIND_ADVOCACY },
    { "legal-advice", PARTNER_KIND_LEGAL_ADVICE },
    { "helpline", PARTNER_KIND_HELPLINE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *line = g_strdup_printf ("kind = %s\n", good[i].text);
      g_autofree char *text = pull_partner ("p", line);
      g_autoptr(GError) error = NULL;
      g_autoptr(PartnerDirectory) dir = load_text (text, &error);

      g_assert_no_error (error);
      g_assert_cmpint (partner_directory_nth (dir, 0)->kind, ==, good[i].kind);
      g_assert_cmpstr (partner_kind_to_string (good[i].kind), ==, good[i].text);
    }
  expect_partner_error ("kind = police\n", PARTNER_ERROR_FORBIDDEN,
                        "t.conf:8: [partner p] kind: “police”: a partner must"
                        " be a support, advocacy, legal-advice or helpline"
                        " organisation");
  expect_partner_error ("kind = Home Office\n", PARTNER_ERROR_FORBIDDEN,
                        "never to the Home Office or Immigration Enforcement");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PartnerDirectory) dir
      = load_text ("[partner p]\nname = P\nservices = *\n", &error);

    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "t.conf:1: [partner p] kind: required key is missing");
  }
}

static void
test_delivery_rules (void)
{
  static const struct { const char *extra; const char *message; } cases[] = {
    { "delivery = webhook\nhmac_secret = " SECRET "\n",
      "[partner p] url: delivery = webhook needs url and hmac_secret" },
    { "delivery = webhook\nurl = https://example.org/\n",
      "[partner p] hmac_secret: delivery = webhook needs url and hmac_secret" },
    { "delivery = email\nsmtp_url = smtps://mail.example.org\n",
      "[partner p] email_to: delivery = email needs email_to and smtp_url" },
    { "delivery = email\nemail_to = a@example.org\n",
      "[partner p] smtp_url: delivery = email needs email_to and smtp_url" },
    { "pull_token =\n", "[partner p] pull_token: delivery = pull needs" },
    { "delivery = carrier-pigeon\n", "t.conf:8: [partner p] delivery:"
      " “carrier-pigeon”: must be webhook, email or pull" },
    { "public_key =\n", "[partner p] public_key: required" },
    { "plain = true\n", "[partner p] plain: plain = true is allowed only with"
      " delivery = webhook to an https:// url" },
    { "delivery = webhook\nurl = http://127.0.0.1:9/\nhmac_secret = x\n"
      "plain = true\n", "[partner p] plain:" },
    { "plain = sometimes\n", "t.conf:9: [partner p] plain: expected true or"
      " false" },
    { "smtp_url = http://mail.example.org\n", "t.conf:9: [partner p] smtp_url:"
      " expected smtp://" },
    { "email_to = not an address\n", "[partner p] email_to: expected one"
      " e-mail address" },
    { "email_to = a@example.org, b@example.org\n", "[partner p] email_to:" },
    { "email_from = nobody\n", "[partner p] email_from:" },
    { "services = burglary\n", "t.conf:8: [partner p] services: unknown value"
      " “burglary”; expected * or some of: domestic-abuse," },
    { "services =\n", "[partner p] services: list at least one value" },
    { "may_tell_police = always\n", "t.conf:9: [partner p] may_tell_police:"
      " “always”: must be if-you-agree or only-danger" },
    { "public_key = " KEY_A "AAAA\n", "[partner p] public_key: expected a"
      " public key" },
    { "public_key = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB=\n",
      "[partner p] public_key:" },  /* not canonical base64 */
    { "public_key = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e\n",
      "[partner p] public_key:" },  /* 30 bytes */
    { "public_key = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH-A=\n",
      "[partner p] public_key:" },  /* base64url is not standard */
    { "pull_token_file = token\n", "[partner p] pull_token_file: give"
      " pull_token or pull_token_file, not both" },
    { "smtp_url = smtp://relay.homeoffice.gov.uk\n", "[partner p] smtp_url:"
      " this address belongs to the Home Office" },
    { "email_from = saferoute@ukba.gsi.gov.uk\n", "[partner p] email_from:"
      " this address belongs to the Home Office" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i].extra);
      expect_partner_error (cases[i].extra,
                            strstr (cases[i].message, "Home Office") != NULL
                            ? PARTNER_ERROR_FORBIDDEN : PARTNER_ERROR_INVALID,
                            cases[i].message);
    }
}

static void
test_delivery_ok (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (
    "[partner hook]\nname = Hook\nkind = advocacy\nservices = *\n"
    "languages = en\ndelivery = webhook\nurl = http://[::1]:9/hook\n"
    "hmac_secret = " SECRET "\npublic_key = " KEY_B "\n"
    "[partner mail]\nname = Mail\nkind = helpline\nservices = fgm\n"
    "delivery = email\nemail_to = a@example.org\n"
    "smtp_url = smtp://mail.example.org:587\npublic_key = " KEY_B "\n"
    "[partner open]\nname = Open\nkind = legal-advice\nservices = other\n"
    "delivery = webhook\nurl = https://example.org/in\nhmac_secret = s\n"
    "plain = yes\n", NULL);
  g_autoptr(PartnerDirectory) dir = load_text (text, &error);
  const Partner *p;

  g_assert_no_error (error);
  g_assert_cmpuint (partner_directory_size (dir), ==, 3);
  p = partner_directory_lookup (dir, "hook");
  g_assert_cmpstr (p->url, ==, "http://[::1]:9/hook");
  g_assert_cmpstr (p->hmac_secret, ==, SECRET);
  g_assert_cmpuint (p->public_key[0], ==, 0x21);
  /* areas default to anywhere */
  g_assert_cmpstr (p->areas[0], ==, "*");
  p = partner_directory_lookup (dir, "mail");
  g_assert_cmpint (p->delivery, ==, PARTNER_DELIVERY_EMAIL);
  g_assert_null (p->email_from);
  g_assert_cmpuint (g_strv_length (p->languages), ==, 0);
  p = partner_directory_lookup (dir, "open");
  g_assert_true (p->plain);
  g_assert_cmpstr (partner_delivery_to_string (PARTNER_DELIVERY_PULL), ==, "pull");
  g_assert_cmpstr (partner_police_to_string (PARTNER_POLICE_ONLY_DANGER), ==,
                   "only-danger");
}

static void
test_ids (void)
{
  static const char *const bad[] = {
    "Upper", "under_score", "-leading", "", "a b", "caf\xc3\xa9", NULL
  };

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autofree char *text = pull_partner (bad[i], "");

      expect_load_error (text, PARTNER_ERROR_INVALID, "id:");
    }
  expect_load_error ("[partner]\nname = X\n", PARTNER_ERROR_INVALID,
                     "t.conf:1: [partner] id:");
  {
    /* 40 characters is the longest id; 41 is one too many. */
    g_autofree char *id40 = g_strnfill (40, 'a');
    g_autofree char *id41 = g_strnfill (41, 'a');
    g_autofree char *text40 = pull_partner (id40, "");
    g_autofree char *text41 = pull_partner (id41, "");
    g_autoptr(GError) error = NULL;
    g_autoptr(PartnerDirectory) dir = load_text (text40, &error);

    g_assert_no_error (error);
    g_assert_nonnull (partner_directory_lookup (dir, id40));
    expect_load_error (text41, PARTNER_ERROR_INVALID, "id:");
  }
  {
    /* Other groups are not partners. */
    g_autoptr(GError) error = NULL;
    g_autoptr(PartnerDirectory) dir
      = load_text ("[gateway]\nlisten = 127.0.0.1:1\n[partners]\nx = 1\n", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (partner_directory_size (dir), ==, 0);
  }
}

static void
write_private (const char *path, const char *contents, int mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

/* Secrets in files: relative to the config, and they must be private. */
static void
test_secret_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("partner-XXXXXX", &error);
  g_autofree char *conf_path = g_build_filename (dir, "saferoute.conf", NULL);
  g_autofree char *secret = g_build_filename (dir, "hook.secret", NULL);
  g_autofree char *key = g_build_filename (dir, "hook.pub", NULL);
  g_autoptr(PartnerDirectory) pd = NULL;
  const Partner *p;

  g_assert_no_error (error);
  write_private (conf_path,
                 "[partner hook]\nname = Hook\nkind = support\nservices = *\n"
                 "languages = en\ndelivery = webhook\n"
                 "url = https://example.org/hook\n"
                 "hmac_secret_file = hook.secret\n"
                 "public_key_file = hook.pub\n", 0600);
  write_private (secret, SECRET "\n", 0644);
  write_private (key, KEY_A "\n", 0644);

  {
    g_autoptr(Conf) conf = conf_load_file (conf_path, &error);

    g_assert_no_error (error);
    pd = partner_directory_load (conf, &error);
    g_assert_null (pd);
    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "saferoute.conf:8: [partner hook] hmac_secret_file: ");
    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "mode 0644");
    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "chmod 600 ");
    g_assert_null (strstr (error->message, SECRET));
    g_clear_error (&error);
  }

  /* Fixed as the message says: it loads; the public key may stay 0644. */
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);
  {
    g_autoptr(Conf) conf = conf_load_file (conf_path, &error);

    pd = partner_directory_load (conf, &error);
    g_assert_no_error (error);
    p = partner_directory_lookup (pd, "hook");
    g_assert_cmpstr (p->hmac_secret, ==, SECRET);
    g_assert_cmpuint (p->public_key[31], ==, 32);
  }

  /* An empty secret file is a mistake, not an empty secret. */
  write_private (secret, "\n", 0600);
  {
    g_autoptr(Conf) conf = conf_load_file (conf_path, &error);
    g_autoptr(PartnerDirectory) pd2 = partner_directory_load (conf, &error);

    g_assert_null (pd2);
    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "[partner hook] hmac_secret_file: ");
    g_clear_error (&error);
  }

  g_unlink (secret);
  {
    g_autoptr(Conf) conf = conf_load_file (conf_path, &error);
    g_autoptr(PartnerDirectory) pd2 = partner_directory_load (conf, &error);

    g_assert_null (pd2);
    assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                      "saferoute.conf:8: [partner hook] hmac_secret_file: ");
  }
  g_unlink (key);
  g_unlink (conf_path);
  g_rmdir (dir);
}

static Partner *
new_pull_partner (const char *id, const char *token)
{
  Partner *p = partner_new ();

  p->id = g_strdup (id);
  p->name = g_strdup (id);
  p->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (p->services);
  p->services = g_strsplit ("*", ",", -1);
  p->delivery = PARTNER_DELIVERY_PULL;
  p->pull_token = g_strdup (token);
  p->public_key[0] = 1;
  return p;
}

static void
test_directory_add (void)
{
  g_autoptr(PartnerDirectory) dir = partner_directory_new ();
  g_autoptr(GError) error = NULL;
  Partner *p;

  g_assert_true (partner_directory_add (dir, new_pull_partner ("a", "token-a"),
                                        &error));
  g_assert_no_error (error);
  g_assert_cmpuint (partner_directory_size (dir), ==, 1);

  /* Same id twice */
  g_assert_false (partner_directory_add (dir, new_pull_partner ("a", "t"),
                                         &error));
  assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                    "[partner a] id: partner id “a” is used twice");
  g_clear_error (&error);

  /* The same firewall as load. */
  p = new_pull_partner ("b", "t");
  p->delivery = PARTNER_DELIVERY_WEBHOOK;
  p->url = g_strdup ("https://x@HOMEOFFICE.GOV.UK./hook");
  p->hmac_secret = g_strdup ("s");
  g_assert_false (partner_directory_add (dir, p, &error));
  assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_FORBIDDEN,
                    "[partner b] url: this address belongs to the Home Office");
  g_clear_error (&error);

  p = new_pull_partner ("c", "t");
  p->kind = (PartnerKind) 17;
  g_assert_false (partner_directory_add (dir, p, &error));
  g_assert_error (error, PARTNER_ERROR, PARTNER_ERROR_FORBIDDEN);
  g_clear_error (&error);

  p = new_pull_partner ("d", "t");
  memset (p->public_key, 0, sizeof p->public_key);
  g_assert_false (partner_directory_add (dir, p, &error));
  assert_error_has (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                    "[partner d] public_key: required");
  g_clear_error (&error);
  g_assert_cmpuint (partner_directory_size (dir), ==, 1);
}

static void
test_by_token (void)
{
  g_autoptr(PartnerDirectory) dir = partner_directory_new ();
  Partner *hook = new_pull_partner ("hook", NULL);

  hook->delivery = PARTNER_DELIVERY_WEBHOOK;
  hook->url = g_strdup ("https://example.org/");
  hook->hmac_secret = g_strdup ("token-hook");
  /* A webhook partner's leftover token is not a pull credential. */
  hook->pull_token = g_strdup ("token-hook");
  g_assert_true (partner_directory_add (dir, hook, NULL));
  g_assert_true (partner_directory_add (dir, new_pull_partner ("a", "token-a"), NULL));
  g_assert_true (partner_directory_add (dir, new_pull_partner ("b", "token-b"), NULL));

  g_assert_cmpstr (partner_directory_by_token (dir, "token-a")->id, ==, "a");
  g_assert_cmpstr (partner_directory_by_token (dir, "token-b")->id, ==, "b");
  g_assert_null (partner_directory_by_token (dir, "token-c"));
  g_assert_null (partner_directory_by_token (dir, "token-"));
  g_assert_null (partner_directory_by_token (dir, "token-aa"));
  g_assert_null (partner_directory_by_token (dir, "token-hook"));
  g_assert_null (partner_directory_by_token (dir, ""));
  g_assert_null (partner_directory_by_token (dir, NULL));
}

static void
test_serves_speaks (void)
{
  g_autofree char *text = pull_partner ("p", "");
  g_autoptr(GError) error = NULL;
  g_autoptr(PartnerDirectory) dir = load_text (text, &error);
  const Partner *p = partner_directory_nth (dir, 0);
  g_autoptr(Partner) any = new_pull_partner ("any", "t");

  g_assert_no_error (error);
  g_assert_true (partner_serves (p, "domestic-abuse"));
  g_assert_true (partner_serves (p, "hate-crime"));
  g_assert_false (partner_serves (p, "fgm"));
  g_assert_false (partner_serves (p, NULL));
  g_assert_true (partner_serves (any, "fgm"));
  g_assert_true (partner_speaks (p, "ur"));
  g_assert_false (partner_speaks (p, "so"));
  g_assert_false (partner_speaks (p, NULL));
  g_assert_cmpint (p->may_tell_police, ==, PARTNER_POLICE_IF_YOU_AGREE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/partner/bad-files", test_bad_files);
  g_test_add_func ("/partner/unknown-key-warns", test_unknown_key_warns);
  g_test_add_func ("/partner/example-loads", test_example_loads);
  g_test_add_func ("/partner/firewall-addresses", test_firewall_addresses);
  g_test_add_func ("/partner/url-allowed", test_url_allowed);
  g_test_add_func ("/partner/loopback", test_loopback);
  g_test_add_func ("/partner/names-refused", test_names_refused);
  g_test_add_func ("/partner/kinds", test_kinds);
  g_test_add_func ("/partner/delivery-rules", test_delivery_rules);
  g_test_add_func ("/partner/delivery-ok", test_delivery_ok);
  g_test_add_func ("/partner/ids", test_ids);
  g_test_add_func ("/partner/secret-files", test_secret_files);
  g_test_add_func ("/partner/directory-add", test_directory_add);
  g_test_add_func ("/partner/by-token", test_by_token);
  g_test_add_func ("/partner/serves-speaks", test_serves_speaks);
  return g_test_run ();
}
