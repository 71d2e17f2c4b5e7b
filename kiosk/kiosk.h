/* kiosk: what the kiosk's endpoints share (one file per endpoint group,
 * one route table in server.c). */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "conf.h"
#include "forward.h"
#include "intake.h"
#include "partner.h"
#include "session.h"
#include "store.h"
#include "views.h"
#include "wizard.h"

G_BEGIN_DECLS

/* Debian's fonts-noto-core. */
#define KIOSK_FONTS_DIR "/usr/share/fonts/truetype/noto"

typedef struct _Kiosk
{
  Conf             *conf;
  ViewsSite        *site;
  PartnerDirectory *partners;
  Store            *store;
  Intake           *intake;
  Forwarder        *forwarder;
  SessionStore     *sessions;
  SoupServer       *server;
  WizardContext     context;
  char             *area;
  char             *assets_dir;
  char             *fonts_dir;
  guint             idle_timeout;   /* seconds */
  guint             idle_warning;   /* seconds */
  guint             sweep_id;
  guint64           reports;        /* accepted since start */
  gboolean          secure_cookies; /* add "Secure" (served over https) */
} Kiosk;

/* One request, as the handlers see it. */
typedef struct
{
  SoupServerMessage *msg;
  const char        *method;
  const char        *path;
  const char        *lang;      /* from /LANG/..., else NULL */
  const char        *rest;      /* the path after /LANG (e.g. "/report") */
  Session           *session;   /* the cookie's live session, or NULL */
  gint64             now;       /* monotonic microseconds */
} KioskRequest;

/* server.c */
gboolean kiosk_server_start   (Kiosk       *kiosk,
                               const char  *listen,
                               GError     **error);
/* Serves one request through the route table below: the kiosk's own
 * server, and the gateway's web wizard (context.channel "web", where
 * the same pages are served to phones), both call it. */
void     kiosk_handle         (Kiosk             *kiosk,
                               SoupServerMessage *msg,
                               const char        *path);
/* TRUE when KIOSK serves phones on the web rather than a kiosk screen. */
gboolean kiosk_is_web         (const Kiosk *kiosk);
void     kiosk_reply_html     (KioskRequest *req,
                               guint         status,
                               char         *html);
void     kiosk_redirect       (KioskRequest *req,
                               const char   *location);
/* The session of REQ, created (with its cookie) when there is none. */
Session *kiosk_session        (Kiosk        *kiosk,
                               KioskRequest *req);
void     kiosk_forget_session (Kiosk        *kiosk,
                               KioskRequest *req);
/* A page description for the session and language of REQ. */
void     kiosk_page           (Kiosk        *kiosk,
                               KioskRequest *req,
                               ViewsPage    *page,
                               const char   *lang);
/* Parses an urlencoded POST body and checks its CSRF token; on failure
 * replies 403 with a clear page and returns NULL. */
GHashTable *kiosk_post_form   (Kiosk        *kiosk,
                               KioskRequest *req);
/* Zeroes the values (they may be what the person typed), then frees. */
void     kiosk_form_free      (GHashTable   *form);
void     kiosk_not_found      (Kiosk        *kiosk,
                               KioskRequest *req);

/* front.c: what the kiosk and the gateway's web wizard configure alike.
 * PREFIX names the idle keys ("" -> idle_timeout, "web_" ->
 * web_idle_timeout); TIMEOUT and WARNING are their defaults (seconds).
 * Sets the idle clock, area, site and the context's area and site. */
gboolean kiosk_front_configure (Kiosk       *kiosk,
                                const char  *group,
                                const char  *prefix,
                                gint64       timeout,
                                gint64       warning,
                                GError     **error);
/* ASSETS_DIR and FONTS_DIR: from an option, or NULL. */
gboolean kiosk_front_dirs      (Kiosk       *kiosk,
                                const char  *group,
                                const char  *assets_dir,
                                const char  *fonts_dir,
                                GError     **error);
/* A once-a-second timer: wipes idle sessions even when no request comes
 * (a closed browser).  DATA is the Kiosk. */
gboolean kiosk_front_sweep     (gpointer     data);

/* page-start.c: "/", "/LANG/", "/LANG/explain/N"; "/report" (the web
 * wizard's entry: the language choice, or the browser's language) */
void     kiosk_page_start     (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_choose    (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_explain   (Kiosk *kiosk, KioskRequest *req);
/* page-report.c: "/LANG/report" */
void     kiosk_page_report    (Kiosk *kiosk, KioskRequest *req);
/* page-exit.c: "/exit", "/done", "/timeout", "/LANG/idle", "/keepalive",
 * "/text-size" */
void     kiosk_page_exit      (Kiosk *kiosk, KioskRequest *req);
/* GET "/exit": where the web's quick exit redirects (POST-redirect-GET) */
void     kiosk_page_neutral   (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_done      (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_timeout   (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_idle      (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_keepalive (Kiosk *kiosk, KioskRequest *req);
void     kiosk_page_text_size (Kiosk *kiosk, KioskRequest *req);
/* assets.c: "/assets/..." */
void     kiosk_assets         (Kiosk *kiosk, KioskRequest *req);
/* TRUE if NAME is a plain file name: no "/", no leading ".", only
 * [A-Za-z0-9._-]. */
gboolean kiosk_asset_name_ok  (const char *name);

G_END_DECLS
