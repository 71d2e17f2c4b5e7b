/* smssend: texts that are not replies (a delivery confirmation), through
 * the provider's own send API with libcurl:
 *   twilio  POST API/2010-04-01/Accounts/SID/Messages.json (From, To, Body)
 *   kannel  GET  SENDSMS_URL?username&password&from&to&text, with
 *           coding=2 and charset=UTF-8 for anything beyond ASCII, so that
 *           Urdu, Arabic and Punjabi do not arrive as "?????".
 * Blocking: run it in a worker thread.  https only, except http to a
 * loopback address (a local Kannel, tests). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SMSSEND_ERROR (smssend_error_quark ())
GQuark smssend_error_quark (void);

typedef enum
{
  SMSSEND_ERROR_CONFIG,     /* incomplete or unsafe settings */
  SMSSEND_ERROR_TRANSPORT,  /* no answer: retry later */
  SMSSEND_ERROR_REFUSED,    /* the provider said no */
} SmsSendError;

typedef struct
{
  char *provider;      /* "twilio" | "kannel" | NULL (never send) */
  char *url;           /* Twilio API base or Kannel sendsms URL */
  char *account;       /* Twilio account SID / Kannel username */
  char *secret;        /* Twilio auth token / Kannel password */
  char *from;          /* sender number or name */
} SmsSendConfig;

void      smssend_config_clear (SmsSendConfig       *config);
gboolean  smssend_text         (const SmsSendConfig *config,
                                const char          *to,
                                const char          *text,
                                GError             **error);

G_END_DECLS
