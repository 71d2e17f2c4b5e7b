/* ratelimit: token buckets (see ratelimit.h).
 *
 * Owns only memory: a restart forgets every bucket, which errs towards
 * letting a person through.  A bucket's state is (tokens, last refill);
 * refilling lazily on each take keeps it O(1) and timer-free. */
#include "config.h"

#include "ratelimit.h"

typedef struct
{
  double tokens;
  gint64 last_usec;
} Bucket;

struct _RateLimit
{
  double      rate;
  double      burst;
  guint       max_keys;
  Bucket      shared;
  GHashTable *buckets;  /* char* -> Bucket* */
};

RateLimit *
ratelimit_new (double rate_per_second, double burst, guint max_keys)
{
  RateLimit *limit;

  g_return_val_if_fail (rate_per_second > 0 && burst >= 1, NULL);

  limit = g_new0 (RateLimit, 1);
  limit->rate = rate_per_second;
  limit->burst = burst;
  limit->max_keys = MAX (max_keys, 1);
  limit->shared.tokens = burst;
  limit->shared.last_usec = G_MININT64;
  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return limit;
}

void
ratelimit_free (RateLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->buckets);
  g_free (limit);
}

static void
bucket_refill (const RateLimit *limit, Bucket *bucket, gint64 now_usec)
{
  if (bucket->last_usec != G_MININT64 && now_usec > bucket->last_usec)
    bucket->tokens = MIN (limit->burst,
                          bucket->tokens
                          + (double) (now_usec - bucket->last_usec) / G_USEC_PER_SEC
                            * limit->rate);
  if (bucket->last_usec == G_MININT64 || now_usec > bucket->last_usec)
    bucket->last_usec = now_usec;
}

/* Drops every bucket that has refilled to full; they are equivalent to no
 * bucket at all. */
static void
ratelimit_prune (RateLimit *limit, gint64 now_usec)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, limit->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      bucket_refill (limit, value, now_usec);
      if (((Bucket *) value)->tokens >= limit->burst)
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
ratelimit_take (RateLimit *limit, const char *key, gint64 now_usec)
{
  Bucket *bucket;

  g_return_val_if_fail (limit != NULL, FALSE);

  if (key == NULL)
    bucket = &limit->shared;
  else
    {
      bucket = g_hash_table_lookup (limit->buckets, key);
      if (bucket == NULL)
        {
          if (g_hash_table_size (limit->buckets) >= limit->max_keys)
            ratelimit_prune (limit, now_usec);
          if (g_hash_table_size (limit->buckets) >= limit->max_keys)
            return FALSE;
          bucket = g_new (Bucket, 1);
          bucket->tokens = limit->burst;
          bucket->last_usec = now_usec;
          g_hash_table_insert (limit->buckets, g_strdup (key), bucket);
        }
    }
  bucket_refill (limit, bucket, now_usec);
  if (bucket->tokens < 1.0)
    return FALSE;
  bucket->tokens -= 1.0;
  return TRUE;
}

guint
ratelimit_size (const RateLimit *limit)
{
  g_return_val_if_fail (limit != NULL, 0);
  return g_hash_table_size (limit->buckets);
}
