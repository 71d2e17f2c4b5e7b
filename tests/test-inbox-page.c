/* The inbox page is for this machine only: the peer-address check. */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "inbox.h"

static gboolean
allowed (const char *text)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);
  g_autoptr(GSocketAddress) remote = NULL;

  g_assert_nonnull (address);
  remote = g_inet_socket_address_new (address, 40000);
  return inbox_page_client_allowed (remote);
}

static void
test_loopback_allowed (void)
{
  g_assert_true (allowed ("127.0.0.1"));
  g_assert_true (allowed ("127.3.4.5"));
  g_assert_true (allowed ("::1"));
  /* What a dual-stack socket reports for an IPv4 loopback peer. */
  g_assert_true (allowed ("::ffff:127.0.0.1"));
}

static void
test_others_refused (void)
{
  const char *others[] = { "10.0.0.1", "192.168.1.20", "0.0.0.0",
                           "128.0.0.1", "::", "::ffff:10.0.0.1",
                           "::ffff:128.0.0.1", "2001:db8::1", "fe80::1",
                           "::127.0.0.1" };

  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_test_message ("%s", others[i]);
      g_assert_false (allowed (others[i]));
    }
}

static void
test_no_address_refused (void)
{
  g_autoptr(GSocketAddress) unix_address =
    g_unix_socket_address_new ("/nonexistent/socket");

  g_assert_false (inbox_page_client_allowed (NULL));
  g_assert_false (inbox_page_client_allowed (unix_address));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/inbox/page/loopback-allowed", test_loopback_allowed);
  g_test_add_func ("/inbox/page/others-refused", test_others_refused);
  g_test_add_func ("/inbox/page/no-address-refused", test_no_address_refused);
  return g_test_run ();
}
