/* seal: sealing reports to a partner's key, opening them, key files.
 *
 * Owns promise 3 of DESIGN.md: a report leaves the place it was written
 * only as crypto_box_seal (X25519 + XSalsa20-Poly1305, anonymous sender)
 * to the chosen partner's public key, unless that partner is configured
 * for plain delivery.  The envelope's routing members (id, ref, partner)
 * travel in clear, so seal_open checks them against the report inside: an
 * envelope whose clear head was swapped onto another sealed report does
 * not open.  Report errors from inside a sealed envelope keep their
 * REPORT_ERROR code (the partner sees "invalid report", not "wrong key").
 *
 * Key files: one line of standard base64.  New files are written to a
 * temporary name created with O_EXCL and the final mode, synced, then
 * hard-linked to their name: link(2), unlike rename(2), fails if the name
 * exists, so an existing key is never replaced, even by a race.  After a
 * crash at any point there is at worst a stray "NAME.tmp-XXXXXX" file;
 * the key file itself is either absent or complete.  Secret keys are
 * wiped from memory (sodium_memzero) as soon as they are no longer used;
 * a secret key file that group or others may access is refused, as ssh
 * refuses such private keys. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "seal.h"

G_DEFINE_QUARK (saferoute-seal-error-quark, seal_error)

/* A key file is 44 characters and a newline; anything much longer is not
 * a key file and is not read into memory. */
#define SEAL_KEY_FILE_MAX 256

gboolean
seal_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, SEAL_ERROR, SEAL_ERROR_FAILED,
                           "libsodium could not be initialised");
      return FALSE;
    }
  return TRUE;
}

/* -- sealing ------------------------------------------------------------- */

Envelope *
seal_report (const Report *report, const Partner *partner, GError **error)
{
  g_autoptr(Envelope) envelope = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;

  g_return_val_if_fail (report != NULL, NULL);
  g_return_val_if_fail (partner != NULL && partner->id != NULL, NULL);

  if (!report_validate (report, error))
    return NULL;
  if (strcmp (report->partner, partner->id) != 0)
    {
      g_set_error (error, SEAL_ERROR, SEAL_ERROR_FAILED,
                   "report %s is for partner %s, not %s",
                   report->ref, report->partner, partner->id);
      return NULL;
    }
  envelope = envelope_new ();
  envelope->id = g_strdup (report->id);
  envelope->ref = g_strdup (report->ref);
  envelope->partner = g_strdup (partner->id);
  envelope->created_at = report->created_at;

  json = report_to_json (report, &length);
  if (partner->plain)
    {
      envelope->report_json = g_steal_pointer (&json);
      return g_steal_pointer (&envelope);
    }

  {
    gsize size = length + crypto_box_SEALBYTES;
    guint8 *sealed = g_malloc (size);
    int failed = crypto_box_seal (sealed, (const guint8 *) json, length,
                                  partner->public_key);

    sodium_memzero (json, length);
    if (failed != 0)
      {
        g_free (sealed);
        /* libsodium refuses keys of small order (an all-zero key). */
        g_set_error (error, SEAL_ERROR, SEAL_ERROR_FAILED,
                     "cannot seal report %s: partner %s has an unusable "
                     "public key", report->ref, partner->id);
        return NULL;
      }
    envelope->sealed = g_bytes_new_take (sealed, size);
  }
  return g_steal_pointer (&envelope);
}

static gboolean
seal_mismatch (const Envelope *envelope, const char *member, GError **error)
{
  g_set_error (error, SEAL_ERROR, SEAL_ERROR_OPEN,
               "envelope %s: the report inside has another %s than the "
               "envelope", envelope->id, member);
  return FALSE;
}

static gboolean
seal_matches (const Envelope *envelope, const Report *report,
              GError **error)
{
  if (g_strcmp0 (envelope->id, report->id) != 0)
    return seal_mismatch (envelope, "id", error);
  if (g_strcmp0 (envelope->ref, report->ref) != 0)
    return seal_mismatch (envelope, "ref", error);
  if (g_strcmp0 (envelope->partner, report->partner) != 0)
    return seal_mismatch (envelope, "partner", error);
  return TRUE;
}

/* Decrypts ENVELOPE->sealed into a new buffer the caller must wipe. */
static guint8 *
seal_decrypt (const Envelope *envelope,
              const guint8 public_key[SEAL_PUBLIC_KEY_BYTES],
              const guint8 secret_key[SEAL_SECRET_KEY_BYTES],
              gsize *length, GError **error)
{
  gsize size;
  const guint8 *sealed = g_bytes_get_data (envelope->sealed, &size);
  g_autofree guint8 *plain = NULL;

  if (size < crypto_box_SEALBYTES)
    {
      g_set_error (error, SEAL_ERROR, SEAL_ERROR_OPEN,
                   "envelope %s: sealed data too short", envelope->id);
      return NULL;
    }
  *length = size - crypto_box_SEALBYTES;
  plain = g_malloc (*length + 1);
  if (crypto_box_seal_open (plain, sealed, size, public_key, secret_key) != 0)
    {
      g_set_error (error, SEAL_ERROR, SEAL_ERROR_OPEN,
                   "envelope %s: does not open with this key (another "
                   "partner's key, or damaged)", envelope->id);
      return NULL;
    }
  return g_steal_pointer (&plain);
}

Report *
seal_open (const Envelope *envelope,
           const guint8 public_key[SEAL_PUBLIC_KEY_BYTES],
           const guint8 secret_key[SEAL_SECRET_KEY_BYTES], GError **error)
{
  g_autoptr(Report) report = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (envelope != NULL && envelope->id != NULL, NULL);
  g_return_val_if_fail ((envelope->sealed == NULL)
                        != (envelope->report_json == NULL), NULL);

  if (envelope->sealed != NULL)
    {
      gsize length = 0;
      guint8 *plain;

      g_return_val_if_fail (public_key != NULL && secret_key != NULL, NULL);
      plain = seal_decrypt (envelope, public_key, secret_key, &length, error);
      if (plain == NULL)
        return NULL;
      report = report_from_json ((const char *) plain, (gssize) length,
                                 &local_error);
      sodium_memzero (plain, length);
      g_free (plain);
    }
  else
    report = report_from_json (envelope->report_json, -1, &local_error);

  if (report == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "envelope %s: ", envelope->id);
      return NULL;
    }
  if (!seal_matches (envelope, report, error))
    return NULL;
  return g_steal_pointer (&report);
}

/* -- keys ---------------------------------------------------------------- */

/* Strict: exactly SEAL_PUBLIC_KEY_BYTES of padded standard base64, no
 * whitespace.  Decodes straight into KEY so a secret never sits in a
 * buffer we cannot wipe. */
static gboolean
seal_key_decode (const char *text, gsize length,
                 guint8 key[SEAL_PUBLIC_KEY_BYTES])
{
  guint8 decoded[SEAL_PUBLIC_KEY_BYTES];
  const char *end = NULL;
  gsize size = 0;
  gboolean ok;

  ok = sodium_base642bin (decoded, sizeof decoded, text, length, NULL, &size,
                          &end, sodium_base64_VARIANT_ORIGINAL) == 0
       && end == text + length && size == sizeof decoded;
  if (ok)
    memcpy (key, decoded, sizeof decoded);
  sodium_memzero (decoded, sizeof decoded);
  return ok;
}

gboolean
seal_public_key_from_base64 (const char *text,
                             guint8 public_key[SEAL_PUBLIC_KEY_BYTES])
{
  g_return_val_if_fail (public_key != NULL, FALSE);

  return text != NULL && seal_key_decode (text, strlen (text), public_key);
}

char *
seal_public_key_to_base64 (const guint8 public_key[SEAL_PUBLIC_KEY_BYTES])
{
  g_return_val_if_fail (public_key != NULL, NULL);

  return g_base64_encode (public_key, SEAL_PUBLIC_KEY_BYTES);
}

static gboolean
seal_key_error (GError **error, const char *path, const char *why)
{
  g_set_error (error, SEAL_ERROR, SEAL_ERROR_KEY, "%s: %s", path, why);
  return FALSE;
}

/* Reads the key in PATH.  With SECRET, refuses a file that group or
 * others may access, checked on the open descriptor (no race with a
 * chmod or rename between check and read). */
static gboolean
seal_read_key (const char *path, gboolean secret,
               guint8 key[SEAL_PUBLIC_KEY_BYTES], GError **error)
{
  char text[SEAL_KEY_FILE_MAX + 1];
  struct stat st;
  gsize length = 0, start = 0;
  gboolean ok, too_long;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    return seal_key_error (error, path, g_strerror (errno));
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return seal_key_error (error, path, "not a regular file");
    }
  if (secret && (st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, SEAL_ERROR, SEAL_ERROR_KEY,
                   "%s: secret key file is accessible by group or others "
                   "(mode %04o); refusing to use it.  Fix with: chmod 600 %s",
                   path, (unsigned) (st.st_mode & 07777), path);
      return FALSE;
    }
  while (length < sizeof text)
    {
      ssize_t n = read (fd, text + length, sizeof text - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      length += (gsize) n;
    }
  close (fd);
  too_long = length > SEAL_KEY_FILE_MAX;

  /* One line: surrounding whitespace (the newline) does not count. */
  while (length > 0 && g_ascii_isspace (text[length - 1]))
    length--;
  while (start < length && g_ascii_isspace (text[start]))
    start++;
  ok = !too_long && seal_key_decode (text + start, length - start, key);
  sodium_memzero (text, sizeof text);
  if (!ok)
    return seal_key_error (error, path,
                           "not a key file (want one line of base64 of "
                           "32 bytes)");
  return TRUE;
}

gboolean
seal_load_public_key (const char *path,
                      guint8 public_key[SEAL_PUBLIC_KEY_BYTES],
                      GError **error)
{
  g_return_val_if_fail (path != NULL && public_key != NULL, FALSE);

  return seal_read_key (path, FALSE, public_key, error);
}

gboolean
seal_load_secret_key (const char *path,
                      guint8 public_key[SEAL_PUBLIC_KEY_BYTES],
                      guint8 secret_key[SEAL_SECRET_KEY_BYTES],
                      GError **error)
{
  g_return_val_if_fail (path != NULL && public_key != NULL
                        && secret_key != NULL, FALSE);

  if (!seal_read_key (path, TRUE, secret_key, error))
    return FALSE;
  /* crypto_box_keypair's public key is the X25519 base point times the
   * secret key, so the secret file alone is enough. */
  if (crypto_scalarmult_base (public_key, secret_key) != 0)
    {
      sodium_memzero (secret_key, SEAL_SECRET_KEY_BYTES);
      return seal_key_error (error, path, "not a usable secret key");
    }
  return TRUE;
}

static gboolean
seal_write_error (GError **error, const char *path, const char *doing,
                  int saved_errno)
{
  g_set_error (error, SEAL_ERROR, SEAL_ERROR_FAILED, "%s: cannot %s: %s",
               path, doing, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
seal_write_all (int fd, const char *data, gsize length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* The directory entry must reach the disk too, or a power cut can lose a
 * key file whose content was synced. */
static void
seal_sync_dir (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    return;
  fsync (fd);
  close (fd);
}

/* Writes KEY as one line of base64 to PATH with exactly MODE, never
 * replacing an existing file (see the comment at the top). */
static gboolean
seal_write_key (const char *path, const guint8 *key, mode_t mode,
                GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  char line[64];
  gsize length;
  int fd, saved;
  gboolean ok;

  g_assert (sodium_base64_ENCODED_LEN (SEAL_PUBLIC_KEY_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)
            < sizeof line - 1);
  sodium_bin2base64 (line, sizeof line, key, SEAL_PUBLIC_KEY_BYTES,
                     sodium_base64_VARIANT_ORIGINAL);
  length = strlen (line);
  line[length++] = '\n';

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      sodium_memzero (line, sizeof line);
      return seal_write_error (error, tmp, "create", errno);
    }
  /* The umask must not decide: 0600 stays private, 0644 stays readable
   * by the services that seal to it. */
  ok = fchmod (fd, mode) == 0 && seal_write_all (fd, line, length)
       && fsync (fd) == 0;
  saved = errno;
  sodium_memzero (line, sizeof line);
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      saved = errno;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return seal_write_error (error, tmp, "write", saved);
    }
  ok = link (tmp, path) == 0;
  saved = errno;
  g_unlink (tmp);
  if (!ok)
    return seal_write_error (error, path, "create", saved);
  seal_sync_dir (path);
  return TRUE;
}

gboolean
seal_keygen (const char *secret_path, const char *public_path,
             GError **error)
{
  guint8 public_key[SEAL_PUBLIC_KEY_BYTES];
  guint8 secret_key[SEAL_SECRET_KEY_BYTES];
  const char *paths[] = { secret_path, public_path };
  gboolean ok;

  g_return_val_if_fail (secret_path != NULL && public_path != NULL, FALSE);
  g_return_val_if_fail (strcmp (secret_path, public_path) != 0, FALSE);

  /* Check both first, so that a refusal leaves nothing half done; link()
   * still refuses if one appears in between. */
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      GStatBuf st;

      if (g_lstat (paths[i], &st) == 0)
        return seal_write_error (error, paths[i], "create (not replacing "
                                 "an existing key file)", EEXIST);
    }
  crypto_box_keypair (public_key, secret_key);
  ok = seal_write_key (secret_path, secret_key, 0600, error);
  sodium_memzero (secret_key, sizeof secret_key);
  if (!ok)
    return FALSE;
  if (!seal_write_key (public_path, public_key, 0644, error))
    {
      /* We created it a moment ago; a secret without its public half is
       * of no use and must not be left lying around. */
      g_unlink (secret_path);
      return FALSE;
    }
  return TRUE;
}
