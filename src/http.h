/* http: what every saferoute HTTP server shares (gateway, kiosk, inbox).
 *
 * - A listening socket with a real backlog (PITFALLS.md: libsoup keeps
 *   GLib's 10, which collapses under load).
 * - A request-body limit checked before the body is read: Content-Length
 *   over the limit is answered 413 at once; chunked bodies are counted as
 *   they arrive.  libsoup has no such limit of its own.
 * - One mapping from GError to an HTTP status and a plain-text reason.
 * - JSON replies built with json-glib.
 * - Security headers on every reply (no-store, nosniff, CSP).
 * - Keep-alive connections closed when the client closes them or after
 *   an idle timeout (libsoup 3.2.3 keeps them open for ever).
 * - A read timeout: a request not wholly received in time (slowloris) is
 *   answered 408 and its connection closed (libsoup 3.2 waits for ever). */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HTTP_BACKLOG 1024

/* A keep-alive connection idle this long between requests is closed (as
 * nginx's keepalive_timeout); so is one the client closed, at once. */
#define HTTP_IDLE_TIMEOUT_MS (60 * 1000)

/* A request (headers and body) not wholly received this long after
 * libsoup started it is answered 408 and its connection closed.  The time
 * a handler takes does not count.  SAFEROUTE_HTTP_READ_TIMEOUT_MS in the
 * environment lowers the default (for tests of the real programs). */
#define HTTP_READ_TIMEOUT_MS (30 * 1000)

/* Listens on "ADDR:PORT" (port 0 = any; the bound URI can be read back with
 * soup_server_get_uris).  Errors name the address. */
gboolean  http_listen            (SoupServer  *server,
                                  const char  *listen,
                                  GError     **error);

/* Makes SERVER give back the GSocket of each connection it accepted
 * (libsoup 3.2 keeps one reference too many: about 350 bytes a
 * connection, for ever).  http_listen does this itself; call it before a
 * server listens some other way (a test's TLS peer, for instance). */
void      http_drop_lost_sockets (SoupServer  *server);

/* Changes SERVER's idle timeout (HTTP_IDLE_TIMEOUT_MS by default) for
 * connections that go idle from now on. */
void      http_set_idle_timeout  (SoupServer  *server,
                                  guint        milliseconds);

/* Changes SERVER's read timeout (HTTP_READ_TIMEOUT_MS by default) for
 * requests started from now on. */
void      http_set_read_timeout  (SoupServer  *server,
                                  guint        milliseconds);

/* Installs the body limit on every request of SERVER. */
void      http_limit_body        (SoupServer  *server,
                                  goffset      max_bytes);
/* How many requests the body limit answered with STATUS (413, 411, or 400
 * for a malformed or repeated Content-Length), or the read timeout (408).
 * They never reach a handler and libsoup does not report them finished,
 * so a server's request counters add these. */
guint64   http_refused_count     (SoupServer  *server,
                                  guint        status);

/* Adds Cache-Control: no-store, X-Content-Type-Options: nosniff,
 * Referrer-Policy: no-referrer, X-Frame-Options: DENY. */
void      http_secure_headers    (SoupServerMessage *msg);

/* ERROR's domain and code -> status; reply text/plain "REASON\n". */
guint     http_status_for_error  (const GError *error);
void      http_reply_error       (SoupServerMessage *msg,
                                  const GError      *error);
void      http_reply_text        (SoupServerMessage *msg,
                                  guint              status,
                                  const char        *text);
/* Takes ownership of NODE. */
void      http_reply_json        (SoupServerMessage *msg,
                                  guint              status,
                                  JsonNode          *node);

/* The request body as a NUL-terminated string (may contain NULs before the
 * end: LENGTH says how long it is). */
const char *http_body            (SoupServerMessage *msg,
                                  gsize             *length);

/* The first bound URI, as "http://127.0.0.1:PORT" (no trailing slash). */
char     *http_base_url          (SoupServer *server);

G_END_DECLS
