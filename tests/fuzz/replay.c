/* replay: runs a libFuzzer target over corpus files without libFuzzer, so
 * that `make check` replays every corpus (and every crasher kept as a
 * regression input) with whatever compiler and sanitizers the build uses.
 * Arguments are files or directories; prints TAP, one line per directory. */
#include "config.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      g_printerr ("replay: %s\n", error->message);
      return 1;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, length);
  return 0;
}

int
main (int argc, char **argv)
{
  guint failures = 0;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  /* Fuzz inputs make the library warn (bad config keys...): keep quiet. */
  g_log_set_handler (NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE
                     | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                     g_log_default_handler, NULL);
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
  g_print ("1..%d\n", argc - 1);
  for (int i = 1; i < argc; i++)
    {
      guint files = 0, bad = 0;

      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
          const char *name;

          while (dir && (name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *path = g_build_filename (argv[i], name, NULL);

              files++;
              bad += replay_file (path);
            }
        }
      else
        {
          files = 1;
          bad = replay_file (argv[i]);
        }
      /* A crash never gets here: the test fails by its exit status. */
      g_print ("%s %d - %s: %u inputs replayed\n", bad || files == 0 ? "not ok" : "ok",
               i, argv[i], files);
      failures += bad + (files == 0);
    }
  return failures ? 1 : 0;
}
