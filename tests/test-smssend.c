/* Outbound texts through the providers' send APIs, against a real libsoup
 * server on loopback (run on its own thread: smssend_text blocks):
 * Twilio gets a form POST with basic auth to its Messages resource;
 * Kannel's sendsms gets coding=2&charset=UTF-8 for Urdu and nothing extra
 * for ASCII; 4xx is "refused", 5xx and no answer are "try again";
 * remote http:// is refused outright. */
#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "http.h"
#include "smssend.h"

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *base;
  GMutex        lock;
  GCond         ready;
  guint         status;       /* to answer */
  char         *method;       /* last request */
  char         *path;
  char         *query;
  char         *body;
  char         *authorization;
} Peer;

static void
peer_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
              GHashTable *query, gpointer user_data)
{
  Peer *peer = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);

  g_mutex_lock (&peer->lock);
  g_free (peer->method);
  g_free (peer->path);
  g_free (peer->query);
  g_free (peer->body);
  g_free (peer->authorization);
  peer->method = g_strdup (soup_server_message_get_method (msg));
  peer->path = g_strdup (path);
  peer->query = g_strdup (g_uri_get_query (uri));
  peer->body = g_strndup (body->data, body->length);
  peer->authorization = g_strdup (soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "Authorization"));
  soup_server_message_set_status (msg, peer->status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "x", 1);
  g_mutex_unlock (&peer->lock);
}

static gpointer
peer_thread (gpointer data)
{
  Peer *peer = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (peer->context);
  peer->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (peer->server, NULL, peer_handler, peer, NULL);
  http_drop_lost_sockets (peer->server);
  soup_server_listen_local (peer->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (peer->server);
  g_mutex_lock (&peer->lock);
  peer->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&peer->ready);
  g_mutex_unlock (&peer->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (peer->loop);
  g_object_unref (peer->server);
  g_main_context_pop_thread_default (peer->context);
  return NULL;
}

static Peer *
peer_start (void)
{
  Peer *peer = g_new0 (Peer, 1);

  g_mutex_init (&peer->lock);
  g_cond_init (&peer->ready);
  peer->status = 201;
  peer->context = g_main_context_new ();
  peer->loop = g_main_loop_new (peer->context, FALSE);
  g_mutex_lock (&peer->lock);
  peer->thread = g_thread_new ("peer", peer_thread, peer);
  while (peer->base == NULL)
    g_cond_wait (&peer->ready, &peer->lock);
  g_mutex_unlock (&peer->lock);
  return peer;
}

static gboolean
peer_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
peer_stop (Peer *peer)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, peer_quit, peer->loop, NULL);
  g_source_attach (source, peer->context);
  g_source_unref (source);
  g_thread_join (peer->thread);
  g_main_loop_unref (peer->loop);
  g_main_context_unref (peer->context);
  g_free (peer->base);
  g_free (peer->method);
  g_free (peer->path);
  g_free (peer->query);
  g_free (peer->body);
  g_free (peer->authorization);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->ready);
  g_free (peer);
}

static void
test_twilio (void)
{
  Peer *peer = peer_start ();
  SmsSendConfig config = { "twilio", peer->base, "AC123", "tok", "+447700900000" };
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_auth = NULL;
  g_autofree char *b64 = g_base64_encode ((const guchar *) "AC123:tok", 9);

  g_assert_true (smssend_text (&config, "+447700900123",
                               "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 & hi", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (peer->method, ==, "POST");
  g_assert_cmpstr (peer->path, ==, "/2010-04-01/Accounts/AC123/Messages.json");
  g_assert_cmpstr (peer->body, ==,
                   "To=%2B447700900123&From=%2B447700900000"
                   "&Body=%D8%B3%D9%84%D8%A7%D9%85%20%26%20hi");
  expected_auth = g_strconcat ("Basic ", b64, NULL);
  g_assert_cmpstr (peer->authorization, ==, expected_auth);

  peer->status = 400;
  g_assert_false (smssend_text (&config, "+447700900123", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_REFUSED);
  g_clear_error (&error);
  peer->status = 503;
  g_assert_false (smssend_text (&config, "+447700900123", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_TRANSPORT);
  g_clear_error (&error);
  peer->status = 429;
  g_assert_false (smssend_text (&config, "+447700900123", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_TRANSPORT);
  peer_stop (peer);
}

static void
test_kannel (void)
{
  Peer *peer = peer_start ();
  g_autofree char *url = g_strconcat (peer->base, "/cgi-bin/sendsms", NULL);
  SmsSendConfig config = { "kannel", url, "user", "p&ss", "60000" };
  g_autoptr(GError) error = NULL;

  peer->status = 202;
  g_assert_true (smssend_text (&config, "447700900123", "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (peer->method, ==, "GET");
  g_assert_cmpstr (peer->path, ==, "/cgi-bin/sendsms");
  g_assert_cmpstr (peer->query, ==,
                   "username=user&password=p%26ss&from=60000&to=447700900123"
                   "&text=%D8%B3%D9%84%D8%A7%D9%85&coding=2&charset=UTF-8");
  g_assert_true (smssend_text (&config, "447700900123", "plain text", &error));
  g_assert_cmpstr (peer->query, ==,
                   "username=user&password=p%26ss&from=60000&to=447700900123"
                   "&text=plain%20text");
  peer_stop (peer);
}

static void
test_refused_config (void)
{
  SmsSendConfig remote = { "kannel", "http://192.0.2.1/cgi-bin/sendsms", "u", "p", "1" };
  SmsSendConfig none = { NULL, NULL, NULL, NULL, NULL };
  SmsSendConfig unknown = { "carrier-pigeon", "https://example.org", "u", "p", "1" };
  GError *error = NULL;

  g_assert_false (smssend_text (&remote, "1", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_false (smssend_text (&none, "1", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_false (smssend_text (&unknown, "1", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_CONFIG);
  g_clear_error (&error);
}

static void
test_no_answer (void)
{
  GSocket *socket;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;
  SmsSendConfig config = { "twilio", NULL, "AC1", "t", "+1" };

  /* A port that was free a moment ago: nothing listens there. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_socket_bind (socket, any, FALSE, NULL);
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_object_unref (socket);
  config.url = url;
  g_assert_false (smssend_text (&config, "+2", "x", &error));
  g_assert_error (error, SMSSEND_ERROR, SMSSEND_ERROR_TRANSPORT);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/smssend/twilio", test_twilio);
  g_test_add_func ("/smssend/kannel", test_kannel);
  g_test_add_func ("/smssend/refused-config", test_refused_config);
  g_test_add_func ("/smssend/no-answer", test_no_answer);
  return g_test_run ();
}
