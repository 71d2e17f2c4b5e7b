/* page-start: the language choice ("/") and the explainer screens
 * ("/LANG/", "/LANG/explain/N").  Visiting them is activity: it keeps
 * (or starts) the session so the header's forms carry a CSRF token. */
#include "config.h"

#include <string.h>

#include "kiosk.h"

void
kiosk_page_start (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;

  kiosk_session (kiosk, req);
  session_store_touch (kiosk->sessions, req->session, req->now);
  session_set_string (&req->session->last_path, "/");
  kiosk_page (kiosk, req, &page, "en");
  /* The start screen holds nothing to wipe: it would only flicker back
   * to itself every idle period.  Its session still expires. */
  page.idle_warning = 0;
  kiosk_reply_html (req, SOUP_STATUS_OK, views_language_choice (&page));
}

void
kiosk_page_explain (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;
  guint64 n = 1;

  if (g_str_has_prefix (req->rest, "/explain/")
      && !g_ascii_string_to_unsigned (req->rest + strlen ("/explain/"), 10, 1,
                                      views_explain_count (), &n, NULL))
    {
      kiosk_not_found (kiosk, req);
      return;
    }
  kiosk_session (kiosk, req);
  session_store_touch (kiosk->sessions, req->session, req->now);
  session_set_string (&req->session->lang, req->lang);
  session_set_string (&req->session->last_path, req->path);
  kiosk_page (kiosk, req, &page, req->lang);
  kiosk_reply_html (req, SOUP_STATUS_OK, views_explain (&page, (guint) n));
}
