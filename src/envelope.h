/* envelope: what travels and what is stored, envelope v1 (DESIGN.md):
 *   {"v":1,"id","ref","partner","created_at","sealed":BASE64}
 * or "report":{...} instead of "sealed" for a partner set to plain delivery.
 * The envelope id is also the delivery id (one envelope, one recipient) and
 * so the Idempotency-Key that partners de-duplicate by. */
#pragma once

#include <glib.h>
#include "report.h"

G_BEGIN_DECLS

#define ENVELOPE_ERROR (envelope_error_quark ())
GQuark envelope_error_quark (void);

typedef enum
{
  ENVELOPE_ERROR_PARSE,
  ENVELOPE_ERROR_INVALID,
  ENVELOPE_ERROR_VERSION,
  ENVELOPE_ERROR_TOO_LARGE,
} EnvelopeError;

#define ENVELOPE_JSON_MAX 65536

typedef struct
{
  int     v;
  char   *id;
  char   *ref;
  char   *partner;
  gint64  created_at;
  GBytes *sealed;       /* ciphertext, or NULL when plain */
  char   *report_json;  /* plain delivery only, else NULL */
} Envelope;

Envelope *envelope_new       (void);
void      envelope_free      (Envelope   *envelope);
char     *envelope_to_json   (const Envelope *envelope,
                              gsize          *length);
Envelope *envelope_from_json (const char *data,
                              gssize      length,
                              GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Envelope, envelope_free)

G_END_DECLS
