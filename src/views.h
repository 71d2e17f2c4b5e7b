/* views: the server-rendered HTML pages of the kiosk and of the gateway's
 * phone web wizard (the same pages, the same paths: DESIGN.md).
 *
 * Every page: <html lang dir>, a skip link, the emergency line (999; on a
 * mobile 999 then 55), the helplines, a Quick exit form (POST /exit; the
 * kiosk's script adds the Escape key), a text-size control (POST
 * /text-size, works without JavaScript), and, when the page has an idle
 * timeout, a <noscript> meta refresh to /LANG/idle.  Every string put into
 * a page is escaped; numbers, codes and names are bidi-isolated.  No
 * inline script or style: the pages work under
 * "Content-Security-Policy: default-src 'self'".
 *
 * Each views_* function renders in PAGE->lang (it switches lang_use and
 * restores the previous language before returning), so call them only
 * from the main loop's thread (lang.h).  They return a new string. */
#pragma once

#include <glib.h>
#include "conf.h"
#include "partner.h"
#include "wizard.h"

G_BEGIN_DECLS

/* What a deployment sets in its [kiosk] (or [gateway]) group. */
typedef struct
{
  char       *site_name;                 /* "site" (may be NULL) */
  char       *domestic_abuse_helpline;   /* "helpline_domestic_abuse", "" hides */
  char       *modern_slavery_helpline;   /* "helpline_modern_slavery", "" hides */
  GHashTable *local_paragraphs;          /* lang -> "local_paragraph_LANG" */
  char       *neutral_title;             /* "neutral_title": the quick-exit page */
} ViewsSite;

ViewsSite  *views_site_new   (void);
/* Reads the keys above from GROUP; unknown keys are the caller's business. */
gboolean    views_site_load  (ViewsSite   *site,
                              const Conf  *conf,
                              const char  *group,
                              GError     **error);
void        views_site_free  (ViewsSite   *site);
/* Keys views_site_load reads (NULL-terminated), for conf_warn_unknown_keys. */
extern const char *const views_site_keys[];

typedef struct
{
  const ViewsSite *site;
  const char      *lang;          /* en pa ur ar so sq */
  const char      *csrf;          /* the session's token, put in every form */
  const char      *path;          /* this page's path: text size returns here */
  const char      *text_size;     /* "normal" (NULL), "large", "larger" */
  guint            idle_warning;  /* seconds to the idle page; 0 = none */
  guint            idle_timeout;  /* seconds to the wipe */
} ViewsPage;

/* "/": every language in its own script. */
char   *views_language_choice (const ViewsPage *page);
/* The explainer screens, N in 1..views_explain_count(). */
guint   views_explain_count   (void);
char   *views_explain         (const ViewsPage *page,
                               guint            n);
/* The wizard's current step (or its check screen). */
char   *views_wizard          (const ViewsPage     *page,
                               const Wizard        *wizard,
                               const WizardContext *context);
char   *views_receipt         (const ViewsPage     *page,
                               const WizardReceipt *receipt,
                               const Partner       *partner);
/* The page shown after a quick exit: no saferoute words at all. */
char   *views_neutral         (const ViewsPage *page);
/* The idle warning without JavaScript: CONTINUE_PATH resumes, otherwise
 * a meta refresh goes to /timeout when the session is wiped. */
char   *views_idle            (const ViewsPage *page,
                               const char      *continue_path,
                               guint            seconds_left);
/* A plain message page (403, 404, expired form).  TITLE and TEXT are
 * msgids, translated here. */
char   *views_message         (const ViewsPage *page,
                               const char      *title,
                               const char      *text);

/* The label of a category, translated in the current language. */
const char *views_category_label (const char *category);

/* TRUE if PATH is one of ours to return to: starts with one "/", no "//",
 * no "..", no backslash, no control characters, no scheme. */
gboolean views_local_path     (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViewsSite, views_site_free)

G_END_DECLS
