/* sms-http: what the three SMS provider endpoints share (sms-twilio.c,
 * sms-kannel.c, sms-inbound.c): their body limit, the mapping of the
 * desk's errors to statuses, and the loopback rule for endpoints that
 * carry no signature of their own. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "gateway.h"
#include "smsdesk.h"

G_BEGIN_DECLS

/* An SMS webhook is a few hundred bytes; anything near this is not one. */
#define SMS_HTTP_BODY_MAX 16384

/* The request body, or NULL after replying 413 (over SMS_HTTP_BODY_MAX)
 * or 503 (the SMS desk is not running). */
const char *sms_http_body      (Gateway           *gateway,
                                SoupServerMessage *msg,
                                gsize             *length);
/* Replies for ERROR from smsdesk_receive: 400 for invalid input, 503
 * with Retry-After when the store is busy, else as http_reply_error. */
void        sms_http_error     (SoupServerMessage *msg,
                                const GError      *error);
/* TRUE when the peer is on this machine (a local Kannel, tools/sms-sim). */
gboolean    sms_http_from_loopback (SoupServerMessage *msg);
/* TRUE when the request carries SECRET (as a Bearer header, or as GIVEN:
 * what the caller found in its own parameters, or NULL), or, with no
 * SECRET configured, comes from loopback; else replies 401/403 and
 * returns FALSE. */
gboolean    sms_http_authorize (SoupServerMessage *msg,
                                const char        *secret,
                                const char        *given);
/* 200 with BODY (taken) as CONTENT_TYPE and the security headers. */
void        sms_http_reply     (SoupServerMessage *msg,
                                const char        *content_type,
                                char              *body);
/* Writes the reply for ANSWER into MSG (the endpoint's own format). */
typedef void (*SmsHttpReplyFunc) (SoupServerMessage *msg,
                                  const SmsAnswer   *answer);
/* Hands INCOMING to the desk and pauses MSG; once the desk's batch is
 * durable, REPLY (or sms_http_error) answers it and it is unpaused. */
void        sms_http_receive   (Gateway           *gateway,
                                SoupServerMessage *msg,
                                const SmsIncoming *incoming,
                                SmsHttpReplyFunc   reply);
/* REPLIES joined by a blank line: what one reply body can carry. */
char       *sms_http_join      (char **replies);

/* main.c: load the catalogs (the conversation speaks six languages and
 * refuses to start without them), open the SMS desk from [sms] and start
 * its housekeeping timer.  Errors: CONF_ERROR / SMSDESK_ERROR_CONFIG are
 * configuration errors (exit 2), the rest runtime failures. */
gboolean    sms_http_start     (Gateway  *gateway,
                                GError  **error);
void        sms_http_stop      (Gateway  *gateway);

G_END_DECLS
