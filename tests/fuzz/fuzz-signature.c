/* Fuzz target: the webhook signature check in saferoute-inbox.  The input
 * is "HEADER\nBODY"; a forged header must never verify. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include "signature.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *nl = memchr (data, '\n', size);
  g_autofree char *header = NULL;
  const char *body;
  gsize body_length;

  if (nl == NULL)
    return 0;
  header = g_strndup ((const char *) data, (gsize) (nl - (const char *) data));
  body = nl + 1;
  body_length = size - (gsize) (body - (const char *) data);
  /* Without the secret no input may pass. */
  g_assert_false (signature_verify ("fuzz-secret-not-in-corpus", header, body,
                                    body_length, 1700000000, 300, NULL));
  return 0;
}
