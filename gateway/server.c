/* server: the gateway's one route table and its dispatcher.
 *
 * Every endpoint is one line below: method, path pattern, handler.  A "*"
 * segment matches any one non-empty path segment and is passed to the
 * handler, unescaped, in PARAMS.  A path that some route matches with
 * another method is answered 405 (with Allow); any other path 404.  HEAD
 * is served by the GET handler (libsoup drops the body). */
#include "config.h"

#include <string.h>

#include "gateway.h"
#include "http.h"

typedef struct
{
  const char     *method;
  const char     *pattern;
  GatewayHandler  handler;
} GatewayRoute;

static const GatewayRoute gateway_routes[] = {
  { "GET",  "/healthz",                        health_get },
  { "GET",  "/metrics",                        metrics_get },
  { "GET",  "/api/v1/partner/envelopes",       api_partner_list },
  { "POST", "/api/v1/partner/envelopes/*/ack", api_partner_ack },
  { "GET",  "/",                               web_page },
  { "GET",  "/report",                         web_page },
  { "POST", "/report",                         web_page },
  { "GET",  "/*/",                             web_page },
  { "GET",  "/*/report",                       web_page },
  { "POST", "/*/report",                       web_page },
  { "GET",  "/*/explain/*",                    web_page },
  { "GET",  "/*/idle",                         web_page },
  { "GET",  "/exit",                           web_page },
  { "POST", "/exit",                           web_page },
  { "GET",  "/timeout",                        web_page },
  { "POST", "/done",                           web_page },
  { "POST", "/keepalive",                      web_page },
  { "POST", "/text-size",                      web_page },
  { "GET",  "/assets/*",                       web_page },
  { "GET",  "/assets/fonts/*",                 web_page },
  { "POST", "/api/v1/envelopes",               api_relay_post },
  { "POST", "/sms/twilio",                     sms_twilio_post },
  { "GET",  "/sms/kannel",                     sms_kannel },
  { "POST", "/sms/kannel",                     sms_kannel },
  { "POST", "/sms/inbound",                    sms_inbound_post },
};

#define GATEWAY_MAX_PARAMS 4

/* Matches PATH (still percent-encoded) against PATTERN; fills PARAMS with
 * newly allocated unescaped segments for each "*". */
static gboolean
server_match (const char *pattern, const char *path,
              char *params[GATEWAY_MAX_PARAMS + 1])
{
  guint n_params = 0;
  const char *want = pattern, *have = path;

  /* Segment by segment in place: splitting both strings for every route
   * and every request was a twentieth of the gateway's time under load. */
  for (;;)
    {
      gsize want_len = strcspn (want, "/");
      gsize have_len = strcspn (have, "/");

      if (want_len == 1 && want[0] == '*')
        {
          g_autofree char *escaped = NULL;
          char *segment;

          if (have_len == 0 || n_params == GATEWAY_MAX_PARAMS)
            goto nomatch;
          /* An escaped "/" inside a segment is not a segment. */
          escaped = g_strndup (have, have_len);
          segment = g_uri_unescape_string (escaped, "/");
          if (segment == NULL)
            goto nomatch;
          params[n_params++] = segment;
        }
      else if (want_len != have_len || memcmp (want, have, want_len) != 0)
        goto nomatch;
      want += want_len;
      have += have_len;
      if (*want == '\0' || *have == '\0')
        break;
      want++;
      have++;
    }
  /* Both must end together: as many segments on each side. */
  if (*want != '\0' || *have != '\0')
    goto nomatch;
  params[n_params] = NULL;
  return TRUE;

nomatch:
  for (guint i = 0; i < n_params; i++)
    g_free (params[i]);
  params[0] = NULL;
  return FALSE;
}

static void
server_dispatch (SoupServer *server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
  Gateway *gateway = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);

  if (g_str_equal (method, "HEAD"))
    method = "GET";
  for (gsize i = 0; i < G_N_ELEMENTS (gateway_routes); i++)
    {
      const GatewayRoute *route = &gateway_routes[i];
      char *params[GATEWAY_MAX_PARAMS + 1] = { NULL };

      if (!server_match (route->pattern, path, params))
        continue;
      if (g_str_equal (route->method, method))
        {
          route->handler (gateway, msg, (const char *const *) params);
          for (guint j = 0; params[j] != NULL; j++)
            g_free (params[j]);
          return;
        }
      for (guint j = 0; params[j] != NULL; j++)
        g_free (params[j]);
      if (strstr (allow->str, route->method) == NULL)
        g_string_append_printf (allow, "%s%s", allow->len ? ", " : "",
                                route->method);
    }
  if (allow->len > 0)
    {
      if (strstr (allow->str, "GET") != NULL)
        g_string_append (allow, ", HEAD");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", allow->str);
      http_reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       "method not allowed");
      return;
    }
  http_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
}

static void
server_count_reply (SoupServer *server, SoupServerMessage *msg,
                    gpointer user_data)
{
  Gateway *gateway = user_data;
  guint status = soup_server_message_get_status (msg);

  if (status < GATEWAY_HTTP_CODES)
    gateway->http_replies[status]++;
}

void
gateway_server_install (Gateway *gateway, SoupServer *server)
{
  g_return_if_fail (gateway != NULL);
  g_return_if_fail (SOUP_IS_SERVER (server));

  gateway->server = server;
  soup_server_add_handler (server, NULL, server_dispatch, gateway, NULL);
  g_signal_connect (server, "request-finished",
                    G_CALLBACK (server_count_reply), gateway);
}

char *
gateway_query_param (SoupServerMessage *msg, const char *name)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) params = NULL;

  if (query == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, name));
}
