/* page: the inbox's local web page, GET / and GET /reports/ID.
 *
 * It shows opened reports, so it is served to loopback clients only (the
 * webhook may face the network through a proxy; the page never does), with
 * every value HTML-escaped, no script, a CSP that allows only our own
 * stylesheet, and no-store.  Nothing here writes. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "inbox.h"
#include "http.h"

#define PAGE_CSP "default-src 'none'; style-src 'self'"

/* Loaded from /inbox.css: inline styles would need 'unsafe-inline'. */
static const char page_css[] =
  "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;"
  "color:#111;background:#fff;line-height:1.5}\n"
  "table{border-collapse:collapse;width:100%}\n"
  "th,td{border:1px solid #888;padding:.3rem .5rem;text-align:start;"
  "vertical-align:top}\n"
  "thead th{background:#eee}\n"
  "a{color:#0645ad}\n"
  "a:focus{outline:3px solid #000}\n";

gboolean
inbox_page_client_allowed (GSocketAddress *remote)
{
  GInetAddress *address;

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (g_inet_address_get_is_loopback (address))
    return TRUE;
  /* A dual-stack socket sees 127.0.0.1 as ::ffff:127.0.0.1, which GLib
   * does not call loopback. */
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (address);
      static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0xff, 0xff };

      return memcmp (b, mapped, sizeof mapped) == 0 && b[12] == 127;
    }
  return FALSE;
}

static void
page_escape (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);

  g_string_append (out, escaped);
}

/* Escaped, with each line break kept as <br>. */
static void
page_escape_lines (GString *out, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, "<br>\n");
      page_escape (out, lines[i]);
    }
}

static void
page_begin (GString *out, const char *title)
{
  /* TRANSLATORS: the HTML lang code of this translation ("en" in English). */
  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"");
  page_escape (out, C_("html lang", "en"));
  g_string_append (out, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width\">\n"
                        "<meta name=\"referrer\" content=\"no-referrer\">\n"
                        "<title>");
  page_escape (out, title);
  g_string_append (out, "</title>\n<link rel=\"stylesheet\" href=\"/inbox.css\">\n"
                        "</head>\n<body>\n<main>\n<h1>");
  page_escape (out, title);
  g_string_append (out, "</h1>\n");
}

static void
page_end (GString *out)
{
  g_string_append (out, "</main>\n</body>\n</html>\n");
}

static void
page_reply (SoupServerMessage *msg, guint status, const char *type,
            GString *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize length = body->len;

  http_secure_headers (msg);
  soup_message_headers_replace (headers, "Content-Security-Policy", PAGE_CSP);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), length);
}

static void
page_reply_html (SoupServerMessage *msg, guint status, GString *body)
{
  page_reply (msg, status, "text/html; charset=utf-8", body);
}

/* One labelled row; a reference code goes in <bdi> so that it keeps its
 * order inside right-to-left text. */
static void
page_row (GString *out, const char *label, const char *value, gboolean isolate)
{
  g_string_append (out, "<tr><th scope=\"row\">");
  page_escape (out, label);
  /* dir=auto: a message in Urdu or Arabic reads right to left. */
  g_string_append (out, "</th><td dir=\"auto\">");
  if (isolate)
    {
      g_string_append (out, "<bdi>");
      page_escape (out, value);
      g_string_append (out, "</bdi>");
    }
  else
    page_escape_lines (out, value);
  g_string_append (out, "</td></tr>\n");
}

static void
page_list (Inbox *inbox, SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = inbox_store_list (inbox->store, &error);
  GString *out;

  if (entries == NULL)
    {
      http_reply_error (msg, error);
      return;
    }
  out = g_string_new (NULL);
  /* TRANSLATORS: title of the partner inbox's list of reports. */
  page_begin (out, _("Reports received"));
  if (entries->len == 0)
    {
      g_string_append (out, "<p>");
      page_escape (out, _("No reports yet."));
      g_string_append (out, "</p>\n");
      page_end (out);
      page_reply_html (msg, SOUP_STATUS_OK, out);
      return;
    }
  g_string_append (out, "<table>\n<caption>");
  page_escape (out, _("Newest first. Open a reference code to read the report."));
  g_string_append (out, "</caption>\n<thead>\n<tr>");
  {
    const char *headings[] = { _("Reference code"), _("Received"),
                               _("Category"), _("Language"),
                               _("Contact method") };

    for (guint i = 0; i < G_N_ELEMENTS (headings); i++)
      {
        g_string_append (out, "<th scope=\"col\">");
        page_escape (out, headings[i]);
        g_string_append (out, "</th>");
      }
  }
  g_string_append (out, "</tr>\n</thead>\n<tbody>\n");
  for (guint i = 0; i < entries->len; i++)
    {
      InboxEntry *entry = entries->pdata[i];
      g_autofree char *id = g_uri_escape_string (entry->id, NULL, FALSE);
      g_autofree char *received = report_format_time (entry->received_at);

      g_string_append (out, "<tr><th scope=\"row\"><a href=\"/reports/");
      page_escape (out, id);
      g_string_append (out, "\"><bdi>");
      page_escape (out, entry->ref);
      g_string_append (out, "</bdi></a></th><td>");
      page_escape (out, received);
      g_string_append (out, "</td><td>");
      page_escape (out, entry->category);
      g_string_append (out, "</td><td>");
      page_escape (out, entry->language);
      g_string_append (out, "</td><td>");
      page_escape (out, entry->contact_method);
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</tbody>\n</table>\n");
  page_end (out);
  page_reply_html (msg, SOUP_STATUS_OK, out);
}

static void
page_report (Inbox *inbox, SoupServerMessage *msg, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InboxEntry) entry = inbox_store_get (inbox->store, id, &error);
  g_autoptr(Report) report = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  g_autofree char *received = NULL;
  g_autofree char *title = NULL;
  GString *out;

  if (entry == NULL)
    {
      guint status = inbox_status_for_error (error);

      out = g_string_new (NULL);
      page_begin (out, _("Report not found"));
      g_string_append (out, "<p><a href=\"/\">");
      page_escape (out, _("Back to the list"));
      g_string_append (out, "</a></p>\n");
      page_end (out);
      if (status >= 500)
        {
          g_string_free (out, TRUE);
          http_reply_error (msg, error);
          return;
        }
      page_reply_html (msg, status, out);
      return;
    }
  report = report_from_json (entry->report_json, -1, &error);
  if (report == NULL)
    {
      g_warning ("delivery %s ref %s: stored report does not parse",
                 entry->id, entry->ref);
      http_reply_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
      return;
    }
  fields = inbox_report_fields (report);
  received = report_format_time (entry->received_at);
  /* TRANSLATORS: page title; %s is a reference code like K7QM-4XPA. */
  title = g_strdup_printf (_("Report %s"), entry->ref);
  out = g_string_new (NULL);
  page_begin (out, title);
  g_string_append (out, "<p><a href=\"/\">");
  page_escape (out, _("Back to the list"));
  g_string_append (out, "</a></p>\n<table>\n<tbody>\n");
  page_row (out, _("Received"), received, FALSE);
  for (guint i = 0; i < fields->len; i++)
    {
      InboxField *field = fields->pdata[i];

      page_row (out, field->label, field->value,
                g_strcmp0 (field->value, report->ref) == 0);
    }
  g_string_append (out, "</tbody>\n</table>\n");
  page_end (out);
  page_reply_html (msg, SOUP_STATUS_OK, out);
}

static void
page_handle (SoupServer *server, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer user_data)
{
  Inbox *inbox = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (soup_server_message_get_status (msg) != 0)
    return;
  if (!inbox_page_client_allowed (soup_server_message_get_remote_address (msg)))
    {
      http_reply_text (msg, SOUP_STATUS_FORBIDDEN,
                       "the inbox page is served to this machine only");
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      http_reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       "method not allowed: use GET");
      return;
    }
  if (strcmp (path, "/") == 0)
    page_list (inbox, msg);
  else if (g_str_has_prefix (path, "/reports/") && path[9] != '\0'
           && strchr (path + 9, '/') == NULL)
    {
      g_autofree char *id = g_uri_unescape_string (path + 9, "/");

      if (id == NULL)
        http_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
      else
        page_report (inbox, msg, id);
    }
  else if (strcmp (path, "/inbox.css") == 0)
    {
      GString *css = g_string_new (page_css);

      page_reply (msg, SOUP_STATUS_OK, "text/css; charset=utf-8", css);
    }
  else
    http_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
}

void
inbox_page_register (Inbox *inbox, SoupServer *server)
{
  soup_server_add_handler (server, "/", page_handle, inbox, NULL);
}
