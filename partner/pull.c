/* pull: fetch envelopes from the gateway's partner API and acknowledge.
 *
 *   GET  GATEWAY/api/v1/partner/envelopes          (Authorization: Bearer)
 *   POST GATEWAY/api/v1/partner/envelopes/ID/ack
 *
 * Each envelope is opened and committed (inbox_receive) before its ack is
 * sent, so a crash between the two only means the gateway offers it again
 * and the store answers "duplicate" (acknowledged then).  An envelope that
 * is refused (another partner's, does not open) is not acknowledged: it
 * stays at the gateway for a human.  One blocking libcurl easy handle:
 * this is a command, not a server. */
#include "config.h"

#include <string.h>
#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "inbox.h"
#include "partner.h"

#define PULL_RESPONSE_MAX (64 * 1024 * 1024)
#define PULL_TIMEOUT_SECONDS 60L

typedef struct
{
  GString *body;
  gboolean too_large;
} PullBuffer;

static size_t
pull_on_data (char *data, size_t size, size_t nmemb, void *user_data)
{
  PullBuffer *buffer = user_data;
  gsize n = size * nmemb;

  if (buffer->body->len + n > PULL_RESPONSE_MAX)
    {
      buffer->too_large = TRUE;
      return 0;
    }
  g_string_append_len (buffer->body, data, (gssize) n);
  return n;
}

/* One request; returns the HTTP status (0 on transport failure). */
static long
pull_request (Inbox *inbox, const char *url, gboolean post, GString *body,
              GError **error)
{
  g_autofree char *auth = g_strconcat ("Authorization: Bearer ",
                                       inbox->pull_token, NULL);
  struct curl_slist *headers = NULL;
  char curl_error[CURL_ERROR_SIZE] = "";
  PullBuffer buffer = { body, FALSE };
  CURL *curl;
  CURLcode rc;
  long status = 0;

  curl = curl_easy_init ();
  if (curl == NULL)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL, "curl_easy_init failed");
      return 0;
    }
  headers = curl_slist_append (headers, auth);
  headers = curl_slist_append (headers, "Accept: application/json");
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, PULL_TIMEOUT_SECONDS);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, pull_on_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &buffer);
  if (post)
    {
      curl_easy_setopt (curl, CURLOPT_POST, 1L);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, 0L);
    }
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  else
    g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL, "%s: %s", url,
                 buffer.too_large ? "response too large"
                 : curl_error[0] ? curl_error : curl_easy_strerror (rc));
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  return status;
}

/* The list may be a bare array or {"envelopes":[...]}, and each item an
 * envelope or {"envelope": {...} | "..."}: accept every shape rather than
 * fail on a gateway that wraps differently. */
static JsonArray *
pull_envelope_array (JsonNode *root)
{
  if (JSON_NODE_HOLDS_ARRAY (root))
    return json_node_get_array (root);
  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);
      JsonNode *member = json_object_get_member (object, "envelopes");

      if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
        return json_node_get_array (member);
    }
  return NULL;
}

static char *
pull_item_json (JsonNode *item)
{
  if (JSON_NODE_HOLDS_OBJECT (item))
    {
      JsonObject *object = json_node_get_object (item);
      JsonNode *inner = json_object_get_member (object, "envelope");

      if (inner != NULL && JSON_NODE_HOLDS_VALUE (inner)
          && json_node_get_value_type (inner) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (inner));
      if (inner != NULL && JSON_NODE_HOLDS_OBJECT (inner))
        return json_to_string (inner, FALSE);
      return json_to_string (item, FALSE);
    }
  if (JSON_NODE_HOLDS_VALUE (item)
      && json_node_get_value_type (item) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (item));
  return NULL;
}

static gboolean
pull_ack (Inbox *inbox, const char *base, const char *id, GError **error)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *url = g_strconcat (base, "/api/v1/partner/envelopes/",
                                      escaped, "/ack", NULL);
  g_autoptr(GString) body = g_string_new (NULL);
  long status = pull_request (inbox, url, TRUE, body, error);

  if (status == 0)
    return FALSE;
  if (status < 200 || status > 299)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL,
                   "ack of %s: gateway answered %ld", id, status);
      return FALSE;
    }
  return TRUE;
}

/* One page of the list: receive and ack each.  *N_ITEMS is the page size,
 * *N_FAILED the items left at the gateway. */
static gboolean
pull_page (Inbox *inbox, const char *base, guint *n_items, guint *stored,
           guint *duplicates, guint *n_failed, GError **error)
{
  g_autofree char *url = g_strconcat (base, "/api/v1/partner/envelopes", NULL);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;
  long status;

  *n_items = 0;
  *n_failed = 0;
  status = pull_request (inbox, url, FALSE, body, error);
  if (status == 0)
    return FALSE;
  if (status != 200)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL,
                   "%s: gateway answered %ld", url, status);
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, body->str, (gssize) body->len, error))
    return FALSE;
  array = pull_envelope_array (json_parser_get_root (parser));
  if (array == NULL)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL,
                   "%s: not a list of envelopes", url);
      return FALSE;
    }
  *n_items = json_array_get_length (array);
  for (guint i = 0; i < *n_items; i++)
    {
      g_autofree char *json = pull_item_json (json_array_get_element (array, i));
      g_autoptr(Envelope) envelope = NULL;
      g_autoptr(GError) local = NULL;
      gboolean duplicate = FALSE;

      if (json != NULL)
        envelope = envelope_from_json (json, -1, &local);
      if (envelope == NULL)
        {
          g_warning ("pull: item %u is not an envelope", i);
          (*n_failed)++;
          continue;
        }
      if (!inbox_receive (inbox, envelope, "pull", &duplicate, &local))
        {
          /* Our own reasons only: a report error could quote the report. */
          g_warning ("pull: delivery %s ref %s refused: %s", envelope->id,
                     envelope->ref,
                     local->domain == INBOX_ERROR || local->domain == SEAL_ERROR
                       ? local->message : "invalid report");
          (*n_failed)++;
          continue;
        }
      /* Committed: now, and only now, tell the gateway. */
      if (!pull_ack (inbox, base, envelope->id, &local))
        {
          g_warning ("pull: %s", local->message);
          (*n_failed)++;
          continue;
        }
      if (duplicate)
        (*duplicates)++;
      else
        (*stored)++;
    }
  return TRUE;
}

/* The gateway returns a page at a time (oldest first) and keeps what is
 * not acknowledged: ask again while a page brought something new, and
 * stop at a page whose items all stay (refused ones come back forever). */
#define PULL_MAX_PAGES 1000

gboolean
inbox_pull (Inbox *inbox, guint *n_stored, guint *n_duplicate, GError **error)
{
  g_autofree char *base = NULL;
  guint stored = 0, duplicates = 0, failed = 0;
  guint n_items = 0, n_failed = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (inbox != NULL, FALSE);
  if (inbox->gateway_url == NULL || inbox->pull_token == NULL)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL,
                   "pull needs gateway_url and pull_token in [inbox]");
      return FALSE;
    }
  /* The same rule as for deliveries: TLS, or plain HTTP to this machine. */
  if (!partner_url_allowed (inbox->gateway_url, error))
    return FALSE;
  base = g_strdup (inbox->gateway_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  for (guint page = 0; page < PULL_MAX_PAGES; page++)
    {
      ok = pull_page (inbox, base, &n_items, &stored, &duplicates, &n_failed,
                      error);
      failed = MAX (failed, n_failed);
      if (!ok || n_items == 0 || n_failed == n_items)
        break;
    }
  if (n_stored)
    *n_stored = stored;
  if (n_duplicate)
    *n_duplicate = duplicates;
  if (ok && failed > 0)
    {
      g_set_error (error, INBOX_ERROR, INBOX_ERROR_PULL,
                   "%u envelopes were not stored and acknowledged "
                   "(they stay at the gateway)", failed);
      return FALSE;
    }
  return ok;
}
