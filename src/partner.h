/* partner: the directory of partner organisations, from [partner ID] groups.
 *
 * The firewall promise (DESIGN.md, promise 1) is enforced here, at load
 * time: a partner must be of one of four kinds, and no delivery address
 * (webhook host, e-mail domain, SMTP host) may lie under a Home Office
 * domain.  A directory that fails either check does not load at all. */
#pragma once

#include <glib.h>
#include "conf.h"

G_BEGIN_DECLS

#define PARTNER_ERROR (partner_error_quark ())
GQuark partner_error_quark (void);

typedef enum
{
  PARTNER_ERROR_INVALID,    /* bad or missing value */
  PARTNER_ERROR_FORBIDDEN,  /* firewall: Home Office domain or other kind */
} PartnerError;

typedef enum
{
  PARTNER_KIND_SUPPORT,
  PARTNER_KIND_ADVOCACY,
  PARTNER_KIND_LEGAL_ADVICE,
  PARTNER_KIND_HELPLINE,
} PartnerKind;

typedef enum
{
  PARTNER_DELIVERY_WEBHOOK,
  PARTNER_DELIVERY_EMAIL,
  PARTNER_DELIVERY_PULL,
} PartnerDelivery;

/* What the partner's disclosure card says about the police. */
typedef enum
{
  /* Only if you agree, except when someone is in immediate danger. */
  PARTNER_POLICE_IF_YOU_AGREE,
  /* Never, except when someone is in immediate danger. */
  PARTNER_POLICE_ONLY_DANGER,
} PartnerPolice;

typedef struct
{
  char           *id;             /* [partner ID]: [a-z0-9-]{1,40} */
  char           *name;           /* display name */
  char           *description;    /* one plain sentence: what they do */
  PartnerKind     kind;
  char          **services;       /* categories (report.h), or "*" */
  char          **languages;      /* en pa ur ar so sq ... */
  char          **areas;          /* free-form area names, or "*" = anywhere */
  gboolean        interpreters;   /* can bring an interpreter */
  gboolean        woman_worker;   /* can offer a woman support worker */
  char           *phone;          /* public phone number shown on the card */
  PartnerDelivery delivery;
  char           *url;            /* webhook: https:// (http:// loopback only) */
  char           *email_to;       /* email: recipient address */
  char           *email_from;     /* email: envelope sender */
  char           *smtp_url;       /* email: smtp://host:port (STARTTLS) or smtps:// */
  char           *smtp_user;
  char           *smtp_password;
  char           *hmac_secret;    /* webhook signing secret */
  char           *pull_token;     /* pull: bearer token for the partner API */
  guint8          public_key[32]; /* crypto_box public key */
  gboolean        plain;          /* send the report unsealed (TLS only) */
  PartnerPolice   may_tell_police;
} Partner;

typedef struct _PartnerDirectory PartnerDirectory;

/* Loads every [partner ID] group.  Unknown keys warn; a forbidden partner is
 * an error naming the file, line and key. */
PartnerDirectory *partner_directory_load   (const Conf        *conf,
                                            GError           **error);
PartnerDirectory *partner_directory_new    (void);
/* Takes ownership of PARTNER after checking it (same rules as load). */
gboolean          partner_directory_add    (PartnerDirectory  *dir,
                                            Partner           *partner,
                                            GError           **error);
void              partner_directory_free   (PartnerDirectory  *dir);
guint             partner_directory_size   (const PartnerDirectory *dir);
const Partner    *partner_directory_nth    (const PartnerDirectory *dir,
                                            guint              i);
const Partner    *partner_directory_lookup (const PartnerDirectory *dir,
                                            const char        *id);
/* Constant-time comparison against every pull partner's token. */
const Partner    *partner_directory_by_token (const PartnerDirectory *dir,
                                              const char        *token);

/* TRUE if URL may carry reports: https://, or http:// only to a loopback
 * address (127.0.0.0/8, ::1, localhost).  The forwarder checks again
 * before every transfer. */
gboolean          partner_url_allowed       (const char *url,
                                             GError    **error);
/* TRUE if HOST is a loopback name or address. */
gboolean          partner_host_is_loopback  (const char *host);

/* The firewall check on one address (URL, e-mail address or host name):
 * TRUE if it is under a Home Office domain. */
gboolean          partner_address_forbidden (const char *address);

Partner          *partner_new              (void);
void              partner_free             (Partner *partner);
const char       *partner_kind_to_string   (PartnerKind kind);
const char       *partner_delivery_to_string (PartnerDelivery delivery);
const char       *partner_police_to_string (PartnerPolice police);
gboolean          partner_serves           (const Partner *partner,
                                            const char    *category);
gboolean          partner_speaks           (const Partner *partner,
                                            const char    *language);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Partner, partner_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PartnerDirectory, partner_directory_free)

G_END_DECLS
