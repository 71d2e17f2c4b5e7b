/* report: the report v1 model (DESIGN.md), its validation and its JSON.
 *
 * A Report exists only in memory until it is sealed (seal.h).  Validation
 * is strict: valid UTF-8 without control characters (but newline and tab
 * in the message), known enums, bounded sizes.  Reference codes are random,
 * short, read aloud easily and carry a check character; they are never
 * derived from personal data. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define REPORT_ERROR (report_error_quark ())
GQuark report_error_quark (void);

typedef enum
{
  REPORT_ERROR_INVALID,   /* a field is wrong: the message names it */
  REPORT_ERROR_TOO_LARGE, /* a field or the whole report is too long */
  REPORT_ERROR_PARSE,     /* not JSON, or not a report */
  REPORT_ERROR_VERSION,   /* a "v" we do not know */
} ReportError;

/* Limits, in bytes of UTF-8. */
#define REPORT_MESSAGE_MAX        8000
#define REPORT_SHORT_FIELD_MAX     200
#define REPORT_JSON_MAX          16384

/* Categories (DESIGN.md), in display order; NULL-terminated. */
extern const char *const report_categories[];
/* Contact methods: "none" (anonymous), "phone", "sms", "trusted-person". */
extern const char *const report_contact_methods[];
/* Channels: "kiosk", "sms", "web", "api". */
extern const char *const report_channels[];
/* Languages the front doors speak: en pa ur ar so sq. */
extern const char *const report_languages[];

typedef struct
{
  char     *method;               /* report_contact_methods */
  char     *phone;                /* only with phone or sms */
  char     *safe_times;           /* free text, e.g. "weekdays 10-12" */
  gboolean  voicemail_ok;
  gboolean  sms_ok;
  char     *interpreter_language; /* language code or NULL */
  gboolean  woman_worker;
  char     *trusted_person;       /* how to reach them via someone trusted */
} ReportContact;

typedef struct
{
  char          *id;          /* UUID v4 */
  char          *ref;         /* reference code, e.g. "K7QM-4XPA" */
  char          *channel;
  char          *language;
  gint64         created_at;  /* UNIX seconds, UTC; RFC 3339 in JSON */
  char          *category;
  char          *partner;     /* partner id */
  ReportContact  contact;
  gboolean       share_with_partner;
  gboolean       partner_may_tell_police;
  char          *message;     /* optional free text */
  char          *site;        /* kiosk site or gateway name; optional */
} Report;

/* A new report with a fresh id, reference code and created_at = now. */
Report   *report_new        (void);
void      report_free       (Report       *report);
gboolean  report_validate   (const Report *report,
                             GError      **error);
/* Compact JSON ("v":1 first); never fails on a valid report. */
char     *report_to_json    (const Report *report,
                             gsize        *length);
/* Parses and validates.  Unknown fields are ignored (a newer writer). */
Report   *report_from_json  (const char   *data,
                             gssize        length,
                             GError      **error);
gboolean  report_is_category (const char *category);
gboolean  report_is_language (const char *language);

/* What the person is told will be shared: field names in the JSON sense
 * ("category", "message", "contact.phone", ...), only those with a value.
 * NULL-terminated; free with g_strfreev. */
char    **report_shared_fields (const Report *report);

/* Reference codes: 8 symbols from an alphabet without 0/O, 1/I/L, 2/Z,
 * 5/S, 8/B, U/V, as XXXX-XXXX, the last being a check character over the
 * first seven.  report_ref_normalize accepts lower case, spaces, dashes
 * and non-ASCII digits (Arabic-Indic, Gurmukhi) and returns the canonical
 * form or NULL; the excluded look-alikes (O, 0, I, 1, ...) are refused, as
 * there is no symbol they could stand for. */
char     *report_ref_new        (void);
gboolean  report_ref_valid      (const char *ref);
char     *report_ref_normalize  (const char *text);

/* RFC 3339 UTC ("2026-11-21T21:20:00Z") <-> UNIX seconds. */
char     *report_format_time    (gint64 unix_seconds);
gboolean  report_parse_time     (const char *text,
                                 gint64     *unix_seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Report, report_free)

G_END_DECLS
