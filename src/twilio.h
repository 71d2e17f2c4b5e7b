/* twilio: what the gateway needs of Twilio's Messaging webhooks.
 *
 * - X-Twilio-Signature: base64 (HMAC-SHA1 (auth token, URL + for each
 *   form parameter, sorted by name and then by value, NAME + VALUE)), as
 *   Twilio's helper libraries compute it.  The URL is the PUBLIC one that
 *   Twilio called (from the configuration: behind a TLS-terminating proxy
 *   the local request URL is wrong), and, as the helper libraries do, the
 *   same URL with the scheme's default port added or removed also counts.
 *   A non-default port is never dropped: the configured URL must say what
 *   Twilio was told.
 * - Form bodies keep every parameter, repeated ones included, because the
 *   signature covers all of them (Twilio adds parameters without notice).
 * - TwiML replies, XML-escaped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TWILIO_ERROR (twilio_error_quark ())
GQuark twilio_error_quark (void);

typedef enum
{
  TWILIO_ERROR_MISSING,    /* no X-Twilio-Signature */
  TWILIO_ERROR_MALFORMED,  /* not a form body, or not a signature */
  TWILIO_ERROR_MISMATCH,   /* the signature does not match */
} TwilioError;

/* Parses an application/x-www-form-urlencoded BODY ('+' is a space) into
 * a NULL-terminated vector NAME, VALUE, NAME, VALUE, ... in body order.
 * Values are the decoded bytes, not yet checked for UTF-8; an encoded NUL
 * or a bad %-escape is TWILIO_ERROR_MALFORMED. */
char      **twilio_form_parse       (const char        *body,
                                     gsize              length,
                                     GError           **error);
/* The first value of NAME in PAIRS, or NULL. */
const char *twilio_form_get         (const char *const *pairs,
                                     const char        *name);

/* The base64 signature of URL and PAIRS (from twilio_form_parse; NULL or
 * empty for a request with no parameters). */
char       *twilio_signature_compute (const char        *auth_token,
                                      const char        *url,
                                      const char *const *pairs);
/* Checks SIGNATURE (the header, NULL if absent) against URL and its
 * default-port variant in constant time. */
gboolean    twilio_signature_verify  (const char        *auth_token,
                                      const char        *url,
                                      const char *const *pairs,
                                      const char        *signature,
                                      GError           **error);
/* URL with its scheme's default port toggled: "https://h/p" <->
 * "https://h:443/p" (and 80 for http).  NULL when URL has another port or
 * another scheme, or is not an absolute URL. */
char       *twilio_url_port_variant  (const char *url);

/* <?xml ...?><Response><Message>TEXT</Message>...</Response> with one
 * Message per entry of MESSAGES (NULL or empty: an empty Response, which
 * tells Twilio to send nothing). */
char       *twilio_twiml            (const char *const *messages);

G_END_DECLS
