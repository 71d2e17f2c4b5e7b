/* lang: which language a request is rendered in.
 *
 * gettext follows the process locale, not a parameter (L10N.md).  We use
 * the built-in C.UTF-8 locale plus LANGUAGE, switched per request with
 * lang_use() on the main loop's thread and followed by ++_nl_msg_cat_cntr
 * so gettext drops its cache.  This works on a fresh machine with no
 * generated locales.  It is process-wide: only ever call lang_use() from
 * the thread that runs the main loop, and render a whole reply before
 * returning to the loop.
 *
 * At start, lang_init() checks that every catalog loads and refuses
 * (LANG_ERROR_MISSING, naming the language and the directory searched)
 * rather than serve English silently. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LANG_ERROR (lang_error_quark ())
GQuark lang_error_quark (void);

typedef enum
{
  LANG_ERROR_MISSING,   /* a catalog is missing or does not translate */
  LANG_ERROR_LOCALE,    /* C.UTF-8 is not available */
} LangError;

typedef struct
{
  const char *code;         /* "ur" */
  const char *native_name;  /* "اردو", in its own script */
  const char *english_name; /* "Urdu" */
  gboolean    rtl;
} LangInfo;

/* en pa ur ar so sq, in the order the language screen shows them. */
const LangInfo *lang_all        (guint *n);
const LangInfo *lang_lookup     (const char *code);

/* LOCALEDIR: NULL means $SAFEROUTE_LOCALEDIR or the installed LOCALEDIR. */
gboolean        lang_init       (const char *localedir,
                                 GError    **error);
/* Switch gettext to CODE ("en" = untranslated).  Returns the previous. */
const char     *lang_use        (const char *code);
const char     *lang_current    (void);
/* The directory the catalogs were found in. */
const char     *lang_localedir  (void);
/* "rtl" or "ltr" for the language in use (for <html dir>). */
const char     *lang_direction  (void);
/* Development only (kiosk --allow-missing-translations): lang_init warns
 * about a missing or untranslated catalog instead of refusing, and that
 * language renders in English.  Call before lang_init. */
void            lang_allow_missing (gboolean allow);

G_END_DECLS
