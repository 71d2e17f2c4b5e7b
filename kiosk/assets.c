/* assets: the kiosk's own CSS and script, and the Noto fonts that
 * Debian ships (fonts-noto-core), served locally: the kiosk makes no external
 * request at all.
 *
 * Only plain file names are served, from exactly two directories, and
 * fonts only from a fixed list: "..", "/", "%2f" and dot-files never
 * reach the file system, so no path can escape (tests/kiosk-http.sh). */
#include "config.h"

#include <string.h>

#include "kiosk.h"
#include "http.h"

/* The faces kiosk.css names (L10N.md's stacks). */
static const char *const kiosk_fonts[] = {
  "NotoSans-Regular.ttf", "NotoSans-Bold.ttf",
  "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf",
  "NotoNastaliqUrdu-Regular.ttf", "NotoNastaliqUrdu-Bold.ttf",
  "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf",
  NULL,
};

gboolean
kiosk_asset_name_ok (const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static const char *
kiosk_asset_type (const char *name)
{
  if (g_str_has_suffix (name, ".css"))
    return "text/css; charset=utf-8";
  if (g_str_has_suffix (name, ".js"))
    return "text/javascript; charset=utf-8";
  if (g_str_has_suffix (name, ".ttf"))
    return "font/ttf";
  return NULL;
}

void
kiosk_assets (Kiosk *kiosk, KioskRequest *req)
{
  const char *name = req->path + strlen ("/assets/");
  const char *dir = kiosk->assets_dir;
  const char *type;
  g_autofree char *file = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  if (g_str_has_prefix (name, "fonts/"))
    {
      name += strlen ("fonts/");
      dir = kiosk->fonts_dir;
      if (!g_strv_contains (kiosk_fonts, name))
        name = NULL;
    }
  type = name ? kiosk_asset_type (name) : NULL;
  if (!kiosk_asset_name_ok (name) || type == NULL)
    {
      http_reply_text (req->msg, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  file = g_build_filename (dir, name, NULL);
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR)
      || !g_file_get_contents (file, &data, &length, NULL))
    {
      http_reply_text (req->msg, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  http_secure_headers (req->msg);
  /* No personal data in these: let the browser keep them. */
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "public, max-age=3600");
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, type, SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&data), length);
}
