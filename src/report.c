/* report: the report v1 model, its validation, its JSON and reference codes.
 *
 * Owns what a report may contain.  One table (report_fields) lists every
 * field in JSON order with its limits, so validation, JSON in and out,
 * report_shared_fields and report_free cannot drift apart: what the person
 * is shown as "shared" is exactly what the JSON carries.
 *
 * Invariants: a Report lives only in memory (nothing here touches disk, so
 * a crash leaves nothing behind); report_to_json of a report that passed
 * report_validate is read back by report_from_json to an equal report
 * (validation includes the size of the JSON); report_free wipes every
 * string before freeing it.
 *
 * Failure: every error names the field by its JSON path ("contact.phone")
 * and never quotes the value, which may be personal data.  Error messages
 * are English protocol text for API clients and logs; the wizards check
 * their own input and speak to the person in their language.
 *
 * An empty string is treated as no value everywhere (a web form sends
 * empty fields), so "" never reaches the JSON or the list of shared fields.
 *
 * Reference codes: the alphabet DESIGN.md asks for (no 0/O, 1/I/L, 2/Z,
 * 5/S, 8/B, U/V) has 23 symbols, not 24.  23 being prime is what makes the
 * check character work: with weights 8..1 and the sum of weight x value
 * over all eight symbols = 0 (mod 23), a single substitution changes the
 * sum by w*d and an adjacent transposition by d (weights differ by 1),
 * neither of which can be 0 mod a prime when d != 0.  (Luhn mod N misses
 * some transpositions; ISBN-10 uses the same weighted scheme mod 11.)
 * report_ref_normalize does not map confusable characters: both sides of
 * every confusion (O and 0, I/L and 1, ...) are outside the alphabet, so a
 * code that was read correctly never contains them and there is no symbol
 * to map them to.  It rejects them, and the person is asked again. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <json-glib/json-glib.h>

#include "jsondoc.h"
#include "report.h"

G_DEFINE_QUARK (saferoute-report-error-quark, report_error)

const char *const report_categories[] = {
  "domestic-abuse", "honour-based-abuse", "forced-marriage", "fgm",
  "modern-slavery", "sexual-violence", "hate-crime", "other", NULL
};
const char *const report_contact_methods[] = {
  "none", "phone", "sms", "trusted-person", NULL
};
const char *const report_channels[] = { "kiosk", "sms", "web", "api", NULL };
const char *const report_languages[] = {
  "en", "pa", "ur", "ar", "so", "sq", NULL
};

/* The latest time RFC 3339 can write: 9999-12-31T23:59:59Z. */
#define REPORT_TIME_MAX G_GINT64_CONSTANT (253402300799)

typedef enum
{
  FIELD_TEXT,
  FIELD_BOOLEAN,
  FIELD_TIME,
} FieldKind;

typedef struct
{
  const char         *group;      /* enclosing JSON object, or NULL */
  const char         *name;       /* member name inside it */
  const char         *path;       /* group.name, for errors and the ledger */
  FieldKind           kind;
  gsize               offset;     /* in Report */
  gsize               max;        /* FIELD_TEXT: bytes */
  gboolean            required;
  gboolean            multiline;  /* newline and tab allowed */
  const char *const  *choices;    /* allowed values, or NULL */
  gboolean          (*check) (const char *value);
  const char         *check_says; /* why CHECK refused */
} ReportField;

static gboolean report_uuid_valid (const char *value);
static gboolean report_partner_id_valid (const char *value);
static gboolean report_phone_valid (const char *value);
static gboolean report_language_code_valid (const char *value);

#define OFF(member) G_STRUCT_OFFSET (Report, member)
#define SHORT REPORT_SHORT_FIELD_MAX

static const ReportField report_fields[] = {
  { NULL, "id", "id", FIELD_TEXT, OFF (id), SHORT, TRUE, FALSE, NULL,
    report_uuid_valid, "not a UUID" },
  { NULL, "ref", "ref", FIELD_TEXT, OFF (ref), SHORT, TRUE, FALSE, NULL,
    report_ref_valid, "not a valid reference code" },
  { NULL, "channel", "channel", FIELD_TEXT, OFF (channel), SHORT, TRUE,
    FALSE, report_channels, NULL, NULL },
  { NULL, "language", "language", FIELD_TEXT, OFF (language), SHORT, TRUE,
    FALSE, report_languages, NULL, NULL },
  { NULL, "created_at", "created_at", FIELD_TIME, OFF (created_at), 0, TRUE,
    FALSE, NULL, NULL, NULL },
  { NULL, "category", "category", FIELD_TEXT, OFF (category), SHORT, TRUE,
    FALSE, report_categories, NULL, NULL },
  { NULL, "partner", "partner", FIELD_TEXT, OFF (partner), SHORT, TRUE,
    FALSE, NULL, report_partner_id_valid,
    "must be 1 to 40 of a-z, 0-9 and '-', not starting with '-'" },
  { "contact", "method", "contact.method", FIELD_TEXT, OFF (contact.method),
    SHORT, TRUE, FALSE, report_contact_methods, NULL, NULL },
  { "contact", "phone", "contact.phone", FIELD_TEXT, OFF (contact.phone),
    SHORT, FALSE, FALSE, NULL, report_phone_valid,
    "must be a phone number: an optional '+', then 7 to 20 digits and spaces" },
  { "contact", "safe_times", "contact.safe_times", FIELD_TEXT,
    OFF (contact.safe_times), SHORT, FALSE, TRUE, NULL, NULL, NULL },
  { "contact", "voicemail_ok", "contact.voicemail_ok", FIELD_BOOLEAN,
    OFF (contact.voicemail_ok), 0, FALSE, FALSE, NULL, NULL, NULL },
  { "contact", "sms_ok", "contact.sms_ok", FIELD_BOOLEAN,
    OFF (contact.sms_ok), 0, FALSE, FALSE, NULL, NULL, NULL },
  { "contact", "interpreter_language", "contact.interpreter_language",
    FIELD_TEXT, OFF (contact.interpreter_language), SHORT, FALSE, FALSE,
    NULL, report_language_code_valid,
    "must be a language code of 2 or 3 lower-case letters" },
  { "contact", "woman_worker", "contact.woman_worker", FIELD_BOOLEAN,
    OFF (contact.woman_worker), 0, FALSE, FALSE, NULL, NULL, NULL },
  { "contact", "trusted_person", "contact.trusted_person", FIELD_TEXT,
    OFF (contact.trusted_person), SHORT, FALSE, TRUE, NULL, NULL, NULL },
  { "consent", "share_with_partner", "consent.share_with_partner",
    FIELD_BOOLEAN, OFF (share_with_partner), 0, FALSE, FALSE, NULL, NULL,
    NULL },
  { "consent", "partner_may_tell_police", "consent.partner_may_tell_police",
    FIELD_BOOLEAN, OFF (partner_may_tell_police), 0, FALSE, FALSE, NULL,
    NULL, NULL },
  { NULL, "message", "message", FIELD_TEXT, OFF (message), REPORT_MESSAGE_MAX,
    FALSE, TRUE, NULL, NULL, NULL },
  { NULL, "site", "site", FIELD_TEXT, OFF (site), SHORT, FALSE, FALSE, NULL,
    NULL, NULL },
};

#undef OFF
#undef SHORT

static char **
report_text_slot (Report *report, const ReportField *field)
{
  return (char **) G_STRUCT_MEMBER_P (report, field->offset);
}

static const char *
report_text (const Report *report, const ReportField *field)
{
  const char *value = G_STRUCT_MEMBER (const char *, report, field->offset);

  return value != NULL && *value != '\0' ? value : NULL;
}

/* Random material comes from libsodium, which must be initialised once;
 * sodium_init is idempotent and thread-safe. */
static void
report_sodium_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialised");
      g_once_init_leave (&done, 1);
    }
}

/* -- validation ---------------------------------------------------------- */

static gboolean
report_uuid_valid (const char *value)
{
  return g_uuid_string_is_valid (value);
}

/* [a-z0-9][a-z0-9-]{0,39}, as partner.h defines partner ids. */
static gboolean
report_partner_id_valid (const char *value)
{
  gsize n = strlen (value);

  if (n < 1 || n > 40 || value[0] == '-')
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (value[i]) && !g_ascii_isdigit (value[i])
        && value[i] != '-')
      return FALSE;
  return TRUE;
}

/* "+44 7700 900123": an optional '+', then digits and single spaces,
 * starting and ending with a digit; 7 to 20 digits in all. */
static gboolean
report_phone_valid (const char *value)
{
  const char *p = value;
  guint digits = 0;

  if (*p == '+')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digits++;
      else if (*p != ' ' || !g_ascii_isdigit (p[1]))
        return FALSE;
    }
  return digits >= 7 && digits <= 20;
}

static gboolean
report_language_code_valid (const char *value)
{
  gsize n = strlen (value);

  if (n < 2 || n > 3)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (value[i]))
      return FALSE;
  return TRUE;
}

/* Control characters (Unicode Cc: C0, DEL and C1) hide text and break
 * displays and logs; newline and tab are allowed in free text only.
 * VALUE is valid UTF-8. */
static gboolean
report_controls_ok (const char *value, gboolean multiline)
{
  for (const char *p = value; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (multiline && (c == '\n' || c == '\t'))
        continue;
      if (g_unichar_type (c) == G_UNICODE_CONTROL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
report_invalid (GError **error, int code, const char *path, const char *why)
{
  g_set_error (error, REPORT_ERROR, code, "%s: %s", path, why);
  return FALSE;
}

static gboolean
report_validate_text (const char *value, const ReportField *field,
                      GError **error)
{
  if (value == NULL || *value == '\0')
    return !field->required
      || report_invalid (error, REPORT_ERROR_INVALID, field->path,
                         "is required");
  if (strlen (value) > field->max)
    {
      g_set_error (error, REPORT_ERROR, REPORT_ERROR_TOO_LARGE,
                   "%s: longer than %" G_GSIZE_FORMAT " bytes",
                   field->path, field->max);
      return FALSE;
    }
  if (!g_utf8_validate (value, -1, NULL))
    return report_invalid (error, REPORT_ERROR_INVALID, field->path,
                           "not valid UTF-8");
  if (!report_controls_ok (value, field->multiline))
    return report_invalid (error, REPORT_ERROR_INVALID, field->path,
                           field->multiline
                           ? "control characters (other than newline "
                             "and tab) are not allowed"
                           : "control characters are not allowed");
  if (field->choices != NULL
      && !g_strv_contains ((const char *const *) field->choices, value))
    return report_invalid (error, REPORT_ERROR_INVALID, field->path,
                           "not one of the known values");
  if (field->check != NULL && !field->check (value))
    return report_invalid (error, REPORT_ERROR_INVALID, field->path,
                           field->check_says);
  return TRUE;
}

/* The rules that tie fields together. */
static gboolean
report_validate_contact (const Report *report, GError **error)
{
  const char *method = report->contact.method;
  gboolean by_phone = g_strcmp0 (method, "phone") == 0
                      || g_strcmp0 (method, "sms") == 0;
  gboolean has_phone = report->contact.phone != NULL
                       && *report->contact.phone != '\0';
  gboolean has_trusted = report->contact.trusted_person != NULL
                         && *report->contact.trusted_person != '\0';

  if (by_phone && !has_phone)
    return report_invalid (error, REPORT_ERROR_INVALID, "contact.phone",
                           "is required when contact.method is phone or sms");
  if (!by_phone && has_phone)
    return report_invalid (error, REPORT_ERROR_INVALID, "contact.phone",
                           "only allowed when contact.method is phone or sms");
  if (g_strcmp0 (method, "trusted-person") == 0 && !has_trusted)
    return report_invalid (error, REPORT_ERROR_INVALID,
                           "contact.trusted_person",
                           "is required when contact.method is "
                           "trusted-person");
  /* "none" is the anonymous choice: no way to reach the person may go. */
  if (g_strcmp0 (method, "none") == 0 && has_trusted)
    return report_invalid (error, REPORT_ERROR_INVALID,
                           "contact.trusted_person",
                           "not allowed when contact.method is none");
  return TRUE;
}

gboolean
report_validate (const Report *report, GError **error)
{
  g_autofree char *json = NULL;
  gsize length = 0;

  g_return_val_if_fail (report != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (report_fields); i++)
    {
      const ReportField *field = &report_fields[i];

      if (field->kind == FIELD_TEXT
          && !report_validate_text (G_STRUCT_MEMBER (const char *, report,
                                                     field->offset),
                                    field, error))
        return FALSE;
    }
  if (report->created_at < 0 || report->created_at > REPORT_TIME_MAX)
    return report_invalid (error, REPORT_ERROR_INVALID, "created_at",
                           "out of range");
  if (!report_validate_contact (report, error))
    return FALSE;
  /* The report exists to be passed to the partner: without this consent
   * there is nothing to do with it. */
  if (!report->share_with_partner)
    return report_invalid (error, REPORT_ERROR_INVALID,
                           "consent.share_with_partner", "must be true");
  /* Escapes can double the message (quotes, newlines): the JSON must still
   * be readable by report_from_json at the other end. */
  json = report_to_json (report, &length);
  if (length > REPORT_JSON_MAX)
    {
      sodium_memzero (json, length);
      g_set_error (error, REPORT_ERROR, REPORT_ERROR_TOO_LARGE,
                   "report: %" G_GSIZE_FORMAT " bytes as JSON, more than "
                   "the %d allowed", length, REPORT_JSON_MAX);
      return FALSE;
    }
  sodium_memzero (json, length);
  return TRUE;
}

/* -- life cycle ---------------------------------------------------------- */

Report *
report_new (void)
{
  Report *report = g_new0 (Report, 1);

  report->id = g_uuid_string_random ();
  report->ref = report_ref_new ();
  report->created_at = g_get_real_time () / G_USEC_PER_SEC;
  report->channel = g_strdup ("api");
  report->language = g_strdup ("en");
  report->contact.method = g_strdup ("none");
  report->share_with_partner = TRUE;
  return report;
}

static void
report_wipe_free (char *text)
{
  if (text == NULL)
    return;
  sodium_memzero (text, strlen (text));
  g_free (text);
}

void
report_free (Report *report)
{
  if (report == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (report_fields); i++)
    if (report_fields[i].kind == FIELD_TEXT)
      report_wipe_free (*report_text_slot (report, &report_fields[i]));
  sodium_memzero (report, sizeof *report);
  g_free (report);
}

gboolean
report_is_category (const char *category)
{
  return category != NULL
    && g_strv_contains ((const char *const *) report_categories, category);
}

gboolean
report_is_language (const char *language)
{
  return language != NULL
    && g_strv_contains ((const char *const *) report_languages, language);
}

/* -- JSON ---------------------------------------------------------------- */

char *
report_to_json (const Report *report, gsize *length)
{
  g_autoptr(JsonBuilder) builder = NULL;
  const char *group = NULL;

  g_return_val_if_fail (report != NULL, NULL);

  builder = jsondoc_begin ();
  for (gsize i = 0; i < G_N_ELEMENTS (report_fields); i++)
    {
      const ReportField *field = &report_fields[i];

      /* Fields of one group are adjacent in the table. */
      if (g_strcmp0 (group, field->group) != 0)
        {
          if (group != NULL)
            json_builder_end_object (builder);
          group = field->group;
          if (group != NULL)
            {
              json_builder_set_member_name (builder, group);
              json_builder_begin_object (builder);
            }
        }
      switch (field->kind)
        {
        case FIELD_TEXT:
          if (report_text (report, field) == NULL)
            break;
          json_builder_set_member_name (builder, field->name);
          json_builder_add_string_value (builder, report_text (report, field));
          break;
        case FIELD_BOOLEAN:
          json_builder_set_member_name (builder, field->name);
          json_builder_add_boolean_value (
            builder, G_STRUCT_MEMBER (gboolean, report, field->offset));
          break;
        case FIELD_TIME:
          {
            g_autofree char *time = report_format_time (
              G_STRUCT_MEMBER (gint64, report, field->offset));

            if (time == NULL) /* out of range: only in an invalid report */
              break;
            json_builder_set_member_name (builder, field->name);
            json_builder_add_string_value (builder, time);
          }
          break;
        }
    }
  if (group != NULL)
    json_builder_end_object (builder);
  return jsondoc_end (builder, length);
}

static gboolean
report_read_field (Report *report, JsonObject *object,
                   const ReportField *field, const JsondocErrors *codes,
                   GError **error)
{
  g_autofree char *text = NULL;

  switch (field->kind)
    {
    case FIELD_TEXT:
      return jsondoc_string (object, field->name, field->path, codes,
                              report_text_slot (report, field), error);
    case FIELD_BOOLEAN:
      return jsondoc_boolean (object, field->name, field->path, codes,
                               G_STRUCT_MEMBER_P (report, field->offset),
                               error);
    case FIELD_TIME:
      if (!jsondoc_string (object, field->name, field->path, codes, &text,
                            error))
        return FALSE;
      if (text == NULL)
        return report_invalid (error, REPORT_ERROR_INVALID, field->path,
                               "is required");
      if (!report_parse_time (text, G_STRUCT_MEMBER_P (report, field->offset)))
        return report_invalid (error, REPORT_ERROR_PARSE, field->path,
                               "not an RFC 3339 UTC time");
      return TRUE;
    }
  g_assert_not_reached ();
}

Report *
report_from_json (const char *data, gssize length, GError **error)
{
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(Report) report = NULL;
  const JsondocErrors codes = {
    REPORT_ERROR, REPORT_ERROR_PARSE, REPORT_ERROR_INVALID,
    REPORT_ERROR_VERSION, REPORT_ERROR_TOO_LARGE,
  };
  const char *group = NULL;
  JsonObject *object = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  root = jsondoc_read (data, length, REPORT_JSON_MAX, &codes, error);
  if (root == NULL)
    return NULL;
  report = g_new0 (Report, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (report_fields); i++)
    {
      const ReportField *field = &report_fields[i];

      if (i == 0 || g_strcmp0 (group, field->group) != 0)
        {
          group = field->group;
          object = root;
          if (group != NULL
              && !jsondoc_object (root, group, group, &codes, &object,
                                   error))
            return NULL;
        }
      if (!report_read_field (report, object, field, &codes, error))
        return NULL;
    }
  if (!report_validate (report, error))
    return NULL;
  return g_steal_pointer (&report);
}

char **
report_shared_fields (const Report *report)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  g_return_val_if_fail (report != NULL, NULL);

  /* Exactly what report_to_json writes: booleans and the time always,
   * text when it has a value. */
  for (gsize i = 0; i < G_N_ELEMENTS (report_fields); i++)
    if (report_fields[i].kind != FIELD_TEXT
        || report_text (report, &report_fields[i]) != NULL)
      g_strv_builder_add (names, report_fields[i].path);
  return g_strv_builder_end (names);
}

/* -- reference codes ----------------------------------------------------- */

static const char report_ref_alphabet[] = "34679ACDEFGHJKMNPQRTWXY";
#define REF_RADIX   23 /* sizeof report_ref_alphabet - 1; prime */
#define REF_SYMBOLS 8

static int
report_ref_value (char c)
{
  const char *p;

  if (c == '\0')
    return -1;
  p = strchr (report_ref_alphabet, c);
  return p != NULL ? (int) (p - report_ref_alphabet) : -1;
}

/* Weighted sum of the first N values with weights 8, 7, ... (mod 23). */
static guint
report_ref_sum (const int *values, guint n)
{
  guint sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (guint) (REF_SYMBOLS - i) * (guint) values[i];
  return sum % REF_RADIX;
}

/* "XXXXXXXX" (8 symbols) -> "XXXX-XXXX" if its check character holds. */
static char *
report_ref_format (const int values[REF_SYMBOLS])
{
  char out[REF_SYMBOLS + 2];
  guint j = 0;

  if (report_ref_sum (values, REF_SYMBOLS) != 0)
    return NULL;
  for (guint i = 0; i < REF_SYMBOLS; i++)
    {
      if (i == 4)
        out[j++] = '-';
      out[j++] = report_ref_alphabet[values[i]];
    }
  out[j] = '\0';
  return g_strdup (out);
}

char *
report_ref_new (void)
{
  int values[REF_SYMBOLS];

  report_sodium_init ();
  for (guint i = 0; i < REF_SYMBOLS - 1; i++)
    values[i] = (int) randombytes_uniform (REF_RADIX);
  /* The check symbol has weight 1: it is what brings the sum to 0. */
  values[REF_SYMBOLS - 1] = (int) ((REF_RADIX
                                    - report_ref_sum (values, REF_SYMBOLS - 1))
                                   % REF_RADIX);
  return report_ref_format (values);
}

gboolean
report_ref_valid (const char *ref)
{
  int values[REF_SYMBOLS];
  guint j = 0;

  if (ref == NULL || strlen (ref) != REF_SYMBOLS + 1 || ref[4] != '-')
    return FALSE;
  for (guint i = 0; i < REF_SYMBOLS + 1; i++)
    {
      if (i == 4)
        continue;
      values[j] = report_ref_value (ref[i]);
      if (values[j++] < 0)
        return FALSE;
    }
  return report_ref_sum (values, REF_SYMBOLS) == 0;
}

/* What a person may type between symbols: white space and dashes,
 * including the ones phones substitute (no-break space, Unicode hyphens
 * and dashes, minus sign). */
static gboolean
report_ref_separator (gunichar c)
{
  return g_unichar_isspace (c) || c == 0x00A0 || c == '-' || c == '_'
         || c == '.' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

char *
report_ref_normalize (const char *text)
{
  int values[REF_SYMBOLS];
  guint n = 0;

  g_return_val_if_fail (text != NULL, NULL);

  /* Long enough for a code written with generous spacing, and no more. */
  if (strlen (text) > 64 || !g_utf8_validate (text, -1, NULL))
    return NULL;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      int digit = g_unichar_digit_value (c);
      int value;

      if (report_ref_separator (c))
        continue;
      /* Arabic-Indic, Urdu (extended) and Gurmukhi keyboards type their
       * own digits; the code means the same digit. */
      if (digit >= 0)
        c = '0' + (gunichar) digit;
      if (c >= 0x80)
        return NULL;
      value = report_ref_value (g_ascii_toupper ((char) c));
      if (value < 0 || n == REF_SYMBOLS)
        return NULL;
      values[n++] = value;
    }
  if (n != REF_SYMBOLS)
    return NULL;
  return report_ref_format (values);
}

/* -- time ---------------------------------------------------------------- */

char *
report_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_seconds);

  if (time == NULL || unix_seconds > REPORT_TIME_MAX)
    return NULL;
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                          g_date_time_get_year (time),
                          g_date_time_get_month (time),
                          g_date_time_get_day_of_month (time),
                          g_date_time_get_hour (time),
                          g_date_time_get_minute (time),
                          g_date_time_get_second (time));
}

/* N decimal digits at *P, then SEP (or '\0' for none). */
static gboolean
report_time_part (const char **p, guint n, char sep, int *value)
{
  *value = 0;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      *value = *value * 10 + ((*p)[i] - '0');
    }
  *p += n;
  if (sep == '\0')
    return TRUE;
  if (**p != sep && !(sep == 'T' && **p == 't'))
    return FALSE;
  (*p)++;
  return TRUE;
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00): RFC 3339 in UTC only.  'T' and
 * 'Z' may be lower case, as RFC 3339 allows; fractions are dropped. */
gboolean
report_parse_time (const char *text, gint64 *unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;
  const char *p = text;
  int year, month, day, hour, minute, second;

  g_return_val_if_fail (unix_seconds != NULL, FALSE);

  if (text == NULL
      || !report_time_part (&p, 4, '-', &year)
      || !report_time_part (&p, 2, '-', &month)
      || !report_time_part (&p, 2, 'T', &day)
      || !report_time_part (&p, 2, ':', &hour)
      || !report_time_part (&p, 2, ':', &minute)
      || !report_time_part (&p, 2, '\0', &second))
    return FALSE;
  if (*p == '.')
    {
      if (!g_ascii_isdigit (p[1]))
        return FALSE;
      for (p++; g_ascii_isdigit (*p); p++)
        ;
    }
  if (strcmp (p, "Z") != 0 && strcmp (p, "z") != 0
      && strcmp (p, "+00:00") != 0)
    return FALSE;
  /* GDateTime checks the ranges (month 1-12, the days of that month,
   * hour < 24, ...); a leap second (:60) is refused. */
  time = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (time == NULL)
    return FALSE;
  *unix_seconds = g_date_time_to_unix (time);
  return TRUE;
}
