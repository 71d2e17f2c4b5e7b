/* Fuzz target: report JSON (everything a front door or saferoutectl
 * enqueue reads), and the reference-code normaliser. */
#include "config.h"

#include <stdint.h>
#include "report.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(Report) report = report_from_json ((const char *) data, (gssize) size, NULL);
  g_autofree char *text = g_strndup ((const char *) data, MIN (size, 64));
  g_autofree char *ref = report_ref_normalize (text);

  if (report != NULL)
    {
      /* Whatever parses must validate and survive a round trip. */
      g_autofree char *json = report_to_json (report, NULL);
      g_autoptr(Report) again = NULL;

      g_assert_true (report_validate (report, NULL));
      again = report_from_json (json, -1, NULL);
      g_assert_nonnull (again);
      g_assert_cmpstr (again->id, ==, report->id);
    }
  if (ref != NULL)
    g_assert_true (report_ref_valid (ref));
  return 0;
}
