/* server: the kiosk's route table and what every handler relies on.
 *
 * Every reply carries no-store, nosniff, no-referrer, DENY framing and a
 * strict Content-Security-Policy (no inline script or style).  Sessions
 * come only from the cookie; a POST without the session's CSRF token gets
 * a 403 page and changes nothing.  Handlers run on the main loop's thread,
 * which lang_use() requires. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kiosk.h"
#include "http.h"
#include "lang.h"

#define KIOSK_BODY_MAX (64 * 1024)
#define KIOSK_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
  "img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; " \
  "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

typedef void (*KioskHandler) (Kiosk *kiosk, KioskRequest *req);

typedef struct
{
  const char  *method;   /* NULL: GET or HEAD */
  gboolean     per_lang; /* under /LANG */
  const char  *path;     /* exact, or a prefix when it ends in '/' */
  KioskHandler handler;
} KioskRoute;

static void
kiosk_healthz (Kiosk *kiosk, KioskRequest *req)
{
  http_reply_text (req->msg, SOUP_STATUS_OK, "ok");
}

static const KioskRoute kiosk_routes[] = {
  { NULL,   FALSE, "/",            kiosk_page_start },
  { NULL,   FALSE, "/healthz",     kiosk_healthz },
  { NULL,   FALSE, "/assets/",     kiosk_assets },
  { NULL,   FALSE, "/timeout",     kiosk_page_timeout },
  { NULL,   FALSE, "/report",      kiosk_page_choose },
  { "POST", FALSE, "/report",      kiosk_page_choose },
  { NULL,   FALSE, "/exit",        kiosk_page_neutral },
  { "POST", FALSE, "/exit",        kiosk_page_exit },
  { "POST", FALSE, "/done",        kiosk_page_done },
  { "POST", FALSE, "/keepalive",   kiosk_page_keepalive },
  { "POST", FALSE, "/text-size",   kiosk_page_text_size },
  { NULL,   TRUE,  "/",            kiosk_page_explain },
  { NULL,   TRUE,  "/explain/",    kiosk_page_explain },
  { NULL,   TRUE,  "/idle",        kiosk_page_idle },
  { NULL,   TRUE,  "/report",      kiosk_page_report },
  { "POST", TRUE,  "/report",      kiosk_page_report },
};

static void
kiosk_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  http_secure_headers (msg);
  soup_message_headers_replace (headers, "Content-Security-Policy", KIOSK_CSP);
}

void
kiosk_reply_html (KioskRequest *req, guint status, char *html)
{
  kiosk_headers (req->msg);
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "text/html; charset=utf-8",
                                    SOUP_MEMORY_TAKE, html, strlen (html));
}

void
kiosk_redirect (KioskRequest *req, const char *location)
{
  kiosk_headers (req->msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Location", location);
  soup_server_message_set_status (req->msg, SOUP_STATUS_SEE_OTHER, NULL);
}

static char *
kiosk_cookie_value (SoupServerMessage *msg)
{
  const char *header =
    soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                   "Cookie");
  g_auto(GStrv) parts = NULL;

  if (header == NULL)
    return NULL;
  parts = g_strsplit_set (header, ";,", -1);
  for (guint i = 0; parts[i]; i++)
    {
      const char *p = parts[i];

      while (*p == ' ')
        p++;
      if (g_str_has_prefix (p, SESSION_COOKIE "="))
        return g_strstrip (g_strdup (p + strlen (SESSION_COOKIE "=")));
    }
  return NULL;
}

gboolean
kiosk_is_web (const Kiosk *kiosk)
{
  return g_strcmp0 (kiosk->context.channel, "web") == 0;
}

static void
kiosk_set_cookie (Kiosk *kiosk, KioskRequest *req, const char *id)
{
  const char *secure = kiosk->secure_cookies ? "; Secure" : "";
  g_autofree char *cookie =
    id ? g_strdup_printf (SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s",
                          id, secure)
       : g_strdup_printf (SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                          secure);

  soup_message_headers_append (soup_server_message_get_response_headers (req->msg),
                               "Set-Cookie", cookie);
}

Session *
kiosk_session (Kiosk *kiosk, KioskRequest *req)
{
  if (req->session == NULL)
    {
      req->session = session_store_create (kiosk->sessions, req->now);
      kiosk_set_cookie (kiosk, req, req->session->id);
    }
  return req->session;
}

void
kiosk_forget_session (Kiosk *kiosk, KioskRequest *req)
{
  if (req->session)
    session_store_remove (kiosk->sessions, req->session);
  req->session = NULL;
  kiosk_set_cookie (kiosk, req, NULL);
}

void
kiosk_page (Kiosk *kiosk, KioskRequest *req, ViewsPage *page, const char *lang)
{
  memset (page, 0, sizeof *page);
  page->site = kiosk->site;
  page->lang = lang ? lang : "en";
  page->csrf = req->session ? req->session->csrf : NULL;
  page->path = req->path;
  page->text_size = req->session ? req->session->text_size : NULL;
  page->idle_warning = kiosk->idle_warning;
  page->idle_timeout = kiosk->idle_timeout;
}

static void
kiosk_forbidden (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;

  kiosk_page (kiosk, req, &page, req->lang);
  kiosk_reply_html (req, SOUP_STATUS_FORBIDDEN,
                    views_message (&page, N_("This page has expired"),
                                   N_("For your safety, a form only works for a short time and only on the screen where it was shown. Please start again.")));
}

void
kiosk_not_found (Kiosk *kiosk, KioskRequest *req)
{
  ViewsPage page;

  kiosk_page (kiosk, req, &page, req->lang);
  kiosk_reply_html (req, SOUP_STATUS_NOT_FOUND,
                    views_message (&page, N_("Page not found"),
                                   N_("We could not find this page.")));
}

static void
kiosk_form_wipe (gpointer key, gpointer value, gpointer user_data)
{
  if (value)
    memset (value, 0, strlen (value));
}

void
kiosk_form_free (GHashTable *form)
{
  /* The values may hold what the person typed: zero them first. */
  g_hash_table_foreach (form, kiosk_form_wipe, NULL);
  g_hash_table_unref (form);
}

GHashTable *
kiosk_post_form (Kiosk *kiosk, KioskRequest *req)
{
  const char *type =
    soup_message_headers_get_content_type (soup_server_message_get_request_headers (req->msg),
                                           NULL);
  GHashTable *form;
  gsize length = 0;
  const char *body = http_body (req->msg, &length);

  /* A NUL, raw or encoded, would cut the decoded value short: "fgm%00x"
   * would pass as "fgm".  No browser sends one; refuse the form. */
  if (g_strcmp0 (type, "application/x-www-form-urlencoded") != 0
      || strlen (body) != length || strstr (body, "%00") != NULL)
    form = g_hash_table_new (g_str_hash, g_str_equal);
  else
    form = soup_form_decode (body);
  if (!session_csrf_valid (req->session, g_hash_table_lookup (form, "csrf")))
    {
      g_message ("refused a POST to %s: no session or wrong CSRF token",
                 req->path);
      kiosk_form_free (form);
      kiosk_forbidden (kiosk, req);
      return NULL;
    }
  return form;
}

static gboolean
kiosk_route_matches (const KioskRoute *route, const char *method,
                     const char *path)
{
  gsize n = strlen (route->path);

  if (route->method ? strcmp (method, route->method) != 0
                    : (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0))
    return FALSE;
  if (n > 1 && route->path[n - 1] == '/')
    return strncmp (path, route->path, n) == 0;
  return strcmp (path, route->path) == 0;
}

void
kiosk_handle (Kiosk *kiosk, SoupServerMessage *msg, const char *path)
{
  KioskRequest req = { 0 };
  g_autofree char *cookie = kiosk_cookie_value (msg);
  g_autofree char *lang = NULL;
  gboolean allowed_path = FALSE;

  req.msg = msg;
  req.method = soup_server_message_get_method (msg);
  req.path = path;
  req.now = g_get_monotonic_time ();
  req.session = session_store_lookup (kiosk->sessions, cookie, req.now);
  req.rest = path;

  /* "/ur/report" -> lang "ur", rest "/report"; "/ur" -> "/ur/". */
  if (path[0] == '/' && path[1] && path[2] && (path[3] == '/' || path[3] == '\0'))
    {
      lang = g_strndup (path + 1, 2);
      if (lang_lookup (lang) == NULL)
        g_clear_pointer (&lang, g_free);
      else if (path[3] == '\0')
        {
          g_autofree char *to = g_strconcat (path, "/", NULL);
          kiosk_redirect (&req, to);
          return;
        }
      else
        req.rest = path + 3;
    }
  req.lang = lang;

  for (guint i = 0; i < G_N_ELEMENTS (kiosk_routes); i++)
    {
      const KioskRoute *route = &kiosk_routes[i];

      if (route->per_lang != (lang != NULL))
        continue;
      if (strcmp (req.rest, route->path) == 0
          || (route->path[1] && g_str_has_suffix (route->path, "/")
              && g_str_has_prefix (req.rest, route->path)))
        allowed_path = TRUE;
      if (!kiosk_route_matches (route, req.method, req.rest))
        continue;
      route->handler (kiosk, &req);
      return;
    }
  if (allowed_path)
    {
      kiosk_headers (msg);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD, POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  kiosk_not_found (kiosk, &req);
}

static void
kiosk_dispatch (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  kiosk_handle (user_data, msg, path);
}

gboolean
kiosk_server_start (Kiosk *kiosk, const char *listen, GError **error)
{
  kiosk->server = soup_server_new ("server-header", NULL, NULL);
  http_limit_body (kiosk->server, KIOSK_BODY_MAX);
  soup_server_add_handler (kiosk->server, NULL, kiosk_dispatch, kiosk, NULL);
  return http_listen (kiosk->server, listen, error);
}
