/* partner: the directory of partner organisations, and the firewall.
 *
 * Owns the [partner ID] groups of the configuration and the rules a partner
 * must meet before any report can be routed to it.  Promise 1 (nothing goes
 * to Immigration Enforcement or the Home Office) is enforced here, at load
 * time, and fails closed:
 *   - a partner's kind must be one of support, advocacy, legal-advice,
 *     helpline; anything else is refused with an explanation;
 *   - no address it would deliver to (webhook URL host, e-mail domains,
 *     SMTP host) may be, or lie under, a Home Office domain.  The check
 *     normalises first (case, trailing dot, percent-escapes, Unicode
 *     compatibility forms and IDN A-labels, invisible characters) and then
 *     looks for the domain anywhere in the address at a label boundary, so
 *     a userinfo, port, path or parser disagreement cannot smuggle it past;
 *     a false refusal of a legitimate address is the price we accept;
 *   - a name or id that says "Home Office" or "Immigration Enforcement" is
 *     refused too, so nobody sets one up by mistake under another domain.
 * A directory that fails any check does not load at all: a half-loaded
 * directory would silently drop a partner someone expects reports to reach.
 *
 * Invariants: every Partner in a directory passed partner_check; the
 * directory never changes after load except through partner_directory_add,
 * which runs the same check.  Secrets (hmac_secret, smtp_password,
 * pull_token) are never put into a message or a log, and are wiped on free.
 *
 * Services are checked against report.h's category list, the one list the
 * front doors offer. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "partner.h"
#include "report.h"
#include "signature.h"

G_DEFINE_QUARK (saferoute-partner-error-quark, partner_error)

struct _PartnerDirectory
{
  GPtrArray  *partners;  /* Partner *, in file order */
  GHashTable *by_id;     /* id -> Partner * (borrowed from partners) */
};

/* Equal to, or under, any of these is refused. */
static const char *const partner_forbidden_domains[] = {
  "homeoffice.gov.uk",
  "homeoffice.gsi.gov.uk",
  "ukba.gsi.gov.uk",
  "ukba.homeoffice.gsi.gov.uk",
  "ind.homeoffice.gov.uk",
  NULL
};

/* Words in a name or id that mean the Home Office or its enforcement arms
 * (matched on a normalised form: lower case, punctuation as spaces). */
static const char *const partner_forbidden_names[] = {
  "home office", "homeoffice", "immigration enforcement",
  "uk border agency", "border force", NULL
};

static const char *const partner_kinds[] = {
  "support", "advocacy", "legal-advice", "helpline", NULL
};
static const char *const partner_deliveries[] = {
  "webhook", "email", "pull", NULL
};
static const char *const partner_polices[] = {
  "if-you-agree", "only-danger", NULL
};

static const char *const partner_known_keys[] = {
  "name", "description", "kind", "services", "languages", "areas",
  "interpreters", "woman_worker", "phone", "delivery", "url", "email_to",
  "email_from", "smtp_url", "smtp_user", "smtp_password",
  "smtp_password_file", "hmac_secret", "hmac_secret_file", "pull_token",
  "pull_token_file", "public_key", "public_key_file", "plain",
  "may_tell_police", NULL
};

const char *
partner_kind_to_string (PartnerKind kind)
{
  g_return_val_if_fail (kind <= PARTNER_KIND_HELPLINE, NULL);
  return partner_kinds[kind];
}

const char *
partner_delivery_to_string (PartnerDelivery delivery)
{
  g_return_val_if_fail (delivery <= PARTNER_DELIVERY_PULL, NULL);
  return partner_deliveries[delivery];
}

const char *
partner_police_to_string (PartnerPolice police)
{
  g_return_val_if_fail (police <= PARTNER_POLICE_ONLY_DANGER, NULL);
  return partner_polices[police];
}

static int
partner_index (const char *const *table, const char *value)
{
  for (int i = 0; table[i] != NULL; i++)
    if (g_strcmp0 (table[i], value) == 0)
      return i;
  return -1;
}

Partner *
partner_new (void)
{
  Partner *partner = g_new0 (Partner, 1);

  partner->services = g_new0 (char *, 1);
  partner->languages = g_new0 (char *, 1);
  partner->areas = g_new0 (char *, 1);
  return partner;
}

static void
partner_free_secret (char *secret)
{
  if (secret != NULL)
    sodium_memzero (secret, strlen (secret));
  g_free (secret);
}

void
partner_free (Partner *partner)
{
  if (partner == NULL)
    return;
  g_free (partner->id);
  g_free (partner->name);
  g_free (partner->description);
  g_strfreev (partner->services);
  g_strfreev (partner->languages);
  g_strfreev (partner->areas);
  g_free (partner->phone);
  g_free (partner->url);
  g_free (partner->email_to);
  g_free (partner->email_from);
  g_free (partner->smtp_url);
  g_free (partner->smtp_user);
  partner_free_secret (partner->smtp_password);
  partner_free_secret (partner->hmac_secret);
  partner_free_secret (partner->pull_token);
  g_free (partner);
}

static gboolean
partner_strv_has (char **list, const char *value)
{
  if (list == NULL || value == NULL)
    return FALSE;
  for (guint i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], value) == 0)
      return TRUE;
  return FALSE;
}

gboolean
partner_serves (const Partner *partner, const char *category)
{
  g_return_val_if_fail (partner != NULL, FALSE);
  return partner_strv_has (partner->services, "*")
    || partner_strv_has (partner->services, category);
}

gboolean
partner_speaks (const Partner *partner, const char *language)
{
  g_return_val_if_fail (partner != NULL, FALSE);
  return partner_strv_has (partner->languages, language);
}

/* ---- The firewall ---- */

/* Percent-escapes decoded, Unicode folded to the form a resolver would use
 * (NFKC, case folded), dot look-alikes made dots, invisible characters
 * (soft hyphen, zero-width joiners) dropped, backslashes made slashes. */
static char *
partner_normalise (const char *text)
{
  g_autoptr(GString) bytes = g_string_new (NULL);
  g_autofree char *valid = NULL;
  g_autofree char *nfkc = NULL;
  g_autofree char *folded = NULL;
  GString *out;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (p[0] == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          g_string_append_c (bytes, (char) (g_ascii_xdigit_value (p[1]) * 16
                                            + g_ascii_xdigit_value (p[2])));
          p += 2;
        }
      else
        g_string_append_c (bytes, *p);
    }
  valid = g_utf8_make_valid (bytes->str, (gssize) bytes->len);
  nfkc = g_utf8_normalize (valid, -1, G_NORMALIZE_NFKC);
  folded = g_utf8_casefold (nfkc != NULL ? nfkc : valid, -1);

  out = g_string_new (NULL);
  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case 0x00AD: case 0x200B: case 0x200C: case 0x200D:
        case 0x2060: case 0xFEFF: case 0x034F:
          break;
        case 0x3002: case 0xFF0E: case 0xFF61:
          g_string_append_c (out, '.');
          break;
        case '\\':
          g_string_append_c (out, '/');
          break;
        default:
          g_string_append_unichar (out, c);
        }
    }
  return g_string_free (out, FALSE);
}

static gboolean
partner_is_label_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || (c & 0x80) != 0;
}

/* DOMAIN occurs in TEXT as a whole host name or the tail of one: preceded
 * by a non-label character (start, '.', '@', '/', ...) and followed by the
 * end of the host (end, ':', '/', '>', ...), a trailing dot included. */
static gboolean
partner_text_has_domain (const char *text, const char *domain)
{
  gsize n = strlen (domain);

  for (const char *p = strstr (text, domain); p != NULL;
       p = strstr (p + 1, domain))
    {
      const char *after = p + n;

      if (p > text && partner_is_label_char (p[-1]))
        continue;
      if (*after == '.')
        after++;
      if (*after == '\0' || !(partner_is_label_char (*after) || *after == '.'))
        return TRUE;
    }
  return FALSE;
}

static gboolean
partner_text_forbidden (const char *text)
{
  for (guint i = 0; partner_forbidden_domains[i] != NULL; i++)
    if (partner_text_has_domain (text, partner_forbidden_domains[i]))
      return TRUE;
  return FALSE;
}

/* The host part of a URL, an e-mail address or a bare host[:port]. */
static char *
partner_extract_host (const char *text)
{
  const char *start = text;
  const char *scheme = strstr (text, "://");
  gsize len;

  if (scheme != NULL)
    {
      start = scheme + 3;
      len = strcspn (start, "/?#");
      /* userinfo ends at the last '@' of the authority */
      for (gsize i = 0; i < len; i++)
        if (start[i] == '@')
          {
            start += i + 1;
            len -= i + 1;
            i = (gsize) -1;
          }
    }
  else
    {
      const char *at = strrchr (text, '@');

      if (g_str_has_prefix (text, "mailto:"))
        start = text + 7;
      if (at != NULL)
        start = at + 1;
      len = strcspn (start, "/?#> \t");
    }
  if (len > 0 && start[0] == '[')
    {
      const char *close = memchr (start, ']', len);

      return g_strndup (start + 1, close != NULL ? (gsize) (close - start - 1)
                                                 : len - 1);
    }
  {
    const char *colon = memchr (start, ':', len);

    if (colon != NULL)
      len = (gsize) (colon - start);
  }
  return g_strndup (start, len);
}

gboolean
partner_address_forbidden (const char *address)
{
  g_autofree char *norm = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (address != NULL, TRUE);

  norm = partner_normalise (address);
  if (partner_text_forbidden (norm))
    return TRUE;

  /* An IDN A-label ("xn--...") decodes to the name a resolver would use;
   * look at that too, and at the ASCII form of a Unicode name. */
  host = partner_extract_host (norm);
  if (host[0] != '\0')
    {
      g_autofree char *unicode = g_hostname_to_unicode (host);
      g_autofree char *ascii = g_hostname_to_ascii (host);

      if (unicode != NULL)
        {
          g_autofree char *n = partner_normalise (unicode);

          if (partner_text_forbidden (n))
            return TRUE;
        }
      if (ascii != NULL)
        {
          g_autofree char *n = g_ascii_strdown (ascii, -1);

          if (partner_text_forbidden (n))
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
partner_name_forbidden (const char *name)
{
  g_autofree char *norm = NULL;
  g_autoptr(GString) words = g_string_new (" ");

  if (name == NULL)
    return FALSE;
  norm = partner_normalise (name);
  for (const char *p = norm; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        g_string_append_unichar (words, c);
      else if (words->str[words->len - 1] != ' ')
        g_string_append_c (words, ' ');
    }
  g_string_append_c (words, ' ');
  for (guint i = 0; partner_forbidden_names[i] != NULL; i++)
    {
      g_autofree char *needle = g_strdup_printf (" %s ",
                                                 partner_forbidden_names[i]);

      if (strstr (words->str, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* ---- Addresses ---- */

gboolean
partner_host_is_loopback (const char *host)
{
  g_autofree char *h = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gsize len;

  if (host == NULL || *host == '\0')
    return FALSE;
  len = strlen (host);
  if (host[0] == '[' && host[len - 1] == ']')
    h = g_strndup (host + 1, len - 2);
  else
    h = g_strdup (host);
  len = strlen (h);
  if (len > 0 && h[len - 1] == '.')
    h[len - 1] = '\0';
  if (g_ascii_strcasecmp (h, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (h);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Parse URL; TRUE with its scheme (lower case) and host, or FALSE. */
static gboolean
partner_url_parts (const char *url, char **scheme, char **host)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || g_uri_get_host (uri)[0] == '\0')
    return FALSE;
  *scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  *host = g_strdup (g_uri_get_host (uri));
  return TRUE;
}

gboolean
partner_url_allowed (const char *url, GError **error)
{
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;

  if (!partner_url_parts (url, &scheme, &host))
    {
      g_set_error (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                   _("not a URL with a host name"));
      return FALSE;
    }
  if (g_str_equal (scheme, "https"))
    return TRUE;
  if (g_str_equal (scheme, "http") && partner_host_is_loopback (host))
    return TRUE;
  /* The URL may carry credentials: name only its scheme and host. */
  g_set_error (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
               _("reports travel only over https:// (plain http:// is allowed"
                 " only to this machine: 127.0.0.1, ::1 or localhost), not"
                 " %s://%s"), scheme, host);
  return FALSE;
}

/* local@domain, one address, nothing around it. */
static gboolean
partner_email_valid (const char *address)
{
  const char *at = strchr (address, '@');

  if (at == NULL || at == address || at[1] == '\0' || strchr (at + 1, '@'))
    return FALSE;
  for (const char *p = address; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || strchr ("<>,;\"()[]\\", *p) != NULL
        || (guchar) *p < 0x20)
      return FALSE;
  return strchr (at + 1, '.') != NULL || g_str_equal (at + 1, "localhost");
}

/* Standard base64 of exactly 32 bytes, canonical (it re-encodes the same). */
static gboolean
partner_decode_key (const char *text, guint8 key[32])
{
  g_autofree guchar *raw = NULL;
  g_autofree char *again = NULL;
  gsize len = 0;

  if (strlen (text) != 44 || text[43] != '=' || text[42] == '=')
    return FALSE;
  for (guint i = 0; i < 43; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  raw = g_base64_decode (text, &len);
  if (len != 32)
    return FALSE;
  again = g_base64_encode (raw, len);
  if (!g_str_equal (again, text))
    return FALSE;
  memcpy (key, raw, 32);
  sodium_memzero (raw, len);
  return TRUE;
}

static gboolean
partner_id_valid (const char *id)
{
  gsize n = id != NULL ? strlen (id) : 0;

  if (n < 1 || n > 40 || !(g_ascii_islower (id[0]) || g_ascii_isdigit (id[0])))
    return FALSE;
  for (gsize i = 1; i < n; i++)
    if (!(g_ascii_islower (id[i]) || g_ascii_isdigit (id[i]) || id[i] == '-'))
      return FALSE;
  return TRUE;
}

/* ---- Checking one partner ---- */

/* Where a complaint about KEY points: "FILE:LINE: [partner ID] KEY" when
 * loaded from a file, "[partner ID] KEY" otherwise. */
typedef struct
{
  const Conf *conf;
  const char *group;
  const char *id;
} PartnerSource;

static void G_GNUC_PRINTF (5, 6)
partner_fail (GError **error, PartnerError code, const PartnerSource *src,
              const char *key, const char *format, ...)
{
  g_autofree char *where = NULL;
  g_autofree char *why = NULL;
  va_list args;

  if (src->conf != NULL)
    where = conf_where (src->conf, src->group, key);
  else
    where = g_strdup_printf ("[partner %s] %s", src->id != NULL ? src->id : "?",
                             key);
  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PARTNER_ERROR, code, "%s: %s", where, why);
}

static gboolean
partner_check_address (const PartnerSource *src, const char *key,
                       const char *value, GError **error)
{
  if (value == NULL || !partner_address_forbidden (value))
    return TRUE;
  partner_fail (error, PARTNER_ERROR_FORBIDDEN, src, key,
                /* TRANSLATORS: promise 1 of saferoute. */
                _("this address belongs to the Home Office. saferoute never"
                  " sends reports to the Home Office or Immigration"
                  " Enforcement, so this partner cannot be configured"));
  return FALSE;
}

/* The firewall part: run before anything else so that a forbidden partner
 * is always reported as forbidden, whatever else is wrong with it. */
static gboolean
partner_check_firewall (const Partner *p, const PartnerSource *src,
                        GError **error)
{
  if (partner_name_forbidden (p->id) || partner_name_forbidden (p->name))
    {
      partner_fail (error, PARTNER_ERROR_FORBIDDEN, src,
                    partner_name_forbidden (p->name) ? "name" : "id",
                    _("names the Home Office or Immigration Enforcement."
                      " saferoute only delivers to support organisations,"
                      " never to the Home Office or Immigration Enforcement"));
      return FALSE;
    }
  return partner_check_address (src, "url", p->url, error)
    && partner_check_address (src, "email_to", p->email_to, error)
    && partner_check_address (src, "email_from", p->email_from, error)
    && partner_check_address (src, "smtp_url", p->smtp_url, error)
    && partner_check_address (src, "smtp_user", p->smtp_user, error);
}

static gboolean
partner_check_list (const PartnerSource *src, const char *key, char **list,
                    const char *const *allowed, gboolean required,
                    GError **error)
{
  if (required && (list == NULL || list[0] == NULL))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, key,
                    _("list at least one value, or * for all"));
      return FALSE;
    }
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      if (g_str_equal (list[i], "*"))
        continue;
      if (allowed != NULL && partner_index (allowed, list[i]) < 0)
        {
          g_autofree char *names = g_strjoinv (", ", (char **) allowed);

          partner_fail (error, PARTNER_ERROR_INVALID, src, key,
                        _("unknown value “%s”; expected * or some of: %s"),
                        list[i], names);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
partner_check (const Partner *p, const PartnerSource *src, GError **error)
{
  if (!partner_check_firewall (p, src, error))
    return FALSE;
  if (!partner_id_valid (p->id))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "id",
                    _("a partner id is 1 to 40 lower-case letters, digits"
                      " and hyphens, starting with a letter or digit"));
      return FALSE;
    }
  if (p->kind > PARTNER_KIND_HELPLINE)
    {
      partner_fail (error, PARTNER_ERROR_FORBIDDEN, src, "kind",
                    _("must be support, advocacy, legal-advice or helpline"));
      return FALSE;
    }
  if (p->name == NULL || p->name[0] == '\0')
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "name",
                    _("required key is missing"));
      return FALSE;
    }
  if (!partner_check_list (src, "services", p->services, report_categories,
                           TRUE, error)
      || !partner_check_list (src, "languages", p->languages, NULL, FALSE,
                              error))
    return FALSE;

  if (p->url != NULL)
    {
      g_autoptr(GError) local = NULL;

      if (!partner_url_allowed (p->url, &local))
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src, "url", "%s",
                        local->message);
          return FALSE;
        }
    }
  if (p->smtp_url != NULL)
    {
      g_autofree char *scheme = NULL;
      g_autofree char *host = NULL;

      /* smtp:// to another host is allowed only because the forwarder
       * demands STARTTLS (CURLUSESSL_ALL) on it; smtps:// is TLS from the
       * first byte. */
      if (!partner_url_parts (p->smtp_url, &scheme, &host)
          || !(g_str_equal (scheme, "smtp") || g_str_equal (scheme, "smtps")))
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src, "smtp_url",
                        _("expected smtp://HOST[:PORT] (STARTTLS is required)"
                          " or smtps://HOST[:PORT]"));
          return FALSE;
        }
    }
  if (p->email_to != NULL && !partner_email_valid (p->email_to))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "email_to",
                    _("expected one e-mail address such as cases@example.org"));
      return FALSE;
    }
  if (p->email_from != NULL && !partner_email_valid (p->email_from))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "email_from",
                    _("expected one e-mail address such as"
                      " saferoute@example.org"));
      return FALSE;
    }

  switch (p->delivery)
    {
    case PARTNER_DELIVERY_WEBHOOK:
      if (p->url == NULL || p->hmac_secret == NULL)
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src,
                        p->url == NULL ? "url" : "hmac_secret",
                        _("delivery = webhook needs url and hmac_secret"
                          " (or hmac_secret_file)"));
          return FALSE;
        }
      break;
    case PARTNER_DELIVERY_EMAIL:
      if (p->email_to == NULL || p->smtp_url == NULL)
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src,
                        p->email_to == NULL ? "email_to" : "smtp_url",
                        _("delivery = email needs email_to and smtp_url"));
          return FALSE;
        }
      break;
    case PARTNER_DELIVERY_PULL:
      if (p->pull_token == NULL || p->pull_token[0] == '\0')
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src, "pull_token",
                        _("delivery = pull needs pull_token"
                          " (or pull_token_file)"));
          return FALSE;
        }
      break;
    default:
      partner_fail (error, PARTNER_ERROR_INVALID, src, "delivery",
                    _("must be webhook, email or pull"));
      return FALSE;
    }

  if (p->plain)
    {
      g_autofree char *scheme = NULL;
      g_autofree char *host = NULL;

      /* Unsealed reports may only ever cross the network inside TLS that we
       * set up ourselves: a webhook to https://.  Mail relays and the pull
       * queue would hold the plain text. */
      if (p->delivery != PARTNER_DELIVERY_WEBHOOK
          || !partner_url_parts (p->url, &scheme, &host)
          || !g_str_equal (scheme, "https"))
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src, "plain",
                        _("plain = true is allowed only with delivery ="
                          " webhook to an https:// url"));
          return FALSE;
        }
    }
  else
    {
      static const guint8 zero[32];

      if (sodium_memcmp (p->public_key, zero, sizeof zero) == 0)
        {
          partner_fail (error, PARTNER_ERROR_INVALID, src, "public_key",
                        _("required (or public_key_file): reports are sealed"
                          " to this key (the partner's saferoute-inbox gives it)"));
          return FALSE;
        }
    }
  if (p->may_tell_police > PARTNER_POLICE_ONLY_DANGER)
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "may_tell_police",
                    _("must be if-you-agree or only-danger"));
      return FALSE;
    }
  return TRUE;
}

/* ---- The directory ---- */

PartnerDirectory *
partner_directory_new (void)
{
  PartnerDirectory *dir = g_new0 (PartnerDirectory, 1);

  dir->partners = g_ptr_array_new_with_free_func ((GDestroyNotify) partner_free);
  dir->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  return dir;
}

void
partner_directory_free (PartnerDirectory *dir)
{
  if (dir == NULL)
    return;
  g_hash_table_destroy (dir->by_id);
  g_ptr_array_unref (dir->partners);
  g_free (dir);
}

static gboolean
partner_directory_insert (PartnerDirectory *dir, Partner *partner,
                          const PartnerSource *src, GError **error)
{
  if (!partner_check (partner, src, error))
    {
      partner_free (partner);
      return FALSE;
    }
  if (g_hash_table_contains (dir->by_id, partner->id))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "id",
                    _("partner id “%s” is used twice"), partner->id);
      partner_free (partner);
      return FALSE;
    }
  g_ptr_array_add (dir->partners, partner);
  g_hash_table_insert (dir->by_id, partner->id, partner);
  return TRUE;
}

gboolean
partner_directory_add (PartnerDirectory *dir, Partner *partner,
                       GError **error)
{
  PartnerSource src = { NULL, NULL, NULL };

  g_return_val_if_fail (dir != NULL && partner != NULL, FALSE);

  src.id = partner->id;
  return partner_directory_insert (dir, partner, &src, error);
}

guint
partner_directory_size (const PartnerDirectory *dir)
{
  g_return_val_if_fail (dir != NULL, 0);
  return dir->partners->len;
}

const Partner *
partner_directory_nth (const PartnerDirectory *dir, guint i)
{
  g_return_val_if_fail (dir != NULL, NULL);
  if (i >= dir->partners->len)
    return NULL;
  return g_ptr_array_index (dir->partners, i);
}

const Partner *
partner_directory_lookup (const PartnerDirectory *dir, const char *id)
{
  g_return_val_if_fail (dir != NULL, NULL);
  if (id == NULL)
    return NULL;
  return g_hash_table_lookup (dir->by_id, id);
}

const Partner *
partner_directory_by_token (const PartnerDirectory *dir, const char *token)
{
  const Partner *found = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  if (token == NULL || token[0] == '\0')
    return NULL;
  /* Compare with every pull partner, without stopping at a match, so the
   * time taken does not tell which partner (or how many) came before. */
  for (guint i = 0; i < dir->partners->len; i++)
    {
      const Partner *p = g_ptr_array_index (dir->partners, i);
      gboolean match;

      if (p->delivery != PARTNER_DELIVERY_PULL)
        continue;
      match = signature_equal (token, p->pull_token);
      if (match && found == NULL)
        found = p;
    }
  return found;
}

/* ---- Loading from the configuration ---- */

/* Conf errors already name the place; the directory speaks PARTNER_ERROR. */
static gboolean
partner_conf_failed (GError *local, GError **error)
{
  if (local == NULL)
    return FALSE;
  g_set_error_literal (error, PARTNER_ERROR, PARTNER_ERROR_INVALID,
                       local->message);
  g_error_free (local);
  return TRUE;
}

static gboolean
partner_load_enum (const PartnerSource *src, const char *key,
                   const char *default_value, const char *const *table,
                   PartnerError code, const char *why, int *out,
                   GError **error)
{
  GError *local = NULL;
  g_autofree char *value = conf_get_string (src->conf, src->group, key,
                                            default_value, &local);

  if (partner_conf_failed (local, error))
    return FALSE;
  *out = partner_index (table, value);
  if (*out < 0)
    {
      partner_fail (error, code, src, key, "“%s”: %s", value, why);
      return FALSE;
    }
  return TRUE;
}

/* KEY inline or KEY_file (a file holding it); at most one of the two. */
static gboolean
partner_load_secret (const PartnerSource *src, const char *key,
                     gboolean must_be_private, char **out, GError **error)
{
  g_autofree char *file_key = g_strconcat (key, "_file", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) io = NULL;
  GError *local = NULL;
  char *contents = NULL;
  gsize len = 0;

  *out = NULL;
  if (!conf_has_key (src->conf, src->group, file_key))
    {
      *out = conf_get_string (src->conf, src->group, key, "", &local);
      if (partner_conf_failed (local, error))
        return FALSE;
      if ((*out)[0] == '\0')
        g_clear_pointer (out, g_free);
      return TRUE;
    }
  if (conf_has_key (src->conf, src->group, key))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, file_key,
                    _("give %s or %s, not both"), key, file_key);
      return FALSE;
    }
  path = conf_get_path (src->conf, src->group, file_key, NULL,
                        must_be_private, &local);
  if (partner_conf_failed (local, error))
    return FALSE;
  if (!g_file_get_contents (path, &contents, &len, &io))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, file_key, "%s",
                    io->message);
      return FALSE;
    }
  g_strstrip (contents);
  if (contents[0] == '\0')
    {
      partner_free_secret (contents);
      partner_fail (error, PARTNER_ERROR_INVALID, src, file_key,
                    _("%s is empty"), path);
      return FALSE;
    }
  *out = contents;
  return TRUE;
}

static gboolean
partner_load_key (const PartnerSource *src, Partner *p, GError **error)
{
  g_autofree char *text = NULL;
  const char *key = conf_has_key (src->conf, src->group, "public_key_file")
    ? "public_key_file" : "public_key";

  if (!partner_load_secret (src, "public_key", FALSE, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!partner_decode_key (text, p->public_key))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, key,
                    _("expected a public key in standard base64 of 32 bytes"
                      " (44 characters ending in =)"));
      return FALSE;
    }
  return TRUE;
}

static char *
partner_load_optional (const PartnerSource *src, const char *key,
                       GError **error)
{
  GError *local = NULL;
  char *value = conf_get_string (src->conf, src->group, key, "", &local);

  if (partner_conf_failed (local, error))
    return NULL;
  if (value[0] == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

#define PARTNER_OPTIONAL(field, key)                              \
  G_STMT_START {                                                  \
    GError *opt_error = NULL;                                     \
    p->field = partner_load_optional (src, key, &opt_error);      \
    if (opt_error != NULL)                                        \
      {                                                           \
        g_propagate_error (error, opt_error);                     \
        return NULL;                                              \
      }                                                           \
  } G_STMT_END

static Partner *
partner_load_one (const PartnerSource *src, GError **error)
{
  g_autoptr(Partner) p = partner_new ();
  GError *local = NULL;
  int kind, delivery, police;

  p->id = g_strdup (src->id);
  /* The firewall questions come first, so that a forbidden partner is
   * always refused as such even when other keys are missing. */
  PARTNER_OPTIONAL (name, "name");
  PARTNER_OPTIONAL (url, "url");
  PARTNER_OPTIONAL (email_to, "email_to");
  PARTNER_OPTIONAL (email_from, "email_from");
  PARTNER_OPTIONAL (smtp_url, "smtp_url");
  PARTNER_OPTIONAL (smtp_user, "smtp_user");
  if (!partner_check_firewall (p, src, error))
    return NULL;
  if (!partner_id_valid (p->id))
    {
      partner_fail (error, PARTNER_ERROR_INVALID, src, "id",
                    _("“%s” is not a partner id: use 1 to 40 lower-case"
                      " letters, digits and hyphens, as in [partner"
                      " rights-centre]"), src->id);
      return NULL;
    }
  if (!partner_load_enum (src, "kind", NULL, partner_kinds,
                          PARTNER_ERROR_FORBIDDEN,
                          /* TRANSLATORS: promise 1 of saferoute. */
                          _("a partner must be a support, advocacy,"
                            " legal-advice or helpline organisation."
                            " saferoute only delivers to support"
                            " organisations, never to the Home Office or"
                            " Immigration Enforcement"), &kind, error))
    return NULL;
  p->kind = (PartnerKind) kind;

  g_free (p->name);
  p->name = conf_get_string (src->conf, src->group, "name", NULL, &local);
  if (partner_conf_failed (local, error))
    return NULL;
  PARTNER_OPTIONAL (description, "description");
  PARTNER_OPTIONAL (phone, "phone");

  g_strfreev (p->services);
  p->services = conf_get_list (src->conf, src->group, "services", &local);
  if (partner_conf_failed (local, error))
    return NULL;
  g_strfreev (p->languages);
  p->languages = conf_get_list (src->conf, src->group, "languages", &local);
  if (partner_conf_failed (local, error))
    return NULL;
  g_strfreev (p->areas);
  if (conf_has_key (src->conf, src->group, "areas"))
    p->areas = conf_get_list (src->conf, src->group, "areas", &local);
  else
    p->areas = g_strsplit ("*", ",", -1);
  if (partner_conf_failed (local, error))
    return NULL;

  if (!conf_get_bool (src->conf, src->group, "interpreters", FALSE,
                      &p->interpreters, &local)
      || !conf_get_bool (src->conf, src->group, "woman_worker", FALSE,
                         &p->woman_worker, &local)
      || !conf_get_bool (src->conf, src->group, "plain", FALSE,
                         &p->plain, &local))
    {
      partner_conf_failed (local, error);
      return NULL;
    }

  if (!partner_load_enum (src, "delivery", NULL, partner_deliveries,
                          PARTNER_ERROR_INVALID,
                          _("must be webhook, email or pull"),
                          &delivery, error)
      || !partner_load_enum (src, "may_tell_police", "if-you-agree",
                             partner_polices, PARTNER_ERROR_INVALID,
                             _("must be if-you-agree or only-danger"),
                             &police, error))
    return NULL;
  p->delivery = (PartnerDelivery) delivery;
  p->may_tell_police = (PartnerPolice) police;

  if (!partner_load_secret (src, "hmac_secret", TRUE, &p->hmac_secret, error)
      || !partner_load_secret (src, "smtp_password", TRUE, &p->smtp_password,
                               error)
      || !partner_load_secret (src, "pull_token", TRUE, &p->pull_token, error)
      || !partner_load_key (src, p, error))
    return NULL;
  return g_steal_pointer (&p);
}

PartnerDirectory *
partner_directory_load (const Conf *conf, GError **error)
{
  g_autoptr(PartnerDirectory) dir = partner_directory_new ();
  g_auto(GStrv) groups = NULL;

  g_return_val_if_fail (conf != NULL, NULL);

  groups = conf_groups (conf);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      PartnerSource src = { conf, groups[i], NULL };
      Partner *p;

      if (!g_str_equal (groups[i], "partner")
          && !g_str_has_prefix (groups[i], "partner "))
        continue;
      src.id = groups[i][7] == ' ' ? groups[i] + 8 : "";
      conf_warn_unknown_keys (conf, groups[i], partner_known_keys);
      p = partner_load_one (&src, error);
      if (p == NULL || !partner_directory_insert (dir, p, &src, error))
        return NULL;
    }
  return g_steal_pointer (&dir);
}
