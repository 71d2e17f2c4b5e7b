/* seal: sealing a report so only the chosen partner can read it
 * (libsodium crypto_box_seal to the partner's X25519 public key), opening
 * it at the partner, and the partner's key files.
 *
 * Key files hold one line of standard base64.  A secret key file must be
 * mode 0600 (or stricter): seal refuses to read one that group or others
 * can read, and writes new ones 0600 atomically. */
#pragma once

#include <glib.h>
#include "report.h"
#include "envelope.h"
#include "partner.h"

G_BEGIN_DECLS

#define SEAL_ERROR (seal_error_quark ())
GQuark seal_error_quark (void);

typedef enum
{
  SEAL_ERROR_KEY,     /* unreadable, malformed or unsafe key file */
  SEAL_ERROR_OPEN,    /* ciphertext does not open with this key */
  SEAL_ERROR_FAILED,
} SealError;

#define SEAL_PUBLIC_KEY_BYTES 32
#define SEAL_SECRET_KEY_BYTES 32

/* Must be called once before anything else (calls sodium_init). */
gboolean  seal_init          (GError **error);

/* The envelope for REPORT to PARTNER: sealed, or plain if PARTNER->plain. */
Envelope *seal_report        (const Report  *report,
                              const Partner *partner,
                              GError       **error);
/* Opens ENVELOPE (sealed or plain) and validates the report inside. */
Report   *seal_open          (const Envelope *envelope,
                              const guint8    public_key[SEAL_PUBLIC_KEY_BYTES],
                              const guint8    secret_key[SEAL_SECRET_KEY_BYTES],
                              GError        **error);

/* Writes SECRET_PATH (0600) and PUBLIC_PATH (0644); refuses to overwrite. */
gboolean  seal_keygen        (const char *secret_path,
                              const char *public_path,
                              GError    **error);
gboolean  seal_load_public_key (const char *path,
                                guint8      public_key[SEAL_PUBLIC_KEY_BYTES],
                                GError    **error);
/* Also derives the public key. */
gboolean  seal_load_secret_key (const char *path,
                                guint8      public_key[SEAL_PUBLIC_KEY_BYTES],
                                guint8      secret_key[SEAL_SECRET_KEY_BYTES],
                                GError    **error);
gboolean  seal_public_key_from_base64 (const char *text,
                                       guint8      public_key[SEAL_PUBLIC_KEY_BYTES]);
char     *seal_public_key_to_base64   (const guint8 public_key[SEAL_PUBLIC_KEY_BYTES]);

G_END_DECLS
