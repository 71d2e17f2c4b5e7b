/* bench-util: what the benchmarks share.  A VM's fsync latency drifts by
 * several times within a minute, so a figure and its ceiling are measured
 * in alternating slices, never one after the other. */
#pragma once

#include <glib.h>
#include "partner.h"
#include "report.h"
#include "store.h"

G_BEGIN_DECLS

/* One unit of work of one side; returns how many items it completed. */
typedef guint (*BenchStep) (gpointer data);

typedef struct
{
  BenchStep step;
  gpointer  data;
  guint64   done;     /* items completed over all slices */
  double    seconds;  /* time spent in its slices */
} BenchSide;

double  bench_now        (void);
/* Runs A and B in turns of SLICE seconds until they have had SECONDS
 * together, or until a step of either returns G_MAXUINT (out of work). */
void    bench_alternate  (BenchSide *a,
                          BenchSide *b,
                          double     seconds,
                          double     slice);
double  bench_rate       (const BenchSide *side);
/* Prints "PROGRAM: WHAT: MESSAGE" and exits 1. */
void    bench_die        (const char   *what,
                          const GError *error) G_GNUC_NORETURN;
/* A fresh directory under PARENT (NULL: the current directory, so that
 * fsync hits the real disk rather than a tmpfs). */
char   *bench_make_dir   (const char *parent,
                          const char *prefix);
/* Removes an SQLite file with its -wal, -shm and -lock companions. */
void    bench_remove_db  (const char *path);

/* The one partner the benchmarks deliver to: webhook to URL, signing
 * secret, sealing key PUBLIC_KEY; takes domestic-abuse in en and ur. */
#define BENCH_PARTNER_ID "abuse-support"
Partner *bench_partner_new (const char   *url,
                            const guint8 *public_key);
/* Each accepted report is a new one: a fresh id (the envelope id). */
void     bench_report_renew (Report *report);
/* What intake_submit does for one report (validate, route check, seal,
 * ledger row), for N copies of TEMPLATE, each with a fresh id, committed
 * with one store_enqueue: intake has no batch entry point yet, so this is
 * how a gateway would group-commit concurrent requests. */
gboolean bench_submit_group (Store                  *store,
                             const PartnerDirectory *partners,
                             Report                 *template,
                             guint                   n,
                             GError                **error);
/* The library logs every report and delivery (info and message level):
 * still formatted, as in production, but not printed between figures. */
void    bench_quiet_logs (void);

G_END_DECLS
