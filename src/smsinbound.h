/* smsinbound: the body of POST /sms/inbound, the generic JSON SMS door
 * (gateway/sms-inbound.c), read without a server so that it can be tested
 * and fuzzed on its own:
 *
 *   {"from":"+447700900123","to":"...","text":"...","id":"provider-id"}
 *
 * "from" and "text" are required strings, "id" an optional one (the
 * provider's message id, for de-duplication); other members, and members
 * of another type, are ignored (providers add fields without notice). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SMS_INBOUND_ERROR (sms_inbound_error_quark ())
GQuark sms_inbound_error_quark (void);

typedef enum
{
  SMS_INBOUND_ERROR_ENCODING,  /* the body is not UTF-8 */
  SMS_INBOUND_ERROR_SYNTAX,    /* not JSON, or not a JSON object */
  SMS_INBOUND_ERROR_MISSING,   /* "from" or "text" missing or not a string */
} SmsInboundError;

typedef struct
{
  char *from;     /* UTF-8, never NULL after a successful parse */
  char *text;     /* UTF-8, never NULL after a successful parse */
  char *msg_id;   /* NULL: none given */
} SmsInbound;

/* Parses BODY (LENGTH bytes, NULs included) into OUT (zeroed first; clear
 * it with sms_inbound_clear).  On failure OUT is left empty and ERROR
 * (SMS_INBOUND_ERROR) says why in words a provider's developer can act on.
 * json-glib's syntax messages may quote a token of the body: send them
 * back to the sender, never to a log. */
gboolean  sms_inbound_parse  (const char  *body,
                              gsize        length,
                              SmsInbound  *out,
                              GError     **error);
void      sms_inbound_clear  (SmsInbound  *message);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SmsInbound, sms_inbound_clear)

G_END_DECLS
