/* conf: the INI configuration file (GKeyFile) with errors a human can act on.
 *
 * Every error names the file, the line (we track it ourselves: GKeyFile does
 * not say where a key was) and the key, as "FILE:LINE: [group] key: why".
 * Unknown keys and groups are warnings; a missing required key is an error.
 * The module is named conf, not config, because autoconf owns config.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONF_ERROR (conf_error_quark ())
GQuark conf_error_quark (void);

typedef enum
{
  CONF_ERROR_IO,       /* cannot read the file */
  CONF_ERROR_PARSE,    /* not an INI file */
  CONF_ERROR_MISSING,  /* required key or group absent */
  CONF_ERROR_INVALID,  /* value has the wrong type or is out of range */
} ConfError;

typedef struct _Conf Conf;

Conf       *conf_load_file      (const char  *path,
                                 GError     **error);
/* NAME stands in for the file name in messages (tests, embedded demo). */
Conf       *conf_load_data      (const char  *data,
                                 const char  *name,
                                 GError     **error);
Conf       *conf_new_empty      (const char  *name);
void        conf_free           (Conf        *conf);

const char *conf_name           (const Conf  *conf);
gboolean    conf_has_group      (const Conf  *conf,
                                 const char  *group);
gboolean    conf_has_key        (const Conf  *conf,
                                 const char  *group,
                                 const char  *key);
/* Groups in file order; free with g_strfreev. */
char      **conf_groups         (const Conf  *conf);

/* "FILE:LINE: [group] key" (or "FILE: [group] key" when not in the file). */
char       *conf_where          (const Conf  *conf,
                                 const char  *group,
                                 const char  *key);

/* Getters: when the key is absent, DEFAULT is returned; a NULL default
 * makes the key required (CONF_ERROR_MISSING).  Strings are trimmed. */
char       *conf_get_string     (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 const char  *default_value,
                                 GError     **error);
gboolean    conf_get_bool       (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 gboolean     default_value,
                                 gboolean    *out,
                                 GError     **error);
gboolean    conf_get_int        (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 gint64       default_value,
                                 gint64       min,
                                 gint64       max,
                                 gint64      *out,
                                 GError     **error);
/* "90", "90s", "15m", "1h", "7d" -> seconds. */
gboolean    conf_get_duration   (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 gint64       default_seconds,
                                 gint64      *out_seconds,
                                 GError     **error);
/* Comma-separated list, each item trimmed, empty items dropped.  An absent
 * key gives an empty vector, never NULL (unless error). */
char      **conf_get_list       (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 GError     **error);
/* A file path: relative paths are taken from the config file's directory.
 * With MUST_BE_PRIVATE, refuse a file that group or others can read. */
char       *conf_get_path       (const Conf  *conf,
                                 const char  *group,
                                 const char  *key,
                                 const char  *default_value,
                                 gboolean     must_be_private,
                                 GError     **error);

void        conf_set_string     (Conf        *conf,
                                 const char  *group,
                                 const char  *key,
                                 const char  *value);

/* Warn (g_warning, with conf_where) about every key of GROUP not in KNOWN
 * (NULL-terminated).  Returns the number of unknown keys. */
guint       conf_warn_unknown_keys (const Conf        *conf,
                                    const char        *group,
                                    const char *const *known);

/* Parse "ADDR:PORT" / "[ADDR6]:PORT". */
gboolean    conf_parse_listen   (const char  *text,
                                 char       **host,
                                 guint16     *port,
                                 GError     **error);
gboolean    conf_parse_duration (const char  *text,
                                 gint64      *out_seconds);

/* Where a missing --config points: $sysconfdir/saferoute/saferoute.conf. */
const char *conf_default_path   (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conf, conf_free)

G_END_DECLS
