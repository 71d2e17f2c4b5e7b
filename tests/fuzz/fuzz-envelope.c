/* Fuzz target: envelope JSON (the relay endpoint, the inbox webhook, the
 * pull client and `saferoute-inbox import` all read it). */
#include "config.h"

#include <stdint.h>
#include "envelope.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(Envelope) envelope = envelope_from_json ((const char *) data, (gssize) size, NULL);

  if (envelope != NULL)
    {
      g_autofree char *json = envelope_to_json (envelope, NULL);
      g_autoptr(Envelope) again = envelope_from_json (json, -1, NULL);

      g_assert_nonnull (again);
      g_assert_cmpstr (again->id, ==, envelope->id);
    }
  return 0;
}
