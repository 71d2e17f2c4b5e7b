/* conf: the INI configuration file, with errors a human can act on.
 *
 * Owns reading the file (GKeyFile does the parsing) and a map from
 * (group, key) to the line it was written on, built by our own scan of the
 * raw text because GKeyFile forgets where things were.  Every error reads
 * "FILE:LINE: [group] key: why" so an operator can jump straight to it.
 *
 * Invariants: a Conf is immutable after load except through
 * conf_set_string (used for command-line overrides), whose keys have no line.
 * The scan follows GKeyFile's own rules (a group is "[...]", a key is
 * everything before the first '=', a later duplicate key wins), so the line
 * we report is the line whose value GKeyFile returns.
 *
 * Failure: load fails with CONF_ERROR_IO or CONF_ERROR_PARSE (with the
 * offending line when we can find it); getters fail with
 * CONF_ERROR_MISSING or CONF_ERROR_INVALID naming the expected form.
 * Nothing here logs a value: values may be secrets. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "conf.h"

G_DEFINE_QUARK (saferoute-conf-error-quark, conf_error)

struct _Conf
{
  char       *name;   /* file name as given, for messages */
  char       *dir;    /* directory relative paths are taken from, or NULL */
  GKeyFile   *kf;
  GHashTable *lines;  /* "group" or "group\nkey" -> line number (GINT_TO_POINTER) */
};

static char *
conf_line_key (const char *group, const char *key)
{
  return key != NULL ? g_strconcat (group, "\n", key, NULL) : g_strdup (group);
}

static guint
conf_line_of (const Conf *conf, const char *group, const char *key)
{
  g_autofree char *k = conf_line_key (group, key);

  return GPOINTER_TO_UINT (g_hash_table_lookup (conf->lines, k));
}

static Conf *
conf_alloc (const char *name)
{
  Conf *conf = g_new0 (Conf, 1);

  conf->name = g_strdup (name != NULL ? name : "(config)");
  conf->kf = g_key_file_new ();
  conf->lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return conf;
}

Conf *
conf_new_empty (const char *name)
{
  return conf_alloc (name);
}

void
conf_free (Conf *conf)
{
  if (conf == NULL)
    return;
  g_free (conf->name);
  g_free (conf->dir);
  g_key_file_free (conf->kf);
  g_hash_table_destroy (conf->lines);
  g_free (conf);
}

/* Walk the raw text the way GKeyFile does and remember where each group
 * and key is.  *BAD is the first line GKeyFile would refuse (0 if none):
 * that is how a parse error gets its line number.
 *
 * GKeyFile silently merges a repeated group, and lets a repeated key
 * override the earlier one.  Two [partner x] groups merged would mix two
 * organisations' addresses, so a repeated group is an error; a repeated
 * key only warns (the later value wins, as it always has in GKeyFile). */
static gboolean
conf_scan (Conf *conf, const char *data, guint *bad_line, GError **error)
{
  g_auto(GStrv) raw = g_strsplit (data, "\n", -1);
  g_autofree char *group = NULL;
  guint bad = 0;

  for (guint i = 0; raw[i] != NULL; i++)
    {
      guint lineno = i + 1;
      char *line = raw[i];
      gsize len;

      if (!g_utf8_validate (line, -1, NULL))
        {
          if (bad == 0)
            bad = lineno;
          continue;
        }
      while (*line == ' ' || *line == '\t')
        line++;
      len = strlen (line);
      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      if (len == 0 || line[0] == '#')
        continue;
      if (line[0] == '[')
        {
          char *end = strrchr (line, ']');

          if (end == NULL || end == line + 1)
            {
              if (bad == 0)
                bad = lineno;
              continue;
            }
          g_free (group);
          group = g_strndup (line + 1, (gsize) (end - line - 1));
          if (g_hash_table_contains (conf->lines, group))
            {
              g_set_error (error, CONF_ERROR, CONF_ERROR_PARSE,
                           _("%s:%u: [%s]: this group appears twice (first"
                             " on line %u); merge the two"),
                           conf->name, lineno, group,
                           conf_line_of (conf, group, NULL));
              return FALSE;
            }
          g_hash_table_insert (conf->lines, g_strdup (group),
                               GUINT_TO_POINTER (lineno));
          continue;
        }
      {
        char *eq = strchr (line, '=');
        g_autofree char *key = NULL;

        if (eq == NULL || group == NULL || eq == line)
          {
            if (bad == 0)
              bad = lineno;
            continue;
          }
        key = g_strndup (line, (gsize) (eq - line));
        g_strchomp (key);
        if (conf_line_of (conf, group, key) > 0)
          g_warning ("%s:%u: [%s] %s: set again (first on line %u); this"
                     " later value is the one used", conf->name, lineno,
                     group, key, conf_line_of (conf, group, key));
        /* The last assignment wins in GKeyFile, so it wins here too. */
        g_hash_table_insert (conf->lines, conf_line_key (group, key),
                             GUINT_TO_POINTER (lineno));
      }
    }
  *bad_line = bad;
  return TRUE;
}

Conf *
conf_load_data (const char *data, const char *name, GError **error)
{
  g_autoptr(Conf) conf = NULL;
  g_autoptr(GError) local = NULL;
  guint bad;

  g_return_val_if_fail (data != NULL, NULL);

  conf = conf_alloc (name);
  if (!conf_scan (conf, data, &bad, error))
    return NULL;
  if (!g_key_file_load_from_data (conf->kf, data, (gsize) -1,
                                  G_KEY_FILE_NONE, &local))
    {
      if (bad > 0)
        g_set_error (error, CONF_ERROR, CONF_ERROR_PARSE,
                     /* TRANSLATORS: FILE:LINE: then GLib's own message. */
                     _("%s:%u: not a valid INI line: %s"),
                     conf->name, bad, local->message);
      else
        g_set_error (error, CONF_ERROR, CONF_ERROR_PARSE,
                     _("%s: not a valid INI file: %s"),
                     conf->name, local->message);
      return NULL;
    }
  return g_steal_pointer (&conf);
}

Conf *
conf_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  Conf *conf;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, NULL, &local))
    {
      g_set_error (error, CONF_ERROR, CONF_ERROR_IO,
                   _("%s: cannot read the configuration file: %s"),
                   path, local->message);
      return NULL;
    }
  conf = conf_load_data (data, path, error);
  if (conf != NULL)
    conf->dir = g_path_get_dirname (path);
  return conf;
}

const char *
conf_name (const Conf *conf)
{
  g_return_val_if_fail (conf != NULL, NULL);
  return conf->name;
}

gboolean
conf_has_group (const Conf *conf, const char *group)
{
  g_return_val_if_fail (conf != NULL && group != NULL, FALSE);
  return g_key_file_has_group (conf->kf, group);
}

gboolean
conf_has_key (const Conf *conf, const char *group, const char *key)
{
  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, FALSE);
  return g_key_file_has_key (conf->kf, group, key, NULL);
}

char **
conf_groups (const Conf *conf)
{
  g_return_val_if_fail (conf != NULL, NULL);
  return g_key_file_get_groups (conf->kf, NULL);
}

/* A key that is not in the file (missing, or set from the command line)
 * takes its group's line: for "required key missing" that is where the
 * operator has to add it. */
char *
conf_where (const Conf *conf, const char *group, const char *key)
{
  guint line;

  g_return_val_if_fail (conf != NULL && group != NULL, NULL);

  line = conf_line_of (conf, group, key);
  if (line == 0 && key != NULL)
    line = conf_line_of (conf, group, NULL);
  if (key == NULL)
    return line > 0 ? g_strdup_printf ("%s:%u: [%s]", conf->name, line, group)
                    : g_strdup_printf ("%s: [%s]", conf->name, group);
  return line > 0
    ? g_strdup_printf ("%s:%u: [%s] %s", conf->name, line, group, key)
    : g_strdup_printf ("%s: [%s] %s", conf->name, group, key);
}

static void G_GNUC_PRINTF (6, 7)
conf_set_error (GError **error, ConfError code, const Conf *conf,
                const char *group, const char *key, const char *format, ...)
{
  g_autofree char *where = conf_where (conf, group, key);
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CONF_ERROR, code, "%s: %s", where, why);
}

/* The raw (trimmed) value, or NULL when absent.  Errors only on a value
 * GKeyFile cannot unescape. */
static gboolean
conf_raw (const Conf *conf, const char *group, const char *key,
          char **out, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *value;

  *out = NULL;
  if (!g_key_file_has_key (conf->kf, group, key, NULL))
    return TRUE;
  value = g_key_file_get_string (conf->kf, group, key, &local);
  if (value == NULL)
    {
      conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                      "%s", local->message);
      return FALSE;
    }
  *out = g_strstrip (value);
  return TRUE;
}

char *
conf_get_string (const Conf *conf, const char *group, const char *key,
                 const char *default_value, GError **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, NULL);

  if (!conf_raw (conf, group, key, &value, error))
    return NULL;
  if (value == NULL)
    {
      if (default_value != NULL)
        return g_strdup (default_value);
      conf_set_error (error, CONF_ERROR_MISSING, conf, group, key,
                      _("required key is missing"));
      return NULL;
    }
  /* An empty value cannot stand in for a required one. */
  if (*value == '\0' && default_value == NULL)
    {
      conf_set_error (error, CONF_ERROR_MISSING, conf, group, key,
                      _("required key is empty"));
      return NULL;
    }
  return g_steal_pointer (&value);
}

gboolean
conf_get_bool (const Conf *conf, const char *group, const char *key,
               gboolean default_value, gboolean *out, GError **error)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  g_autofree char *value = NULL;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!conf_raw (conf, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    {
      *out = default_value;
      return TRUE;
    }
  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (value, yes[i]) == 0)
      {
        *out = TRUE;
        return TRUE;
      }
  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (value, no[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }
  conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                  _("expected true or false, got “%s”"), value);
  return FALSE;
}

gboolean
conf_get_int (const Conf *conf, const char *group, const char *key,
              gint64 default_value, gint64 min, gint64 max,
              gint64 *out, GError **error)
{
  g_autofree char *value = NULL;
  gint64 n;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, FALSE);
  g_return_val_if_fail (out != NULL && min <= max, FALSE);

  if (!conf_raw (conf, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    {
      *out = default_value;
      return TRUE;
    }
  if (!g_ascii_string_to_signed (value, 10, min, max, &n, NULL))
    {
      /* The bounds are formatted apart: xgettext cannot see through
       * G_GINT64_FORMAT, and would cut the message at the first one. */
      g_autofree char *low = g_strdup_printf ("%" G_GINT64_FORMAT, min);
      g_autofree char *high = g_strdup_printf ("%" G_GINT64_FORMAT, max);

      conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                      /* TRANSLATORS: a config value was not a number; the
                       * first two %s are the lowest and highest allowed. */
                      _("expected a whole number from %s to %s, got “%s”"),
                      low, high, value);
      return FALSE;
    }
  *out = n;
  return TRUE;
}

gboolean
conf_parse_duration (const char *text, gint64 *out_seconds)
{
  const char *p = text;
  gint64 n = 0;
  gint64 unit = 1;

  g_return_val_if_fail (out_seconds != NULL, FALSE);

  if (text == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (n > (G_MAXINT64 - 9) / 10)
        return FALSE;
      n = n * 10 + (*p - '0');
    }
  switch (*p)
    {
    case '\0': unit = 1; break;
    case 's': unit = 1; p++; break;
    case 'm': unit = 60; p++; break;
    case 'h': unit = 3600; p++; break;
    case 'd': unit = 86400; p++; break;
    default: return FALSE;
    }
  if (*p != '\0' || n > G_MAXINT64 / unit)
    return FALSE;
  *out_seconds = n * unit;
  return TRUE;
}

gboolean
conf_get_duration (const Conf *conf, const char *group, const char *key,
                   gint64 default_seconds, gint64 *out_seconds, GError **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, FALSE);
  g_return_val_if_fail (out_seconds != NULL, FALSE);

  if (!conf_raw (conf, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    {
      *out_seconds = default_seconds;
      return TRUE;
    }
  if (!conf_parse_duration (value, out_seconds))
    {
      conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                      _("expected a duration such as 90, 90s, 15m, 1h or 7d,"
                        " got “%s”"), value);
      return FALSE;
    }
  return TRUE;
}

char **
conf_get_list (const Conf *conf, const char *group, const char *key,
               GError **error)
{
  g_autofree char *value = NULL;
  g_auto(GStrv) items = NULL;
  GPtrArray *out;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, NULL);

  if (!conf_raw (conf, group, key, &value, error))
    return NULL;
  out = g_ptr_array_new ();
  if (value != NULL)
    {
      items = g_strsplit (value, ",", -1);
      for (guint i = 0; items[i] != NULL; i++)
        {
          g_strstrip (items[i]);
          if (items[i][0] != '\0')
            g_ptr_array_add (out, g_strdup (items[i]));
        }
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
conf_get_path (const Conf *conf, const char *group, const char *key,
               const char *default_value, gboolean must_be_private,
               GError **error)
{
  g_autofree char *value = NULL;
  g_autofree char *path = NULL;
  GStatBuf st;

  g_return_val_if_fail (conf != NULL && group != NULL && key != NULL, NULL);

  value = conf_get_string (conf, group, key, default_value, error);
  if (value == NULL)
    return NULL;
  if (*value == '\0')
    return g_steal_pointer (&value);
  if (g_path_is_absolute (value) || conf->dir == NULL)
    path = g_steal_pointer (&value);
  else
    path = g_build_filename (conf->dir, value, NULL);

  if (!must_be_private)
    return g_steal_pointer (&path);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      conf_set_error (error, CONF_ERROR_IO, conf, group, key,
                      _("cannot read %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                      _("%s is not a regular file"), path);
      return NULL;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      conf_set_error (error, CONF_ERROR_INVALID, conf, group, key,
                      /* TRANSLATORS: %04o is a Unix file mode such as 0644. */
                      _("%s holds a secret but has mode %04o, so group or"
                        " others can read it; fix it with: chmod 600 %s"),
                      path, (unsigned) (st.st_mode & 07777), path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

void
conf_set_string (Conf *conf, const char *group, const char *key,
                 const char *value)
{
  g_return_if_fail (conf != NULL && group != NULL && key != NULL);
  g_return_if_fail (value != NULL);

  g_key_file_set_string (conf->kf, group, key, value);
  /* Overridden: the line in the file no longer tells where it came from. */
  {
    g_autofree char *k = conf_line_key (group, key);

    g_hash_table_remove (conf->lines, k);
  }
}

guint
conf_warn_unknown_keys (const Conf *conf, const char *group,
                        const char *const *known)
{
  g_auto(GStrv) keys = NULL;
  guint unknown = 0;

  g_return_val_if_fail (conf != NULL && group != NULL && known != NULL, 0);

  keys = g_key_file_get_keys (conf->kf, group, NULL, NULL);
  if (keys == NULL)
    return 0;
  for (guint i = 0; keys[i] != NULL; i++)
    {
      /* A translated value "name[pa]" belongs to the key "name". */
      g_autofree char *base = g_strndup (keys[i], strcspn (keys[i], "["));

      if (!g_strv_contains (known, base))
        {
          g_autofree char *where = conf_where (conf, group, keys[i]);

          g_warning ("%s: unknown key (ignored; check its spelling)", where);
          unknown++;
        }
    }
  return unknown;
}

gboolean
conf_parse_listen (const char *text, char **host, guint16 *port,
                   GError **error)
{
  g_autofree char *addr = NULL;
  const char *port_text;
  guint64 n;

  g_return_val_if_fail (host != NULL && port != NULL, FALSE);

  if (text == NULL || *text == '\0')
    goto bad;
  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        goto bad;
      addr = g_strndup (text + 1, (gsize) (close - text - 1));
      port_text = close + 2;
      if (!g_hostname_is_ip_address (addr) || strchr (addr, ':') == NULL)
        goto bad;
    }
  else
    {
      const char *colon = strrchr (text, ':');

      if (colon == NULL)
        goto bad;
      addr = g_strndup (text, (gsize) (colon - text));
      port_text = colon + 1;
      /* We bind, we do not resolve: only a numeric address, or localhost
       * (which always means the IPv4 loopback here, never DNS). */
      if (g_ascii_strcasecmp (addr, "localhost") == 0)
        {
          g_free (addr);
          addr = g_strdup ("127.0.0.1");
        }
      else if (strchr (addr, ':') != NULL || !g_hostname_is_ip_address (addr))
        goto bad;
    }
  /* Port 0 asks the kernel for a free port (tests run servers side by side). */
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &n, NULL))
    goto bad;
  *host = g_steal_pointer (&addr);
  *port = (guint16) n;
  return TRUE;

bad:
  g_set_error (error, CONF_ERROR, CONF_ERROR_INVALID,
               _("listen address “%s”: expected IP:PORT, [IPv6]:PORT or"
                 " localhost:PORT with a numeric IP and a port from 0 to"
                 " 65535"), text != NULL ? text : "");
  return FALSE;
}

const char *
conf_default_path (void)
{
  return SYSCONFDIR "/saferoute/saferoute.conf";
}
