/* demo: the demo partner shared by every program's --demo mode.
 *
 * Owns STATE_DIR/demo/: partner.key (0600), partner.pub (0644) and
 * hmac.secret (0600).  Keys are made once and reused, so a gateway, a
 * kiosk and an inbox started with the same --state-dir agree on them.
 * Invariants: each file is written atomically (seal_keygen, and
 * g_file_set_contents_full for the secret), so a crash leaves a file
 * whole or absent, never half-written; a present file is never replaced.
 * Programs started together (make run, tests) race to create the keys:
 * an flock on STATE_DIR/demo/.lock makes one create and the others read,
 * so all of them agree on one key pair and one secret.
 * Failures: GError from GLib file functions or seal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "demo.h"
#include "seal.h"
#include "signature.h"

static char *
demo_dir (const char *state_dir)
{
  return g_build_filename (state_dir, "demo", NULL);
}

char *
demo_secret_key_path (const char *state_dir)
{
  g_return_val_if_fail (state_dir != NULL, NULL);
  return g_build_filename (state_dir, "demo", "partner.key", NULL);
}

static char *
demo_public_key_path (const char *state_dir)
{
  return g_build_filename (state_dir, "demo", "partner.pub", NULL);
}

char *
demo_hmac_secret_path (const char *state_dir)
{
  g_return_val_if_fail (state_dir != NULL, NULL);
  return g_build_filename (state_dir, "demo", "hmac.secret", NULL);
}

static gboolean
demo_create_missing (const char *state_dir, GError **error)
{
  g_autofree char *secret_key = demo_secret_key_path (state_dir);
  g_autofree char *public_key = demo_public_key_path (state_dir);
  g_autofree char *hmac = demo_hmac_secret_path (state_dir);

  if (!g_file_test (secret_key, G_FILE_TEST_EXISTS)
      && !seal_keygen (secret_key, public_key, error))
    return FALSE;
  if (!g_file_test (hmac, G_FILE_TEST_EXISTS))
    {
      g_autofree char *secret = signature_random_secret ();
      g_autofree char *line = g_strconcat (secret, "\n", NULL);

      if (!g_file_set_contents_full (hmac, line, -1,
                                     G_FILE_SET_CONTENTS_CONSISTENT
                                     | G_FILE_SET_CONTENTS_DURABLE,
                                     0600, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
demo_ensure_keys (const char *state_dir, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *lock_path = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (state_dir != NULL, FALSE);
  dir = demo_dir (state_dir);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "demo directory %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  if (!seal_init (error))
    return FALSE;
  lock_path = g_build_filename (dir, ".lock", NULL);
  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock (fd, LOCK_EX) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "demo lock %s: %s", lock_path, g_strerror (saved));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  ok = demo_create_missing (state_dir, error);
  close (fd);   /* releases the lock */
  return ok;
}

Conf *
demo_conf (const char *state_dir, const char *inbox_url, GError **error)
{
  g_autoptr(Conf) conf = NULL;
  g_autofree char *url = NULL;
  g_autofree char *hmac = NULL;
  g_autofree char *public_key = NULL;
  const char *group = "partner " DEMO_PARTNER_ID;

  g_return_val_if_fail (state_dir != NULL, NULL);
  if (!demo_ensure_keys (state_dir, error))
    return NULL;
  url = g_strconcat (inbox_url ? inbox_url : DEMO_INBOX_URL, "/webhook", NULL);
  hmac = demo_hmac_secret_path (state_dir);
  public_key = demo_public_key_path (state_dir);
  conf = conf_new_empty ("demo");
  conf_set_string (conf, group, "name", "Demo Support Service");
  conf_set_string (conf, group, "description",
                   "A made-up support service for trying saferoute out: "
                   "reports go to a local saferoute-inbox.");
  conf_set_string (conf, group, "kind", "support");
  conf_set_string (conf, group, "services", "*");
  conf_set_string (conf, group, "languages", "en,pa,ur,ar,so,sq");
  conf_set_string (conf, group, "areas", "*");
  conf_set_string (conf, group, "interpreters", "true");
  conf_set_string (conf, group, "woman_worker", "true");
  conf_set_string (conf, group, "delivery", "webhook");
  conf_set_string (conf, group, "url", url);
  conf_set_string (conf, group, "hmac_secret_file", hmac);
  conf_set_string (conf, group, "public_key_file", public_key);
  conf_set_string (conf, group, "may_tell_police", "if-you-agree");
  return g_steal_pointer (&conf);
}
