/* sms-rate: an open-loop load generator for bench/sms.sh.  It sends the
 * signed Twilio webhooks of a file ("SIGNATURE BODY" per line, as
 * bench/sms.sh writes them) at a fixed RATE for SECONDS, each at its own
 * intended time whatever the server does, and measures every latency
 * from that intended time, not from when a connection was free to send
 * it: a server that stalls is charged for every request that queued
 * behind the stall (no coordinated omission, as in wrk2).  Connections
 * are kept alive and opened as needed, up to MAX_CONNECTIONS.
 *   sms-rate HOST:PORT RATE SECONDS REQUESTS [MAX_CONNECTIONS]
 * Prints the achieved rate and the p50, p99 and max latency. */
#include "config.h"

/* ppoll: poll with a timeout finer than a millisecond. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <glib.h>

#define RATE_DRAIN_SECONDS 10
#define RATE_BUFFER 4096

typedef struct
{
  int      fd;
  gboolean busy;
  gint64   intended;  /* µs, monotonic: when the request should have left */
  GString *out;       /* what is left to send */
  GString *in;        /* what has arrived of the response */
} RateConn;

typedef struct
{
  struct sockaddr_in  address;
  char              **requests;  /* whole HTTP requests, NULL-terminated */
  guint               n_requests, next_request;
  GPtrArray          *conns;     /* RateConn* */
  guint               max_conns;
  GQueue             *waiting;   /* intended times (gint64 *) with no connection yet */
  GArray             *latencies; /* gint64 µs */
  guint               errors, non_2xx;
} Rate;

static void
rate_die (const char *what)
{
  g_printerr ("sms-rate: %s: %s\n", what, g_strerror (errno));
  exit (1);
}

static RateConn *
rate_connect (Rate *rate)
{
  RateConn *conn = g_new0 (RateConn, 1);
  int one = 1;

  conn->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn->fd < 0)
    rate_die ("socket");
  /* Blocking connect: on loopback it is as quick as a non-blocking one. */
  if (connect (conn->fd, (struct sockaddr *) &rate->address, sizeof rate->address) < 0)
    rate_die ("connect");
  setsockopt (conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl (conn->fd, F_SETFL, fcntl (conn->fd, F_GETFL) | O_NONBLOCK);
  conn->out = g_string_new (NULL);
  conn->in = g_string_new (NULL);
  g_ptr_array_add (rate->conns, conn);
  return conn;
}

static void
rate_conn_free (RateConn *conn)
{
  if (conn->fd >= 0)
    close (conn->fd);
  g_string_free (conn->out, TRUE);
  g_string_free (conn->in, TRUE);
  g_free (conn);
}

static void
rate_send (Rate *rate, RateConn *conn, gint64 intended)
{
  const char *request = rate->requests[rate->next_request++ % rate->n_requests];

  conn->busy = TRUE;
  conn->intended = intended;
  g_string_assign (conn->out, request);
  g_string_truncate (conn->in, 0);
}

/* A free connection, a new one, or NULL at the limit. */
static RateConn *
rate_idle_conn (Rate *rate)
{
  for (guint i = 0; i < rate->conns->len; i++)
    {
      RateConn *conn = g_ptr_array_index (rate->conns, i);

      if (!conn->busy)
        return conn;
    }
  if (rate->conns->len < rate->max_conns)
    return rate_connect (rate);
  return NULL;
}

static void
rate_start (Rate *rate, gint64 intended)
{
  RateConn *conn = rate_idle_conn (rate);

  if (conn != NULL)
    rate_send (rate, conn, intended);
  else
    {
      gint64 *queued = g_new (gint64, 1);

      *queued = intended;
      g_queue_push_tail (rate->waiting, queued);
    }
}

/* The connection failed or was closed under a request: count it, and
 * start over on a new connection next time. */
static void
rate_conn_lost (Rate *rate, RateConn *conn)
{
  if (conn->busy)
    rate->errors++;
  g_ptr_array_remove (rate->conns, conn);
}

/* TRUE when CONN->in holds a whole response (Content-Length framing: both
 * servers measured here send it). */
static gboolean
rate_response_done (RateConn *conn, guint *status, gboolean *close_after)
{
  const char *head_end = strstr (conn->in->str, "\r\n\r\n");
  g_autofree char *head = NULL;
  const char *length_header;
  gsize length = 0;

  if (head_end == NULL)
    return FALSE;
  head = g_ascii_strdown (conn->in->str, head_end - conn->in->str);
  length_header = strstr (head, "\r\ncontent-length:");
  if (length_header != NULL)
    length = g_ascii_strtoull (length_header + strlen ("\r\ncontent-length:"), NULL, 10);
  if ((gsize) (head_end + 4 - conn->in->str) + length > conn->in->len)
    return FALSE;
  *status = strlen (head) > 12 ? (guint) g_ascii_strtoull (head + 9, NULL, 10) : 0;
  *close_after = strstr (head, "\r\nconnection: close") != NULL;
  return TRUE;
}

static void
rate_read (Rate *rate, RateConn *conn)
{
  char buffer[RATE_BUFFER];
  ssize_t n = recv (conn->fd, buffer, sizeof buffer, 0);
  guint status = 0;
  gboolean close_after = FALSE;

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      rate_conn_lost (rate, conn);
      return;
    }
  g_string_append_len (conn->in, buffer, n);
  if (!conn->busy || !rate_response_done (conn, &status, &close_after))
    return;
  {
    gint64 latency = g_get_monotonic_time () - conn->intended;

    g_array_append_val (rate->latencies, latency);
  }
  if (status < 200 || status > 299)
    rate->non_2xx++;
  conn->busy = FALSE;
  if (close_after)
    rate_conn_lost (rate, conn);
}

/* Requests that found no connection go out, oldest first, as soon as
 * one is free (their latency keeps running from their intended time). */
static void
rate_pump (Rate *rate)
{
  RateConn *conn;

  while (!g_queue_is_empty (rate->waiting) && (conn = rate_idle_conn (rate)) != NULL)
    {
      g_autofree gint64 *queued = g_queue_pop_head (rate->waiting);

      rate_send (rate, conn, *queued);
    }
}

static void
rate_write (Rate *rate, RateConn *conn)
{
  ssize_t n = send (conn->fd, conn->out->str, conn->out->len, MSG_NOSIGNAL);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n < 0)
    {
      rate_conn_lost (rate, conn);
      return;
    }
  g_string_erase (conn->out, 0, n);
}

/* Waits for the sockets until DEADLINE (µs, monotonic) at most, and
 * serves what is ready. */
static void
rate_poll (Rate *rate, gint64 deadline)
{
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, rate->conns->len + 1);
  g_autoptr(GPtrArray) snapshot = g_ptr_array_new ();
  gint64 wait = MAX (deadline - g_get_monotonic_time (), 0);
  struct timespec timeout = { wait / G_USEC_PER_SEC, (wait % G_USEC_PER_SEC) * 1000 };
  guint n = 0;

  for (guint i = 0; i < rate->conns->len; i++)
    {
      RateConn *conn = g_ptr_array_index (rate->conns, i);

      g_ptr_array_add (snapshot, conn);
      fds[n].fd = conn->fd;
      fds[n].events = POLLIN | (conn->out->len > 0 ? POLLOUT : 0);
      n++;
    }
  if (ppoll (fds, n, &timeout, NULL) <= 0)
    {
      rate_pump (rate);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      RateConn *conn = g_ptr_array_index (snapshot, i);

      if (fds[i].revents & POLLOUT)
        rate_write (rate, conn);
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
        {
          /* Still ours: a write error may have dropped it. */
          if (g_ptr_array_find (rate->conns, conn, NULL))
            rate_read (rate, conn);
        }
    }
  rate_pump (rate);
}

static gboolean
rate_busy (Rate *rate)
{
  if (!g_queue_is_empty (rate->waiting))
    return TRUE;
  for (guint i = 0; i < rate->conns->len; i++)
    if (((RateConn *) g_ptr_array_index (rate->conns, i))->busy)
      return TRUE;
  return FALSE;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
rate_percentile_ms (GArray *sorted, double p)
{
  guint index;

  if (sorted->len == 0)
    return 0;
  index = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gint64, index) / 1000.0;
}

/* Turns each "SIGNATURE BODY" line of PATH into a whole HTTP request. */
static char **
rate_load (const char *path, const char *host, guint *count)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *requests = g_ptr_array_new ();

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      g_printerr ("sms-rate: %s\n", error->message);
      exit (1);
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *space = strchr (lines[i], ' ');
      g_autofree char *signature = NULL;

      if (space == NULL)
        continue;
      signature = g_strndup (lines[i], space - lines[i]);
      g_ptr_array_add (requests,
                       g_strdup_printf ("POST /sms/twilio HTTP/1.1\r\nHost: %s\r\n"
                                        "Content-Type: application/x-www-form-urlencoded\r\n"
                                        "X-Twilio-Signature: %s\r\n"
                                        "Content-Length: %zu\r\n\r\n%s",
                                        host, signature, strlen (space + 1), space + 1));
    }
  *count = requests->len;
  g_ptr_array_add (requests, NULL);
  return (char **) g_ptr_array_free (requests, FALSE);
}

int
main (int argc, char **argv)
{
  Rate rate = { 0 };
  g_auto(GStrv) host_port = NULL;
  guint64 port = 0, per_second = 0, seconds = 0, max_conns = 256;
  gint64 start, interval_ns, end, drain_end;
  guint64 sent = 0;

  if (argc < 5 || argc > 6
      || (host_port = g_strsplit (argv[1], ":", 2))[1] == NULL
      || !g_ascii_string_to_unsigned (host_port[1], 10, 1, 65535, &port, NULL)
      || !g_ascii_string_to_unsigned (argv[2], 10, 1, 1000000, &per_second, NULL)
      || !g_ascii_string_to_unsigned (argv[3], 10, 1, 3600, &seconds, NULL)
      || (argc == 6 && !g_ascii_string_to_unsigned (argv[5], 10, 1, 1000, &max_conns, NULL)))
    {
      g_printerr ("usage: sms-rate HOST:PORT RATE SECONDS REQUESTS [MAX_CONNECTIONS]\n");
      return 2;
    }
  rate.address.sin_family = AF_INET;
  rate.address.sin_port = htons ((guint16) port);
  if (inet_pton (AF_INET, host_port[0], &rate.address.sin_addr) != 1)
    {
      g_printerr ("sms-rate: %s: not an IPv4 address\n", host_port[0]);
      return 2;
    }
  rate.requests = rate_load (argv[4], argv[1], &rate.n_requests);
  if (rate.n_requests == 0)
    {
      g_printerr ("sms-rate: %s: no requests\n", argv[4]);
      return 2;
    }
  rate.max_conns = (guint) max_conns;
  rate.conns = g_ptr_array_new_with_free_func ((GDestroyNotify) rate_conn_free);
  rate.waiting = g_queue_new ();
  rate.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* Request k is due at start + k / RATE, in nanoseconds so that rates
   * that do not divide a microsecond do not drift. */
  interval_ns = 1000000000 / (gint64) per_second;
  start = g_get_monotonic_time ();
  end = start + (gint64) seconds * G_USEC_PER_SEC;
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 due = start + (gint64) (sent * interval_ns / 1000);

      while (due <= now && due < end)
        {
          rate_start (&rate, due);
          sent++;
          due = start + (gint64) (sent * interval_ns / 1000);
        }
      if (due >= end)
        break;
      rate_poll (&rate, due);
    }
  drain_end = g_get_monotonic_time () + RATE_DRAIN_SECONDS * G_USEC_PER_SEC;
  while (rate_busy (&rate) && g_get_monotonic_time () < drain_end)
    rate_poll (&rate, MIN (drain_end, g_get_monotonic_time () + 100000));

  g_array_sort (rate.latencies, compare_gint64);
  {
    guint unanswered = (guint) (sent - rate.latencies->len);

    g_print ("%" G_GUINT64_FORMAT " req/s asked, %.0f req/s answered, p50 %.2fms "
             "p99 %.2fms max %.2fms, non-2xx %u, unanswered %u, connections %u\n",
             per_second, rate.latencies->len / (double) seconds,
             rate_percentile_ms (rate.latencies, 0.50),
             rate_percentile_ms (rate.latencies, 0.99),
             rate_percentile_ms (rate.latencies, 1.0), rate.non_2xx, unanswered,
             rate.conns->len);
  }
  g_strfreev (rate.requests);
  g_ptr_array_unref (rate.conns);
  g_queue_free_full (rate.waiting, g_free);
  g_array_unref (rate.latencies);
  return 0;
}
