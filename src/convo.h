/* convo: the SMS conversation engine, independent of any transport.
 *
 * One ConvoSession per sender holds the chosen language, where the person
 * is in the conversation, their draft answers and the time of their last
 * message.  convo_step() takes one incoming text and returns the replies
 * to send (normalised, within their segment budgets) and the effects the
 * caller must carry out.  It touches no network, disk or clock: the
 * caller passes NOW and stores the session (encrypted: it holds a draft)
 * with convo_session_to_bytes().
 *
 * The caller's duties, by effect:
 *   CONVO_EFFECT_SUBMIT  intake_submit (result->report) and send the
 *                        replies only after it committed; if it failed,
 *                        send convo_submit_failed() instead.
 *   CONVO_EFFECT_FORGET  delete everything kept about this sender (stored
 *                        session, de-duplication records, queued outbound
 *                        texts), then store the (empty) session.
 *   CONVO_EFFECT_STOP    send this step's replies, then nothing more to
 *                        this sender (no notifications either) until a
 *                        step returns CONVO_EFFECT_START.
 * A result with no replies means: send nothing. */
#pragma once

#include <glib.h>
#include "partner.h"
#include "report.h"

G_BEGIN_DECLS

#define CONVO_ERROR (convo_error_quark ())
GQuark convo_error_quark (void);

typedef enum
{
  CONVO_ERROR_CORRUPT,  /* stored session bytes are not a session */
  CONVO_ERROR_VERSION,  /* stored by a newer version */
} ConvoError;

typedef enum
{
  CONVO_EFFECT_NONE   = 0,
  CONVO_EFFECT_SUBMIT = 1 << 0,
  CONVO_EFFECT_FORGET = 1 << 1,
  CONVO_EFFECT_STOP   = 1 << 2,
  CONVO_EFFECT_START  = 1 << 3,
} ConvoEffect;

/* An incoming text longer than this (in characters) is refused with a
 * short reply rather than processed; bytes beyond 4x are not read. */
#define CONVO_TEXT_MAX            2000
/* Default idle time after which a session and its draft are forgotten. */
#define CONVO_IDLE_DEFAULT        (30 * 60)
/* At most this many partners are offered in one text. */
#define CONVO_PARTNERS_MAX        3

typedef struct
{
  const PartnerDirectory *partners;   /* borrowed; must outlive the engine */
  const char *public_url;   /* base of the web wizard: URL/LANG/report */
  gint64      idle_timeout; /* seconds; 0 = CONVO_IDLE_DEFAULT */
  const char *area;         /* this gateway's area for routing, or NULL */
  const char *site;         /* Report.site, or NULL */
  /* National helplines (NULL = the UK defaults of CONTENT.md). */
  const char *helpline_domestic;
  const char *helpline_slavery;
} ConvoConfig;

typedef struct _ConvoEngine  ConvoEngine;
typedef struct _ConvoSession ConvoSession;

typedef struct
{
  char       *text;    /* one SMS message (may be concatenated) */
  guint       budget;  /* segments it was written to fit */
  const char *name;    /* which reply this is ("menu", "lang-prompt", ...) */
} ConvoReply;

typedef struct
{
  GPtrArray  *replies;  /* ConvoReply *, to send in order; may be empty */
  ConvoEffect effects;
  Report     *report;   /* with CONVO_EFFECT_SUBMIT: owned by the result */
} ConvoResult;

/* Copies CONFIG's strings.  Reads every reply text and keyword word of
 * every language's catalog (lang_use) once, here, so call after
 * lang_init(): an engine made earlier stays English.  After this, steps
 * never touch gettext's language, so convo_step, convo_submit_failed and
 * convo_notice may run in any thread (one session per caller). */
ConvoEngine  *convo_engine_new        (const ConvoConfig *config);
void          convo_engine_free       (ConvoEngine       *engine);

ConvoSession *convo_session_new       (void);
void          convo_session_free      (ConvoSession      *session);
/* The language chosen, or NULL before the person chose one. */
const char   *convo_session_language  (const ConvoSession *session);
const char   *convo_session_state     (const ConvoSession *session);
gboolean      convo_session_stopped   (const ConvoSession *session);
gint64        convo_session_last_activity (const ConvoSession *session);
/* TRUE when the session has been idle too long: the caller may delete it
 * (a sweeper), and convo_step() forgets its answers before anything else. */
gboolean      convo_session_expired   (const ConvoEngine  *engine,
                                       const ConvoSession *session,
                                       gint64              now);
/* A compact, versioned serialisation of the whole session, draft
 * included: encrypt it before it touches the disk.  Reads what earlier
 * versions wrote. */
GBytes       *convo_session_to_bytes  (const ConvoSession *session);
ConvoSession *convo_session_from_bytes (GBytes            *bytes,
                                        GError           **error);

/* One incoming TEXT (UTF-8; invalid bytes are replaced) from FROM (the
 * sender's number: used only inside a report where the person asks to be
 * called or texted, never stored in the session) at NOW (UNIX seconds). */
ConvoResult  *convo_step              (ConvoEngine       *engine,
                                       ConvoSession      *session,
                                       const char        *from,
                                       const char        *text,
                                       gint64             now);
/* The caller could not commit SENT's report: puts its answers back in
 * SESSION (at the check step) and returns the reply to send instead. */
ConvoResult  *convo_submit_failed     (ConvoEngine       *engine,
                                       ConvoSession      *session,
                                       const ConvoResult *sent,
                                       gint64             now);
void          convo_result_free       (ConvoResult       *result);

/* Texts the gateway sends outside a step, in SESSION's language (English
 * when SESSION is NULL or has none), within their budgets, and none at
 * all to a stopped session.  DELIVERED takes the reference code and is
 * for a person who asked to be texted; the others are discreet enough to
 * be a stranger's first reply. */
typedef enum
{
  CONVO_NOTICE_RATE_LIMITED,  /* this sender is over the rate limit */
  CONVO_NOTICE_BUSY,          /* the gateway cannot take texts just now */
  CONVO_NOTICE_DELIVERED,     /* the report REF reached the partner */
} ConvoNotice;
ConvoResult  *convo_notice            (ConvoEngine        *engine,
                                       const ConvoSession *session,
                                       ConvoNotice         notice,
                                       const char         *ref);

/* Every fixed reply text (English msgid) with its budget in segments, so
 * tests can check each catalog: NULL-terminated by msgid. */
typedef struct
{
  const char *name;
  const char *msgid;
  guint       budget;
} ConvoText;
const ConvoText *convo_texts          (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvoEngine, convo_engine_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvoSession, convo_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvoResult, convo_result_free)

G_END_DECLS
