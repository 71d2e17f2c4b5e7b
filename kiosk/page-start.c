/* page-start: the language choice ("/") and the explainer screens
 * ("/LANG/", "/LANG/explain/N").  Visiting them is activity: it keeps
 * (or starts) the session so the header's forms carry a CSRF token.
 * "/report" is the web wizard's published entry (links sent by SMS, on
 * posters): on the web it goes straight to /LANG/report in the first
 * language the browser asks for that we have, else the language choice. */
#include "config.h"

#include <string.h>

#include "kiosk.h"
#include "lang.h"

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

/* The first of the browser's languages (by quality) that we serve. */
static const char *
kiosk_accepted_language (SoupServerMessage *msg)
{
  const char *header =
    soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                   "Accept-Language");
  const char *found = NULL;
  GSList *list;

  if (header == NULL)
    return NULL;
  list = soup_header_parse_quality_list (header, NULL);
  for (GSList *l = list; l != NULL && found == NULL; l = l->next)
    {
      g_autofree char *primary = g_ascii_strdown (l->data, -1);
      const LangInfo *info;

      primary[strcspn (primary, "-_")] = '\0';
      info = lang_lookup (primary);
      if (info != NULL)
        found = info->code;
    }
  soup_header_free_list (list);
  return found;
}

void
kiosk_page_choose (Kiosk *kiosk, KioskRequest *req)
{
  const char *lang = NULL;
  g_autofree char *to = NULL;

  if (strcmp (req->method, "POST") == 0)
    {
      GHashTable *form = kiosk_post_form (kiosk, req);
      const LangInfo *info;

      if (form == NULL)
        return;
      info = lang_lookup (g_hash_table_lookup (form, "lang"));
      kiosk_form_free (form);
      to = info ? g_strdup_printf ("/%s/report", info->code) : g_strdup ("/report");
      kiosk_redirect (req, to);
      return;
    }
  if (kiosk_is_web (kiosk))
    lang = kiosk_accepted_language (req->msg);
  if (lang == NULL)
    {
      kiosk_page_start (kiosk, req);
      return;
    }
  to = g_strdup_printf ("/%s/report", lang);
  kiosk_redirect (req, to);
}
