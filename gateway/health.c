/* health: GET /healthz and GET /metrics.
 *
 * /healthz answers 200 only when the store answers a query, so a load
 * balancer or systemd watchdog stops sending reports to a gateway whose
 * disk has gone.  /metrics is Prometheus text: counts and states only,
 * never a reference code, partner token or anything a person typed. */
#include "config.h"

#include "gateway.h"
#include "http.h"

void
health_get (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  guint64 counts[DELIVERY_N_STATES] = { 0 };
  g_autoptr(GError) error = NULL;

  if (!store_counts (gateway->store, counts, &error))
    {
      g_warning ("healthz: store does not answer: %s", error->message);
      http_reply_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "store unavailable");
      return;
    }
  http_reply_text (msg, SOUP_STATUS_OK, "ok");
}

static void
metrics_counter (GString *out, const char *name, const char *help,
                 guint64 value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s counter\n%s %"
                          G_GUINT64_FORMAT "\n", name, help, name, name, value);
}

void
metrics_get (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  guint64 counts[DELIVERY_N_STATES] = { 0 };
  ForwardStats stats = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  gsize length;

  if (!store_counts (gateway->store, counts, &error))
    {
      http_reply_error (msg, error);
      return;
    }
  g_string_append (out,
                   "# HELP saferoute_deliveries Deliveries in the queue, by state.\n"
                   "# TYPE saferoute_deliveries gauge\n");
  for (int s = 0; s < DELIVERY_N_STATES; s++)
    g_string_append_printf (out, "saferoute_deliveries{state=\"%s\"} %"
                            G_GUINT64_FORMAT "\n",
                            delivery_state_to_string (s), counts[s]);

  if (gateway->forwarder != NULL)
    forward_get_stats (gateway->forwarder, &stats);
  metrics_counter (out, "saferoute_forward_attempts_total",
                   "Delivery attempts started.", stats.attempts);
  metrics_counter (out, "saferoute_forward_delivered_total",
                   "Deliveries a partner accepted.", stats.delivered);
  metrics_counter (out, "saferoute_forward_deferred_total",
                   "Attempts that failed and will be retried.", stats.deferred);
  metrics_counter (out, "saferoute_forward_held_total",
                   "Deliveries held for a human.", stats.held);
  g_string_append_printf (out,
                          "# HELP saferoute_forward_in_flight Transfers in progress.\n"
                          "# TYPE saferoute_forward_in_flight gauge\n"
                          "saferoute_forward_in_flight %u\n", stats.in_flight);

  g_string_append (out,
                   "# HELP saferoute_http_requests_total HTTP replies sent, by status code.\n"
                   "# TYPE saferoute_http_requests_total counter\n");
  for (guint code = 100; code < GATEWAY_HTTP_CODES; code++)
    {
      /* Refused by the body limit before any handler: counted there. */
      guint64 n = gateway->http_replies[code]
                  + http_refused_count (gateway->server, code);

      if (n > 0)
        g_string_append_printf (out, "saferoute_http_requests_total{code=\"%u\"} %"
                                G_GUINT64_FORMAT "\n", code, n);
    }

  g_string_append_printf (out,
                          "# HELP saferoute_build_info Version of this gateway.\n"
                          "# TYPE saferoute_build_info gauge\n"
                          "saferoute_build_info{version=\"%s\"} 1\n",
                          PACKAGE_VERSION);

  http_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  length = out->len;
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE,
                                    g_string_free (g_steal_pointer (&out), FALSE),
                                    length);
}
