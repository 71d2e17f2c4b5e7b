/* ratelimit: token buckets, one per key (a sender's keyed hash) plus one
 * shared, for the SMS front door.
 *
 * A bucket holds up to BURST tokens and refills at RATE per second; each
 * message takes one.  Memory is bounded: when MAX_KEYS buckets exist, the
 * full ones (which behave exactly like absent ones) are dropped, and if
 * none is full the new key is refused rather than evicting someone who is
 * being limited.  Times are monotonic microseconds passed in by the
 * caller, so tests need no clock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RateLimit RateLimit;

RateLimit *ratelimit_new   (double      rate_per_second,
                            double      burst,
                            guint       max_keys);
void       ratelimit_free  (RateLimit  *limit);
/* Takes one token from KEY's bucket (NULL: the one shared bucket).
 * FALSE when it is empty: the caller refuses the message. */
gboolean   ratelimit_take  (RateLimit  *limit,
                            const char *key,
                            gint64      now_usec);
guint      ratelimit_size  (const RateLimit *limit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RateLimit, ratelimit_free)

G_END_DECLS
