/* intake: the one path by which every front door (kiosk, SMS, web,
 * saferoutectl enqueue) turns a finished report into durable deliveries:
 * validate, check the partner was one the person could choose (route),
 * seal to that partner, and enqueue envelope + delivery + ledger row in
 * one transaction.  Relayed envelopes (kiosk -> gateway) enter here too,
 * sealed and unread.  Returns only after the commit (promise 4). */
#pragma once

#include <glib.h>
#include "report.h"
#include "envelope.h"
#include "partner.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _Intake Intake;

/* With RELAY set (a kiosk forwarding through a gateway), every delivery
 * is a relay delivery; otherwise the partner's own method is used. */
Intake   *intake_new            (Store                  *store,
                                 const PartnerDirectory *partners,
                                 gboolean                relay);
void      intake_free           (Intake *intake);

/* Validates REPORT, checks its partner, seals and enqueues it.  AREA may be
 * NULL.  On success *ENVELOPE_ID (if given) is the new delivery id. */
gboolean  intake_submit         (Intake       *intake,
                                 const Report *report,
                                 const char   *area,
                                 char        **envelope_id,
                                 GError      **error);
/* A sealed envelope from a kiosk: checked (known partner, size, shape),
 * enqueued for the partner.  Idempotent by envelope id: *DUPLICATE says
 * whether it was already here. */
gboolean  intake_submit_envelope (Intake         *intake,
                                  const Envelope *envelope,
                                  const char     *channel,
                                  gboolean       *duplicate,
                                  GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Intake, intake_free)

G_END_DECLS
