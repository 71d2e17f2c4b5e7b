/* Fuzz target: the configuration file and the partner directory built
 * from it (the firewall check included). */
#include "config.h"

#include <stdint.h>
#include "conf.h"
#include "partner.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(Conf) conf = conf_load_data (text, "fuzz.conf", NULL);

  if (conf != NULL)
    {
      g_autoptr(PartnerDirectory) dir = partner_directory_load (conf, NULL);

      if (dir != NULL)
        for (guint i = 0; i < partner_directory_size (dir); i++)
          {
            const Partner *p = partner_directory_nth (dir, i);

            /* Promise 1 must hold for anything that loaded. */
            g_assert_true (p->url == NULL || !partner_address_forbidden (p->url));
            g_assert_true (p->email_to == NULL || !partner_address_forbidden (p->email_to));
          }
    }
  return 0;
}
