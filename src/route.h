/* route: which partners can take a report, best first.
 *
 * Eligible: serves the category and covers the area (or anywhere), and
 * speaks the language or brings an interpreter.  Order: speaks the
 * language, then covers this area specifically, then name. */
#pragma once

#include <glib.h>
#include "partner.h"

G_BEGIN_DECLS

/* Array of const Partner * owned by DIR; empty when none.  AREA may be NULL
 * (unknown: only partners covering anywhere, then the rest). */
GPtrArray     *route_eligible (const PartnerDirectory *dir,
                               const char             *category,
                               const char             *language,
                               const char             *area);
/* The first eligible partner, or NULL. */
const Partner *route_pick     (const PartnerDirectory *dir,
                               const char             *category,
                               const char             *language,
                               const char             *area);
/* TRUE if PARTNER is among route_eligible (...) for these answers: a front
 * door must not send a report to a partner the person could not choose. */
gboolean       route_allows   (const PartnerDirectory *dir,
                               const Partner          *partner,
                               const char             *category,
                               const char             *language,
                               const char             *area);

G_END_DECLS
