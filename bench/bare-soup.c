/* bare-soup: the ceiling for bench/sms.sh.  A libsoup server set up as the
 * gateway's is (same listening socket and backlog, same body limit, same
 * security headers) that answers every request with a fixed TwiML reply:
 * what the gateway would do if signature, conversation and the durable
 * commit cost nothing.  Usage: bare-soup ADDR:PORT */
#include "config.h"

#include <string.h>
#include <glib-unix.h>

#include "http.h"

static const char reply[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Message>Hello. "
  "Reply with a number to choose your language</Message></Response>\n";

static void
bare_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
              GHashTable *query, gpointer user_data)
{
  gsize length = 0;

  (void) http_body (msg, &length);
  http_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml; charset=utf-8",
                                    SOUP_MEMORY_STATIC, reply, strlen (reply));
}

static gboolean
bare_quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: bare-soup ADDR:PORT\n");
      return 2;
    }
  http_limit_body (server, 131072);
  soup_server_add_handler (server, NULL, bare_handler, NULL, NULL);
  if (!http_listen (server, argv[1], &error))
    {
      g_printerr ("bare-soup: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, bare_quit, loop);
  g_unix_signal_add (SIGINT, bare_quit, loop);
  g_main_loop_run (loop);
  return 0;
}
