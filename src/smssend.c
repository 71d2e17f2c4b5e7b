/* smssend: one outbound text through Twilio's Messages API or Kannel's
 * sendsms (see smssend.h).
 *
 * Owns nothing between calls.  The phone number and the text travel only
 * to the configured provider, over TLS unless the provider is on this
 * machine; neither is logged.  Fails with SMSSEND_ERROR_TRANSPORT (the
 * caller keeps the outbox entry and tries again) or _REFUSED (a 4xx:
 * trying again will not help). */
#include "config.h"

#include <string.h>
#include <curl/curl.h>

#include "smssend.h"

G_DEFINE_QUARK (saferoute-smssend-error-quark, smssend_error)

#define SMSSEND_TIMEOUT_SECONDS 20

void
smssend_config_clear (SmsSendConfig *config)
{
  g_clear_pointer (&config->provider, g_free);
  g_clear_pointer (&config->url, g_free);
  g_clear_pointer (&config->account, g_free);
  g_clear_pointer (&config->secret, g_free);
  g_clear_pointer (&config->from, g_free);
}

static gboolean
smssend_url_allowed (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (uri == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0)
    return TRUE;
  host = g_uri_get_host (uri);
  return g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 && host != NULL
         && (strcmp (host, "127.0.0.1") == 0 || strcmp (host, "localhost") == 0
             || strcmp (host, "::1") == 0);
}

static size_t
smssend_discard (char *data, size_t size, size_t n, void *user_data)
{
  return size * n;
}

static char *
smssend_escape (CURL *curl, const char *text)
{
  char *escaped = curl_easy_escape (curl, text, 0);
  char *copy = g_strdup (escaped);

  curl_free (escaped);
  return copy;
}

static gboolean
smssend_has_non_ascii (const char *text)
{
  for (const char *p = text; *p; p++)
    if ((guchar) *p >= 0x80)
      return TRUE;
  return FALSE;
}

gboolean
smssend_text (const SmsSendConfig *config, const char *to, const char *text,
              GError **error)
{
  CURL *curl;
  CURLcode rc;
  long status = 0;
  g_autofree char *url = NULL;
  g_autofree char *post = NULL;
  g_autofree char *e_to = NULL, *e_from = NULL, *e_text = NULL;
  g_autofree char *e_user = NULL, *e_pass = NULL;
  char curl_error[CURL_ERROR_SIZE] = "";

  g_return_val_if_fail (config != NULL && to != NULL && text != NULL, FALSE);

  if (config->provider == NULL || config->url == NULL || config->from == NULL
      || !smssend_url_allowed (config->url))
    {
      g_set_error (error, SMSSEND_ERROR, SMSSEND_ERROR_CONFIG,
                   "outbound SMS is not configured (or its URL is neither "
                   "https nor loopback)");
      return FALSE;
    }
  curl = curl_easy_init ();
  if (curl == NULL)
    {
      g_set_error (error, SMSSEND_ERROR, SMSSEND_ERROR_TRANSPORT, "curl_easy_init failed");
      return FALSE;
    }
  e_to = smssend_escape (curl, to);
  e_from = smssend_escape (curl, config->from);
  e_text = smssend_escape (curl, text);
  e_user = smssend_escape (curl, config->account ? config->account : "");
  e_pass = smssend_escape (curl, config->secret ? config->secret : "");

  if (strcmp (config->provider, "twilio") == 0)
    {
      url = g_strdup_printf ("%s/2010-04-01/Accounts/%s/Messages.json",
                             config->url, e_user);
      post = g_strdup_printf ("To=%s&From=%s&Body=%s", e_to, e_from, e_text);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, post);
      curl_easy_setopt (curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (curl, CURLOPT_USERNAME, config->account ? config->account : "");
      curl_easy_setopt (curl, CURLOPT_PASSWORD, config->secret ? config->secret : "");
    }
  else if (strcmp (config->provider, "kannel") == 0)
    {
      /* Kannel converts from the charset we name into UCS-2 when told
       * coding=2; without it non-Latin text becomes "?????". */
      url = g_strdup_printf ("%s%susername=%s&password=%s&from=%s&to=%s&text=%s%s",
                             config->url, strchr (config->url, '?') ? "&" : "?",
                             e_user, e_pass, e_from, e_to, e_text,
                             smssend_has_non_ascii (text)
                               ? "&coding=2&charset=UTF-8" : "");
    }
  else
    {
      curl_easy_cleanup (curl);
      g_set_error (error, SMSSEND_ERROR, SMSSEND_ERROR_CONFIG,
                   "unknown SMS provider %s", config->provider);
      return FALSE;
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) SMSSEND_TIMEOUT_SECONDS);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, smssend_discard);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);

  if (rc != CURLE_OK)
    {
      g_set_error (error, SMSSEND_ERROR, SMSSEND_ERROR_TRANSPORT, "%s: %s",
                   config->provider, curl_error[0] ? curl_error : curl_easy_strerror (rc));
      return FALSE;
    }
  if (status >= 200 && status < 300)
    return TRUE;
  g_set_error (error, SMSSEND_ERROR,
               status >= 400 && status < 500 && status != 408 && status != 429
                 ? SMSSEND_ERROR_REFUSED : SMSSEND_ERROR_TRANSPORT,
               "%s answered HTTP %ld", config->provider, status);
  return FALSE;
}
