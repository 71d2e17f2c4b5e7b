/* http: shared pieces of saferoute's HTTP servers.
 *
 * Owns the listening socket (with a real backlog), the request-body limit,
 * the security headers and the GError -> status mapping.  Handlers stay
 * small because they can rely on these: a body that reaches a handler is
 * within the limit, and every error reply looks the same. */
#include "config.h"

/* POLLRDHUP (Linux): the peer has closed its sending side. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "http.h"
#include "conf.h"
#include "envelope.h"
#include "report.h"
#include "signature.h"
#include "store.h"

static void http_watch_idle (SoupServer *server);
static void http_watch_reads (SoupServer *server);
static guint64 http_read_timeouts (SoupServer *server);

/* libsoup 3.2's listener never drops the reference g_socket_accept gives
 * it (upstream later drops it right after creating the connection), so
 * each accepted connection leaves its GSocket behind: about 350 bytes,
 * which a flood of connections turns into memory the daemon never gets
 * back.  The first request of a connection starts inside the listener's
 * accept handler, before libsoup wraps the socket in a stream, so at that
 * moment exactly two hold the socket: the listener's lost reference and
 * the connection's own.  We drop the lost one then, once per socket.  On
 * a libsoup that drops it itself the count is one, and we leave it; any
 * other count means code we have not read, and we leave that too. */
#define HTTP_SOCKET_SEEN_KEY "saferoute-http-seen"

static void
http_drop_lost_socket_ref (SoupServer *server, SoupServerMessage *msg,
                           gpointer user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket == NULL || g_object_get_data (G_OBJECT (socket), HTTP_SOCKET_SEEN_KEY))
    return;
  g_object_set_data (G_OBJECT (socket), HTTP_SOCKET_SEEN_KEY, GINT_TO_POINTER (1));
  if (soup_get_major_version () == 3 && soup_get_minor_version () == 2
      && g_atomic_int_get (&G_OBJECT (socket)->ref_count) == 2)
    g_object_unref (socket);
}

void
http_drop_lost_sockets (SoupServer *server)
{
  g_return_if_fail (SOUP_IS_SERVER (server));

  if (g_signal_handler_find (server, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                             http_drop_lost_socket_ref, NULL) == 0)
    g_signal_connect (server, "request-started",
                      G_CALLBACK (http_drop_lost_socket_ref), NULL);
}

gboolean
http_listen (SoupServer *server, const char *listen, GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  guint16 port = 0;
  GError *local = NULL;

  if (!conf_parse_listen (listen, &host, &port, error))
    return FALSE;
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "listen address %s: not a numeric IP address", listen);
      return FALSE;
    }
  socket = g_socket_new (g_inet_address_get_family (address),
                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local);
  if (socket == NULL)
    goto fail;
  socket_address = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, socket_address, TRUE, &local))
    goto fail;
  /* GLib's default backlog is 10: fine for a toy, fatal under load. */
  g_socket_set_listen_backlog (socket, HTTP_BACKLOG);
  if (!g_socket_listen (socket, &local))
    goto fail;
  /* Before the idle watch's handlers, which take references of their
   * own: one taken earlier would only make us leave the socket alone. */
  http_drop_lost_sockets (server);
  if (!soup_server_listen_socket (server, socket, 0, &local))
    goto fail;
  http_watch_idle (server);
  http_watch_reads (server);
  return TRUE;

fail:
  g_set_error (error, local->domain, local->code,
               "cannot listen on %s: %s", listen, local->message);
  g_error_free (local);
  return FALSE;
}

void
http_secure_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
}

void
http_reply_text (SoupServerMessage *msg, guint status, const char *text)
{
  g_autofree char *body = g_strconcat (text, "\n", NULL);

  http_secure_headers (msg);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_COPY, body, strlen (body));
}

void
http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  gsize length = 0;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  json_node_unref (node);
  http_secure_headers (msg);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&text),
                                    length);
}

guint
http_status_for_error (const GError *error)
{
  if (error == NULL)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  if (error->domain == REPORT_ERROR)
    return error->code == REPORT_ERROR_TOO_LARGE
             ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST;
  if (error->domain == ENVELOPE_ERROR)
    return error->code == ENVELOPE_ERROR_TOO_LARGE
             ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST;
  if (error->domain == JSON_PARSER_ERROR)
    return SOUP_STATUS_BAD_REQUEST;
  if (error->domain == SIGNATURE_ERROR)
    return SOUP_STATUS_UNAUTHORIZED;
  if (error->domain == STORE_ERROR)
    switch (error->code)
      {
      case STORE_ERROR_BUSY:
      case STORE_ERROR_FULL:
        return SOUP_STATUS_SERVICE_UNAVAILABLE;
      case STORE_ERROR_NOT_FOUND:
        return SOUP_STATUS_NOT_FOUND;
      case STORE_ERROR_STATE:
        return SOUP_STATUS_CONFLICT;
      default:
        return SOUP_STATUS_INTERNAL_SERVER_ERROR;
      }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

void
http_reply_error (SoupServerMessage *msg, const GError *error)
{
  guint status = http_status_for_error (error);

  /* A busy store frees up in a moment; a full disk waits for the
   * operator, and a client coming back every second would only add to
   * the log meanwhile. */
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After",
                                  g_error_matches (error, STORE_ERROR, STORE_ERROR_FULL)
                                  ? "60" : "1");
  /* A 500 says nothing more: its message may carry a path or an SQL error. */
  if (status >= 500)
    {
      g_warning ("internal error: %s", error ? error->message : "unknown");
      http_reply_text (msg, status, status == 503 ? "busy, try again"
                                                  : "internal error");
      return;
    }
  http_reply_text (msg, status, error->message);
}

const char *
http_body (SoupServerMessage *msg, gsize *length)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);

  /* flatten keeps its own reference in BODY, so the data stays valid for
   * the life of the message; libsoup NUL-terminates it. */
  if (length)
    *length = (gsize) body->length;
  return body->data ? body->data : "";
}

char *
http_base_url (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);
  char *url = NULL;

  if (uris != NULL)
    {
      GUri *uri = uris->data;
      const char *host = g_uri_get_host (uri);
      gboolean v6 = strchr (host, ':') != NULL;

      url = g_strdup_printf ("http://%s%s%s:%d", v6 ? "[" : "", host,
                             v6 ? "]" : "", g_uri_get_port (uri));
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

/* The body limit.  A declared length over the limit is refused before a
 * byte of the body is read; a chunked body is refused too (411): every
 * client we serve (providers, kiosks, browsers, curl) sends a length, and
 * refusing chunked bodies means none is ever buffered without bound.
 *
 * libsoup 3.2 reads the whole body even when a got-headers handler has
 * set a status (the read state is already "body" when the signal fires),
 * so a refusal there would wait for, and buffer, the very body we refuse.
 * Instead we take the connection from libsoup, write the refusal
 * ourselves, close our side for writing and discard (never store) what
 * the client still sends for a short while, so that it reads our answer
 * rather than a reset. */

#define HTTP_REFUSE_LINGER_SECONDS 2

#define HTTP_LIMIT_KEY "saferoute-http-body-limit"

typedef struct
{
  goffset max_bytes;
  guint64 too_large;        /* answered 413 */
  guint64 length_required;  /* answered 411 */
  guint64 bad_length;       /* answered 400: a malformed Content-Length */
} BodyLimit;

typedef struct
{
  GIOStream    *stream;
  GCancellable *cancellable;
  guint         timeout;
  char          buffer[4096];
} Refusal;

static void
http_refusal_done (Refusal *refusal)
{
  g_cancellable_cancel (refusal->cancellable);
  if (refusal->timeout != 0)
    g_source_remove (refusal->timeout);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_object_unref (refusal->cancellable);
  g_free (refusal);
}

static gboolean
http_refusal_timeout (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->timeout = 0;
  /* The pending read completes with G_IO_ERROR_CANCELLED and frees. */
  g_cancellable_cancel (refusal->cancellable);
  return G_SOURCE_REMOVE;
}

static void
http_refusal_drain (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || g_cancellable_is_cancelled (refusal->cancellable))
    {
      http_refusal_done (refusal);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), refusal->buffer,
                             sizeof refusal->buffer, G_PRIORITY_DEFAULT,
                             refusal->cancellable, http_refusal_drain, refusal);
}

/* FALSE when the connection was no longer libsoup's to give (already
 * taken or closed): nothing was sent. */
static gboolean
http_refuse (SoupServerMessage *msg, guint status, const char *reason)
{
  g_autofree char *response = NULL;
  GSocket *socket;
  Refusal *refusal;
  GIOStream *stream;

  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                              "Cache-Control: no-store\r\n"
                              "X-Content-Type-Options: nosniff\r\n"
                              "Connection: close\r\n\r\n%s\n",
                              status, soup_status_get_phrase (status),
                              strlen (reason) + 1, reason);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return FALSE;
  /* A few hundred bytes into a fresh connection's send buffer. */
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), response,
                             strlen (response), NULL, NULL, NULL);
  socket = g_object_get_data (G_OBJECT (stream), "GSocket");
  if (socket == NULL && G_IS_SOCKET_CONNECTION (stream))
    socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  if (socket != NULL)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);

  refusal = g_new0 (Refusal, 1);
  refusal->stream = stream;
  refusal->cancellable = g_cancellable_new ();
  refusal->timeout = g_timeout_add_seconds (HTTP_REFUSE_LINGER_SECONDS,
                                            http_refusal_timeout, refusal);
  g_input_stream_read_async (g_io_stream_get_input_stream (stream),
                             refusal->buffer, sizeof refusal->buffer,
                             G_PRIORITY_DEFAULT, refusal->cancellable,
                             http_refusal_drain, refusal);
  return TRUE;
}

static void
http_count_length (const char *name, const char *value, gpointer user_data)
{
  gboolean *valid = user_data;

  if (g_ascii_strcasecmp (name, "Content-Length") != 0)
    return;
  /* A second Content-Length (even an equal one) or anything but digits. */
  if (valid[1] || value[0] == '\0' || strspn (value, "0123456789") != strlen (value))
    valid[0] = FALSE;
  valid[1] = TRUE;
}

/* libsoup parses "Content-Length: -1" as -1 (then reads until the client
 * closes: no limit at all) and keeps the last of two Content-Length
 * headers (request smuggling); both are refused here. */
static gboolean
http_length_valid (SoupMessageHeaders *headers)
{
  gboolean valid[2] = { TRUE, FALSE };

  soup_message_headers_foreach (headers, http_count_length, valid);
  return valid[0];
}

static void
http_on_got_headers (SoupServerMessage *msg, gpointer user_data)
{
  BodyLimit *limit = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (!http_length_valid (headers))
    {
      limit->bad_length++;
      http_refuse (msg, SOUP_STATUS_BAD_REQUEST, "invalid Content-Length");
      return;
    }
  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    {
      limit->length_required++;
      http_refuse (msg, SOUP_STATUS_LENGTH_REQUIRED,
                   "request body needs a Content-Length");
      return;
    }
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > limit->max_bytes)
    {
      g_autofree char *text =
        g_strdup_printf ("request body too large (limit %" G_GOFFSET_FORMAT
                         " bytes)", limit->max_bytes);

      limit->too_large++;
      http_refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
    }
}

static void
http_on_request_started (SoupServer *server, SoupServerMessage *msg,
                         gpointer user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (http_on_got_headers),
                    user_data);
}

void
http_limit_body (SoupServer *server, goffset max_bytes)
{
  BodyLimit *limit = g_new0 (BodyLimit, 1);

  limit->max_bytes = max_bytes;
  /* The server owns LIMIT; the signal handler borrows it. */
  g_object_set_data_full (G_OBJECT (server), HTTP_LIMIT_KEY, limit, g_free);
  g_signal_connect (server, "request-started",
                    G_CALLBACK (http_on_request_started), limit);
}

guint64
http_refused_count (SoupServer *server, guint status)
{
  BodyLimit *limit = g_object_get_data (G_OBJECT (server), HTTP_LIMIT_KEY);

  if (status == SOUP_STATUS_REQUEST_TIMEOUT)
    return http_read_timeouts (server);
  if (limit == NULL)
    return 0;
  switch (status)
    {
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      return limit->too_large;
    case SOUP_STATUS_LENGTH_REQUIRED:
      return limit->length_required;
    case SOUP_STATUS_BAD_REQUEST:
      return limit->bad_length;
    default:
      return 0;
    }
}

/* Idle keep-alive connections.
 *
 * libsoup 3.2.3 (Debian 12) never closes a keep-alive connection that the
 * client closes between two requests: it reads the end of stream, drops
 * the blank message it was waiting with and forgets the connection, which
 * keeps its socket in CLOSE-WAIT for ever (fixed upstream in 3.3.0,
 * "Don't leak idle connections closed by the client").  After that no
 * public call can free the connection, and taking it with
 * soup_server_message_steal_connection crashes (libsoup dereferences the
 * message I/O it has freed).  So we must act before libsoup reads:
 *
 * - when a request finishes, we watch its socket for anything at all,
 *   from a source attached just before libsoup attaches its own watch
 *   for the next request, at the same priority: GLib dispatches the
 *   ready sources of one priority in the order they were attached, so
 *   whenever the descriptor is readable we run first and libsoup right
 *   after us, in the same round.  Not only for the end of the client's
 *   side (POLLRDHUP): a close that arrives while the kernel answers
 *   poll() can show as readable without POLLRDHUP, and libsoup would
 *   then read the end of stream before us (the soak found this; it is
 *   why a POLLRDHUP-only watch crashed under load);
 * - when we wake we look without reading (MSG_PEEK): the end of stream,
 *   or an error, and the connection is idle: we take it from libsoup
 *   (through the finished message, which still owns the connection: the
 *   server forgets it and frees it) and close it.  Bytes: the client has
 *   begun a next request, which is libsoup's to read; we stop watching
 *   the descriptor, and the request's start (request-started) ends the
 *   watch;
 * - the idle timeout runs from the end of a request until the start of
 *   the next, and covers a next request that has begun to arrive but not
 *   yet a whole line (libsoup does not count it as started).
 *
 * Stealing is safe only while libsoup still waits on the connection, and
 * one path can leave it not waiting although we still watch: a next
 * request begun and then broken by an error (a reset) before its first
 * line, which libsoup reads as the end of that connection without
 * telling anyone.  So before stealing we check that libsoup still polls
 * the descriptor; when it does not, nothing in libsoup will touch the
 * socket again and we close the descriptor ourselves (libsoup's few
 * hundred bytes for the connection stay lost, as they would without us).
 * When libsoup itself disconnects, the message reports "disconnected" and
 * we only forget our watch.
 *
 * Known limit: a client that pipelines (sends a next request before the
 * answer to the last) and then closes its sending side may see that
 * next request unanswered.  libsoup has the request in its own buffer
 * and does not poll the descriptor for it, so we close the descriptor;
 * libsoup then fails to answer on the closed socket (an error, not a
 * crash, and never another connection's descriptor: GSocket checks its
 * own closed flag).  No client we serve pipelines. */

#define HTTP_IDLE_KEY "saferoute-http-idle"

typedef struct
{
  GHashTable *idle;        /* GSocket* -> IdleConn*, owned */
  guint       timeout_ms;
} IdleWatch;

typedef struct
{
  IdleWatch         *watch;
  SoupServerMessage *msg;      /* the finished request: owns the connection */
  GSocket           *socket;
  GSource           *source;   /* IdleSource: the descriptor and the timer */
  gulong             disconnected;
} IdleConn;

/* One source per idle connection watches both its descriptor and its
 * idle deadline (the source's ready time): with hundreds of kept
 * connections (Kannel keeps 512) every source costs each round of the
 * main loop, so one, not two. */
typedef struct
{
  GSource   base;
  IdleConn *conn;
  gpointer  fd_tag;    /* NULL once a next request has begun */
} IdleSource;

static void
http_idle_conn_free (gpointer data)
{
  IdleConn *conn = data;

  g_signal_handler_disconnect (conn->msg, conn->disconnected);
  g_source_destroy (conn->source);
  g_source_unref (conn->source);
  g_object_unref (conn->msg);
  g_object_unref (conn->socket);
  g_free (conn);
}

static void
http_idle_forget (IdleWatch *watch, GSocket *socket)
{
  if (socket != NULL)
    g_hash_table_remove (watch->idle, socket);
}

/* TRUE if a source of CONTEXT polls FD.  Ours are gone by the time we
 * ask, so any left are libsoup's, and libsoup polls a connection's
 * descriptor only while that connection's message I/O exists.  (Not
 * always even then: see the pipelining limit above.) */
static gboolean
http_fd_polled (GMainContext *context, int fd)
{
  g_autofree GPollFD *many = NULL;
  GPollFD few[64];
  GPollFD *fds = few;
  gint size = G_N_ELEMENTS (few);
  gint n;

  /* NULL timeout: asking must not disturb the running iteration. */
  n = g_main_context_query (context, G_MAXINT, NULL, few, size);
  if (n > size)
    {
      size = n;
      many = g_new (GPollFD, size);
      fds = many;
      n = g_main_context_query (context, G_MAXINT, NULL, many, size);
    }
  /* Another thread may have added a descriptor in between. */
  n = MIN (n, size);
  for (gint i = 0; i < n; i++)
    if (fds[i].fd == fd)
      return TRUE;
  return FALSE;
}

/* Takes the connection from libsoup and closes it. */
static void
http_idle_close (IdleConn *conn)
{
  g_autoptr(SoupServerMessage) msg = g_object_ref (conn->msg);
  g_autoptr(GSocket) socket = g_object_ref (conn->socket);
  g_autoptr(GMainContext) context = g_main_context_ref (
    g_source_get_context (conn->source));
  g_autoptr(GIOStream) stream = NULL;

  /* Forget first: stealing emits "disconnected", whose handler would
   * free CONN in the middle of this function otherwise; and our own
   * watch must be gone before we ask who polls the descriptor. */
  http_idle_forget (conn->watch, conn->socket);
  if (http_fd_polled (context, g_socket_get_fd (socket)))
    stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  else
    g_socket_close (socket, NULL);
}

/* The descriptor is readable, or the client's side has ended or failed. */
static void
http_idle_stirred (IdleSource *source)
{
  char byte;
  gssize n = recv (g_socket_get_fd (source->conn->socket), &byte, 1,
                   MSG_PEEK | MSG_DONTWAIT);

  if (n > 0)
    {
      /* A next request, for libsoup to read (its source comes after ours
       * in the same round).  Watching on would only wake us again for
       * the same bytes; the deadline stays. */
      g_source_remove_unix_fd (&source->base, source->fd_tag);
      source->fd_tag = NULL;
      return;
    }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  http_idle_close (source->conn);
}

static gboolean
http_idle_dispatch (GSource *base, GSourceFunc callback, gpointer user_data)
{
  IdleSource *source = (IdleSource *) base;

  if (source->fd_tag != NULL && g_source_query_unix_fd (base, source->fd_tag) != 0)
    http_idle_stirred (source);
  else if (g_source_get_ready_time (base) != -1
           && g_source_get_time (base) >= g_source_get_ready_time (base))
    http_idle_close (source->conn);
  /* Closing destroys this source; otherwise it keeps watching. */
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs http_idle_source_funcs = {
  .dispatch = http_idle_dispatch,
};

static void
http_idle_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  IdleConn *conn = user_data;

  http_idle_forget (conn->watch, conn->socket);
}

static void
http_idle_begin (SoupServer *server, SoupServerMessage *msg,
                 gpointer user_data)
{
  IdleWatch *watch = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  IdleConn *conn;

  /* No socket: accepted with soup_server_accept_iostream, not ours. */
  if (socket == NULL || g_socket_is_closed (socket))
    return;
  conn = g_new0 (IdleConn, 1);
  conn->watch = watch;
  conn->msg = g_object_ref (msg);
  conn->socket = g_object_ref (socket);
  /* Attached before libsoup attaches its own watch for the next request
   * (it does so right after this signal), at the same priority: in any
   * round of the main loop where the descriptor is readable we are
   * dispatched first, and libsoup after us in the same round. */
  conn->source = g_source_new (&http_idle_source_funcs, sizeof (IdleSource));
  ((IdleSource *) conn->source)->conn = conn;
  ((IdleSource *) conn->source)->fd_tag
    = g_source_add_unix_fd (conn->source, g_socket_get_fd (socket),
                            G_IO_IN | POLLRDHUP | G_IO_HUP | G_IO_ERR);
  g_source_set_ready_time (conn->source,
                           g_get_monotonic_time ()
                           + (gint64) watch->timeout_ms * 1000);
  /* A connection libsoup does not keep (Connection: close, an error) is
   * disconnected right after this signal: we forget it then. */
  conn->disconnected = g_signal_connect (msg, "disconnected",
                                         G_CALLBACK (http_idle_disconnected),
                                         conn);
  g_hash_table_replace (watch->idle, conn->socket, conn);
  g_source_attach (conn->source, g_main_context_get_thread_default ());
}

static void
http_idle_end (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  g_autoptr(GSocketAddress) peer = NULL;

  if (socket == NULL)
    return;
  http_idle_forget (user_data, socket);
  /* Stealing asks for the peer's address, and libsoup logs a warning if
   * the peer has gone by then (reset): ask now, while it is there, so
   * that libsoup keeps the answer.  Quietly first, for the same reason. */
  peer = g_socket_get_remote_address (socket, NULL);
  if (peer != NULL)
    soup_server_message_get_remote_address (msg);
}

static void
http_idle_watch_free (gpointer data)
{
  IdleWatch *watch = data;

  g_hash_table_unref (watch->idle);
  g_free (watch);
}

static IdleWatch *
http_idle_watch (SoupServer *server)
{
  IdleWatch *watch = g_object_get_data (G_OBJECT (server), HTTP_IDLE_KEY);

  if (watch != NULL)
    return watch;
  watch = g_new0 (IdleWatch, 1);
  watch->idle = g_hash_table_new_full (NULL, NULL, NULL, http_idle_conn_free);
  watch->timeout_ms = HTTP_IDLE_TIMEOUT_MS;
  g_object_set_data_full (G_OBJECT (server), HTTP_IDLE_KEY, watch,
                          http_idle_watch_free);
  return watch;
}

static void
http_watch_idle (SoupServer *server)
{
  IdleWatch *watch = http_idle_watch (server);

  /* Once per server, however many addresses it listens on. */
  if (g_signal_handler_find (server, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                             0, 0, NULL, http_idle_begin, watch) != 0)
    return;
  /* A 500 is "aborted" but the connection may stay open all the same. */
  g_signal_connect (server, "request-finished", G_CALLBACK (http_idle_begin),
                    watch);
  g_signal_connect (server, "request-aborted", G_CALLBACK (http_idle_begin),
                    watch);
  g_signal_connect (server, "request-started", G_CALLBACK (http_idle_end),
                    watch);
}

void
http_set_idle_timeout (SoupServer *server, guint milliseconds)
{
  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (milliseconds > 0);

  http_idle_watch (server)->timeout_ms = milliseconds;
}

/* Slow requests (slowloris).
 *
 * libsoup 3.2 has no read timeout: a client that sends its headers or
 * its body a byte at a time, or stops halfway, keeps a connection and a
 * half-read request for ever, and a few hundred such clients hold every
 * descriptor the server has.  So a timer runs from the moment libsoup
 * starts a request ("request-started": on accept for a connection's
 * first request, at its first line for a next one on a kept connection;
 * the time between two requests is the idle watch's) until it has read
 * the whole request ("request-read", emitted before any handler runs).
 * If it fires first, the connection is taken from libsoup and answered
 * 408 the way the body limit answers its refusals; the half-read request
 * goes with its message.
 *
 * A handler that takes its time (paused for a group commit) is never
 * timed out: its request has been read and the timer is gone.  The timer
 * is the message's data, so it cannot outlive the message, whatever
 * path (abort, client close, steal) ends it. */

#define HTTP_READ_KEY "saferoute-http-read"
#define HTTP_READ_TIMER_KEY "saferoute-http-read-timer"

typedef struct
{
  guint   timeout_ms;
  guint64 timed_out;   /* answered 408 */
} ReadWatch;

typedef struct
{
  ReadWatch         *watch;
  SoupServerMessage *msg;      /* not a reference: MSG owns this timer */
  guint              source;
} ReadTimer;

static void
http_read_timer_free (gpointer data)
{
  ReadTimer *timer = data;

  if (timer->source != 0)
    g_source_remove (timer->source);
  g_free (timer);
}

static gboolean
http_read_expired (gpointer user_data)
{
  ReadTimer *timer = user_data;
  ReadWatch *watch = timer->watch;
  g_autoptr(SoupServerMessage) msg = g_object_ref (timer->msg);

  /* Frees TIMER (its source is this one, which ends by returning). */
  timer->source = 0;
  g_object_set_data (G_OBJECT (msg), HTTP_READ_TIMER_KEY, NULL);
  if (http_refuse (msg, SOUP_STATUS_REQUEST_TIMEOUT,
                   "request not received in time"))
    watch->timed_out++;
  return G_SOURCE_REMOVE;
}

static void
http_read_begin (SoupServer *server, SoupServerMessage *msg,
                 gpointer user_data)
{
  ReadTimer *timer = g_new0 (ReadTimer, 1);

  timer->watch = user_data;
  timer->msg = msg;
  timer->source = g_timeout_add (timer->watch->timeout_ms, http_read_expired,
                                 timer);
  g_object_set_data_full (G_OBJECT (msg), HTTP_READ_TIMER_KEY, timer,
                          http_read_timer_free);
}

static void
http_read_end (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  g_object_set_data (G_OBJECT (msg), HTTP_READ_TIMER_KEY, NULL);
}

/* The default can be lowered for a whole process through the environment
 * (SAFEROUTE_HTTP_READ_TIMEOUT_MS), so that tests of the real programs
 * need not wait 30 s; it is not a configuration key because no operator
 * should need it. */
static ReadWatch *
http_read_watch (SoupServer *server)
{
  ReadWatch *watch = g_object_get_data (G_OBJECT (server), HTTP_READ_KEY);
  const char *env = g_getenv ("SAFEROUTE_HTTP_READ_TIMEOUT_MS");
  guint64 ms = 0;

  if (watch != NULL)
    return watch;
  watch = g_new0 (ReadWatch, 1);
  watch->timeout_ms = HTTP_READ_TIMEOUT_MS;
  if (env != NULL
      && g_ascii_string_to_unsigned (env, 10, 1, HTTP_READ_TIMEOUT_MS, &ms, NULL))
    watch->timeout_ms = (guint) ms;
  g_object_set_data_full (G_OBJECT (server), HTTP_READ_KEY, watch, g_free);
  return watch;
}

static void
http_watch_reads (SoupServer *server)
{
  ReadWatch *watch = http_read_watch (server);

  /* Once per server, however many addresses it listens on. */
  if (g_signal_handler_find (server, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                             0, 0, NULL, http_read_begin, watch) != 0)
    return;
  g_signal_connect (server, "request-started", G_CALLBACK (http_read_begin),
                    watch);
  g_signal_connect (server, "request-read", G_CALLBACK (http_read_end), watch);
}

static guint64
http_read_timeouts (SoupServer *server)
{
  ReadWatch *watch = g_object_get_data (G_OBJECT (server), HTTP_READ_KEY);

  return watch != NULL ? watch->timed_out : 0;
}

void
http_set_read_timeout (SoupServer *server, guint milliseconds)
{
  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (milliseconds > 0);

  http_read_watch (server)->timeout_ms = milliseconds;
}
