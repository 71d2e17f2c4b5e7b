/* gateway: what the gateway's endpoint files share.
 *
 * One Gateway per process, built by main.c, read by every handler.  A
 * handler is one function per method and path, listed once in server.c's
 * route table; it parses, validates, calls the library, replies. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "conf.h"
#include "forward.h"
#include "intake.h"
#include "partner.h"
#include "store.h"
#include "smsdesk.h"

G_BEGIN_DECLS

typedef struct _Kiosk Kiosk;  /* kiosk.h: the web wizard's pages */

#define GATEWAY_HTTP_CODES 600

typedef struct
{
  Conf             *conf;
  PartnerDirectory *partners;
  Store            *store;
  Forwarder        *forwarder;      /* NULL in unit tests */
  Intake           *intake;
  ForwardOptions    forward_options;
  char             *state_dir;
  gboolean          state_dir_is_temporary; /* --demo without --state-dir */
  gboolean          demo;
  SoupServer       *server;
  Kiosk            *web;            /* web.c; NULL in unit tests */
  SmsDesk          *sms;            /* the SMS front door; NULL: 503 */
  /* Replies sent, by status code, for /metrics. */
  guint64           http_replies[GATEWAY_HTTP_CODES];
} Gateway;

/* PARAMS holds the path segments that matched "*" in the route, in order
 * (NULL-terminated; unescaped). */
typedef void (*GatewayHandler) (Gateway            *gateway,
                                SoupServerMessage  *msg,
                                const char *const  *params);

/* server.c: installs the route table and the request counter on SERVER. */
void     gateway_server_install (Gateway    *gateway,
                                 SoupServer *server);

/* The first value of query parameter NAME, or NULL. */
char    *gateway_query_param    (SoupServerMessage *msg,
                                 const char        *name);

/* Handlers, one file each (the route table in server.c names them). */
void     health_get             (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     metrics_get            (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     api_partner_list       (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     sms_twilio_post        (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     sms_kannel             (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     sms_inbound_post       (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     api_relay_post         (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     api_partner_ack        (Gateway *gateway, SoupServerMessage *msg, const char *const *params);
void     web_page               (Gateway *gateway, SoupServerMessage *msg, const char *const *params);

/* web.c: the web wizard's [gateway] keys (exit 2 on error), then its
 * sessions once the store and intake exist. */
gboolean web_configure          (Gateway     *gateway,
                                 const char  *assets_dir,
                                 const char  *fonts_dir,
                                 GError     **error);
void     web_start              (Gateway     *gateway);
void     web_free               (Kiosk       *web);

G_END_DECLS
