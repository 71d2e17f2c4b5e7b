/* jsondoc: what our JSON documents (report v1, envelope v1) have in
 * common, shared by report.c and envelope.c.  Internal to libsaferoute.
 *
 * Writing: a document is an object whose first member is "v":1.
 * Reading: a document is bounded in size before it is parsed, must be one
 * JSON object carrying "v":1 with nothing after it, and may not contain
 * the escape \u0000 (json-glib would silently cut the string there).
 * Members are read by type: a member of the wrong type is an error naming
 * its path; an absent member or a JSON null reads as "no value". */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The caller's error domain and codes, so that errors keep the caller's
 * vocabulary (REPORT_ERROR_PARSE, ENVELOPE_ERROR_PARSE, ...). */
typedef struct
{
  GQuark domain;
  int    parse;      /* not JSON, not an object, a member of a wrong type */
  int    invalid;    /* a required member is missing */
  int    version;    /* "v" is an integer other than 1 */
  int    too_large;  /* the document is longer than MAX */
} JsondocErrors;

/* The root object of DATA (LENGTH bytes, or NUL-terminated if -1), after
 * the checks above.  Unref with json_object_unref. */
JsonObject *jsondoc_read (const char           *data,
                               gssize                length,
                               gsize                 max,
                               const JsondocErrors *codes,
                               GError              **error);

/* Each reads OBJECT's member NAME; PATH names it in errors ("contact.phone").
 * OBJECT may be NULL (an absent parent): the member then has no value. */
gboolean    jsondoc_string   (JsonObject           *object,
                               const char           *name,
                               const char           *path,
                               const JsondocErrors *codes,
                               char                **value,
                               GError              **error);
gboolean    jsondoc_boolean  (JsonObject           *object,
                               const char           *name,
                               const char           *path,
                               const JsondocErrors *codes,
                               gboolean             *value,
                               GError              **error);
/* *VALUE is borrowed from OBJECT, or NULL when absent. */
gboolean    jsondoc_object   (JsonObject           *object,
                               const char           *name,
                               const char           *path,
                               const JsondocErrors *codes,
                               JsonObject          **value,
                               GError              **error);

/* A string member holding strict standard base64 (padding, no whitespace)
 * of at least one byte; anything else is an error (codes->invalid). */
gboolean    jsondoc_base64   (JsonObject           *object,
                               const char           *name,
                               const char           *path,
                               const JsondocErrors *codes,
                               GBytes              **value,
                               GError              **error);

/* A builder inside a new object that already holds "v":1. */
JsonBuilder *jsondoc_begin    (void);
/* Closes that object and returns the compact JSON text. */
char        *jsondoc_end      (JsonBuilder          *builder,
                               gsize                *length);

G_END_DECLS
