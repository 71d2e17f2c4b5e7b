/* web: the gateway's phone web wizard ("/report", "/LANG/report", the
 * explainer, quick exit, the CSS and fonts).
 *
 * The pages, the wizard, the sessions (memory only, bounded, wiped at
 * send, exit or idle timeout) and the CSRF checks are the kiosk's own
 * (the kiosk directory's files, compiled into this program too), run with the channel
 * "web": reports go through the gateway's Intake.  Here: the [gateway]
 * keys for it, the idle sweep, and the route handlers, which hand the
 * request to kiosk_handle. */
#include "config.h"

#include "gateway.h"
#include "kiosk.h"

/* A gateway serves many phones: enough for a busy evening, and a flood
 * evicts the oldest idle session instead of growing memory. */
#define WEB_MAX_SESSIONS 4096

gboolean
web_configure (Gateway *gateway, const char *assets_dir, const char *fonts_dir,
               GError **error)
{
  Kiosk *web = g_new0 (Kiosk, 1);
  g_autofree char *public_url = NULL;

  gateway->web = web;
  web->conf = gateway->conf;
  web->partners = gateway->partners;
  web->context.partners = gateway->partners;
  web->context.channel = "web";
  if (!kiosk_front_configure (web, "gateway", "web_", 900, 780, error)
      || !kiosk_front_dirs (web, "gateway", assets_dir, fonts_dir, error)
      || !(public_url = conf_get_string (gateway->conf, "gateway", "public_url",
                                         "", error)))
    return FALSE;
  web->secure_cookies = g_str_has_prefix (public_url, "https:");
  return TRUE;
}

void
web_start (Gateway *gateway)
{
  Kiosk *web = gateway->web;

  web->store = gateway->store;
  web->intake = gateway->intake;
  web->forwarder = gateway->forwarder;
  web->server = gateway->server;
  web->sessions = session_store_new ((gint64) web->idle_timeout * G_USEC_PER_SEC,
                                     WEB_MAX_SESSIONS);
  web->sweep_id = g_timeout_add_seconds (1, kiosk_front_sweep, web);
}

void
web_free (Kiosk *web)
{
  if (web == NULL)
    return;
  if (web->sweep_id)
    g_source_remove (web->sweep_id);
  /* Everything else is the gateway's. */
  g_clear_pointer (&web->sessions, session_store_free);
  g_clear_pointer (&web->site, views_site_free);
  g_free (web->area);
  g_free (web->assets_dir);
  g_free (web->fonts_dir);
  g_free (web);
}

void
web_page (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  kiosk_handle (gateway->web, msg,
                g_uri_get_path (soup_server_message_get_uri (msg)));
}
