/* Shared by test-views and test-wizard: a partner directory with hostile
 * strings where a deployment could put them. */
#pragma once

#include <glib.h>
#include "conf.h"
#include "lang.h"
#include "partner.h"

#define HOSTILE "<script>alert(1)</script>\"'&<b onmouseover=x>"

/* Three partners: "rights" (domestic abuse, en pa ur, hostile name and
 * description), "helpline" (modern slavery, anywhere) and "legal" (all
 * categories, en ar, pull). */
static const char kiosk_test_conf[] =
  "[kiosk]\n"
  "site = Test Library " HOSTILE "\n"
  "helpline_domestic_abuse = 0808 2000 247\n"
  "local_paragraph_en = Our police force says: " HOSTILE "\n"
  "local_paragraph_ur = پولیس " HOSTILE "\n"
  "[partner rights]\n"
  "name = Rights " HOSTILE "\n"
  "description = Help at home " HOSTILE "\n"
  "kind = support\n"
  "services = domestic-abuse, honour-based-abuse, forced-marriage, fgm\n"
  "languages = en, pa, ur\n"
  "areas = *\n"
  "interpreters = true\n"
  "woman_worker = true\n"
  "phone = +44 113 496 0000\n"
  "delivery = webhook\n"
  "url = http://127.0.0.1:9/webhook\n"
  "hmac_secret = 9c1d0b3e5f2a4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\n"
  "public_key = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n"
  "may_tell_police = if-you-agree\n"
  "[partner helpline]\n"
  "name = Freedom Helpline\n"
  "description = A free helpline for people forced to work.\n"
  "kind = helpline\n"
  "services = modern-slavery\n"
  "languages = en, sq, so\n"
  "areas = *\n"
  "interpreters = true\n"
  "delivery = pull\n"
  "pull_token = 3f6c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa00\n"
  "public_key = ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=\n"
  "may_tell_police = only-danger\n"
  "[partner legal]\n"
  "name = Migrant Legal Clinic\n"
  "description = Free legal advice.\n"
  "kind = legal-advice\n"
  "services = *\n"
  "languages = en, ar\n"
  "areas = *\n"
  "delivery = pull\n"
  "pull_token = 4f6c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa00\n"
  "public_key = QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A=\n"
  "may_tell_police = if-you-agree\n";

static inline Conf *
kiosk_test_load_conf (void)
{
  g_autoptr(GError) error = NULL;
  Conf *conf = conf_load_data (kiosk_test_conf, "test.conf", &error);

  g_assert_no_error (error);
  return conf;
}

/* The tests check structure, not words: they run with whatever catalogs
 * exist (none yet), allowing missing ones. */
static inline void
kiosk_test_lang_init (void)
{
  g_autofree char *empty = g_dir_make_tmp ("lang-XXXXXX", NULL);

  lang_allow_missing (TRUE);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_fatal_mask ("saferoute", G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_assert_true (lang_init (g_getenv ("SAFEROUTE_LOCALEDIR") ? NULL : empty,
                            NULL));
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING
                          | G_LOG_LEVEL_CRITICAL);
  g_log_set_fatal_mask ("saferoute", G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING
                        | G_LOG_LEVEL_CRITICAL);
}
