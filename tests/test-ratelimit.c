/* Token buckets: burst, refill, per-key independence, bounded memory. */
#include "config.h"

#include "ratelimit.h"

#define SEC ((gint64) G_USEC_PER_SEC)

static void
test_burst_and_refill (void)
{
  g_autoptr(RateLimit) limit = ratelimit_new (0.5, 3, 10);
  gint64 t = 1000 * SEC;

  for (int i = 0; i < 3; i++)
    g_assert_true (ratelimit_take (limit, "a", t));
  g_assert_false (ratelimit_take (limit, "a", t));
  /* 0.5 per second: one token after 2 s, not after 1 s. */
  g_assert_false (ratelimit_take (limit, "a", t + 1 * SEC));
  g_assert_true (ratelimit_take (limit, "a", t + 2 * SEC));
  g_assert_false (ratelimit_take (limit, "a", t + 2 * SEC));
  /* Never more than the burst, however long the pause. */
  for (int i = 0; i < 3; i++)
    g_assert_true (ratelimit_take (limit, "a", t + 3600 * SEC));
  g_assert_false (ratelimit_take (limit, "a", t + 3600 * SEC));
  /* A clock that goes back does not mint tokens. */
  g_assert_false (ratelimit_take (limit, "a", t));
}

static void
test_keys_independent (void)
{
  g_autoptr(RateLimit) limit = ratelimit_new (1, 1, 10);

  g_assert_true (ratelimit_take (limit, "a", 0));
  g_assert_false (ratelimit_take (limit, "a", 0));
  g_assert_true (ratelimit_take (limit, "b", 0));
  g_assert_true (ratelimit_take (limit, NULL, 0));
  g_assert_false (ratelimit_take (limit, NULL, 0));
  g_assert_false (ratelimit_take (limit, "b", 0));
}

static void
test_bounded (void)
{
  g_autoptr(RateLimit) limit = ratelimit_new (1, 2, 2);

  g_assert_true (ratelimit_take (limit, "a", 0));
  g_assert_true (ratelimit_take (limit, "b", 0));
  /* Table full of buckets still being drained: a newcomer waits. */
  g_assert_false (ratelimit_take (limit, "c", 0));
  g_assert_cmpuint (ratelimit_size (limit), ==, 2);
  /* Once they have refilled they are dropped and "c" gets in. */
  g_assert_true (ratelimit_take (limit, "c", 10 * SEC));
  g_assert_cmpuint (ratelimit_size (limit), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/ratelimit/burst-and-refill", test_burst_and_refill);
  g_test_add_func ("/ratelimit/keys-independent", test_keys_independent);
  g_test_add_func ("/ratelimit/bounded", test_bounded);
  return g_test_run ();
}
