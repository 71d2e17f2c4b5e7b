/* page-exit: leaving, in every way the person or the clock can.
 *
 * /exit (Quick exit): wipes the session and shows the neutral page,
 * which returns to the start screen by itself (on the web: wipes, sends
 * Clear-Site-Data and redirects to GET /exit, the neutral page).  /done: the same after a
 * receipt, straight to the start.  /timeout: the idle wipe (a GET, so a
 * meta refresh can reach it; it only ever removes).  /LANG/idle: the
 * warning without JavaScript; showing it is not activity.  /keepalive:
 * kiosk.js says someone is typing.  /text-size: the text-size buttons. */
#include "config.h"

#include <string.h>

#include "kiosk.h"
#include "http.h"
#include "lang.h"

void
kiosk_page_exit (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;

  /* No session (expired, or a cross-site post without the cookie):
   * nothing to wipe, and the neutral page is still the right answer. */
  if (req->session)
    {
      GHashTable *form = kiosk_post_form (kiosk, req);

      if (form == NULL)
        return;
      kiosk_form_free (form);
    }
  kiosk_forget_session (kiosk, req);
  if (kiosk_is_web (kiosk))
    {
      /* GOV.UK's "Exit this page" on the web: POST-redirect-GET, so Back
       * never re-posts, and the browser drops what it kept of us. */
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Clear-Site-Data",
                                    "\"cache\", \"cookies\", \"storage\"");
      kiosk_redirect (req, "/exit");
      return;
    }
  kiosk_page (kiosk, req, &page, "en");
  kiosk_reply_html (req, SOUP_STATUS_OK, views_neutral (&page));
}

void
kiosk_page_neutral (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;

  /* Only ever shows the neutral page: a session it finds is wiped too. */
  if (req->session)
    kiosk_forget_session (kiosk, req);
  kiosk_page (kiosk, req, &page, "en");
  kiosk_reply_html (req, SOUP_STATUS_OK, views_neutral (&page));
}

void
kiosk_page_done (Kiosk *kiosk, KioskRequest *req)
{
  GHashTable *form = kiosk_post_form (kiosk, req);

  if (form == NULL)
    return;
  kiosk_form_free (form);
  kiosk_forget_session (kiosk, req);
  kiosk_redirect (req, "/");
}

void
kiosk_page_timeout (Kiosk *kiosk, KioskRequest *req)
{
  kiosk_forget_session (kiosk, req);
  kiosk_redirect (req, "/");
}

void
kiosk_page_idle (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;
  gint64 idle_us, left;
  g_autofree char *fallback = g_strdup_printf ("/%s/", req->lang);

  if (req->session == NULL)
    {
      kiosk_redirect (req, "/");
      return;
    }
  idle_us = req->now - req->session->last_seen;
  left = (gint64) kiosk->idle_timeout - idle_us / G_USEC_PER_SEC;
  kiosk_page (kiosk, req, &page, req->lang);
  kiosk_reply_html (req, SOUP_STATUS_OK,
                    views_idle (&page, req->session->last_path
                                       ? req->session->last_path : fallback,
                                (guint) CLAMP (left, 1, kiosk->idle_timeout)));
}

void
kiosk_page_keepalive (Kiosk *kiosk, KioskRequest *req)
{
  GHashTable *form = kiosk_post_form (kiosk, req);

  if (form == NULL)
    return;
  kiosk_form_free (form);
  session_store_touch (kiosk->sessions, req->session, req->now);
  soup_server_message_set_status (req->msg, SOUP_STATUS_NO_CONTENT, NULL);
  http_secure_headers (req->msg);
}

void
kiosk_page_text_size (Kiosk *kiosk, KioskRequest *req)
{
  GHashTable *form = kiosk_post_form (kiosk, req);
  const char *size, *back;

  if (form == NULL)
    return;
  size = g_hash_table_lookup (form, "size");
  back = g_hash_table_lookup (form, "back");
  if (g_strcmp0 (size, "normal") == 0 || g_strcmp0 (size, "large") == 0
      || g_strcmp0 (size, "larger") == 0)
    session_set_string (&req->session->text_size, size);
  session_store_touch (kiosk->sessions, req->session, req->now);
  kiosk_redirect (req, views_local_path (back) ? back : "/");
  kiosk_form_free (form);
}
