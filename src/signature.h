/* signature: the partner webhook signature (DESIGN.md)
 *   Saferoute-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX.BODY"))
 * and bearer tokens.  All comparisons of secrets are constant time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIGNATURE_ERROR (signature_error_quark ())
GQuark signature_error_quark (void);

typedef enum
{
  SIGNATURE_ERROR_MISSING,
  SIGNATURE_ERROR_MALFORMED,
  SIGNATURE_ERROR_STALE,     /* older (or newer) than the tolerance */
  SIGNATURE_ERROR_MISMATCH,
} SignatureError;

#define SIGNATURE_TOLERANCE_SECONDS 300

char     *signature_header_new (const char *secret,
                                gint64      unix_time,
                                const char *body,
                                gsize       length);
gboolean  signature_verify     (const char *secret,
                                const char *header,
                                const char *body,
                                gsize       length,
                                gint64      now,
                                gint64      tolerance_seconds,
                                GError    **error);
/* Constant time for equal lengths; NULL never equals anything. */
gboolean  signature_equal      (const char *a,
                                const char *b);
/* "Bearer TOKEN" -> TOKEN (borrowed pointer into HEADER), or NULL. */
const char *signature_bearer_token (const char *authorization_header);
/* 32 random bytes as 64 hex characters (secrets, tokens). */
char     *signature_random_secret (void);

G_END_DECLS
