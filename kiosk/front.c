/* front: configuring the pages' front end, shared by saferoute-kiosk and
 * the gateway's web wizard (which serves the same pages to phones).
 *
 * Reads the idle clock, the area, the views' site keys and where the CSS
 * and fonts are; every error names the file, line and key (exit 2). */
#include "config.h"

#include "kiosk.h"


gboolean
kiosk_front_configure (Kiosk *kiosk, const char *group, const char *prefix,
                       gint64 timeout, gint64 warning, GError **error)
{
  g_autofree char *timeout_key = g_strconcat (prefix, "idle_timeout", NULL);
  g_autofree char *warning_key = g_strconcat (prefix, "idle_warning", NULL);

  if (!conf_get_duration (kiosk->conf, group, timeout_key, timeout, &timeout,
                          error)
      || !conf_get_duration (kiosk->conf, group, warning_key, warning,
                             &warning, error))
    return FALSE;
  if (timeout < 2 || timeout > 3600 || warning < 1 || warning >= timeout)
    {
      g_autofree char *where = conf_where (kiosk->conf, group, warning_key);

      g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID,
                   "%s: %s must be shorter than %s (2 s to 1 h)", where,
                   warning_key, timeout_key);
      return FALSE;
    }
  kiosk->idle_timeout = (guint) timeout;
  kiosk->idle_warning = (guint) warning;
  kiosk->area = conf_get_string (kiosk->conf, group, "area", "", error);
  if (kiosk->area == NULL)
    return FALSE;
  if (*kiosk->area == '\0')
    g_clear_pointer (&kiosk->area, g_free);
  kiosk->site = views_site_new ();
  if (!views_site_load (kiosk->site, kiosk->conf, group, error))
    return FALSE;
  kiosk->context.area = kiosk->area;
  kiosk->context.site = kiosk->site->site_name;
  return TRUE;
}

gboolean
kiosk_front_dirs (Kiosk *kiosk, const char *group, const char *assets_dir,
                  const char *fonts_dir, GError **error)
{
  g_autofree char *installed = g_build_filename (PKGDATADIR, "kiosk", NULL);

  /* The option, then $SAFEROUTE_KIOSK_ASSETS (tests run from the build
   * tree), then the group's assets_dir, then the installed copy. */
  if (assets_dir == NULL)
    assets_dir = g_getenv ("SAFEROUTE_KIOSK_ASSETS");
  kiosk->assets_dir = assets_dir
    ? g_strdup (assets_dir)
    : conf_get_path (kiosk->conf, group, "assets_dir", installed, FALSE, error);
  if (kiosk->assets_dir == NULL)
    return FALSE;
  kiosk->fonts_dir = fonts_dir
    ? g_strdup (fonts_dir)
    : conf_get_path (kiosk->conf, group, "fonts_dir", KIOSK_FONTS_DIR, FALSE,
                     error);
  return kiosk->fonts_dir != NULL;
}

gboolean
kiosk_front_sweep (gpointer data)
{
  Kiosk *kiosk = data;
  guint n = session_store_sweep (kiosk->sessions, g_get_monotonic_time ());

  if (n > 0)
    g_debug ("wiped %u idle session(s)", n);
  return G_SOURCE_CONTINUE;
}
