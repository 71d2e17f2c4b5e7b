/* bare-store: the ceiling the queue is measured against.  One STRICT
 * table (id, json) in WAL with synchronous=FULL, the store's durability,
 * and nothing else: no delivery row, no ledger, no index but the key. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BareStore BareStore;

/* Creates the file at PATH; exits on failure (a benchmark has no one to
 * report to). */
BareStore *bare_store_open   (const char *path);
/* One durable transaction of N rows, each with a fresh id and BODY
 * (LENGTH bytes, not copied). */
void       bare_store_insert (BareStore  *bare,
                              guint       n,
                              const char *body,
                              gsize       length);
void       bare_store_close  (BareStore  *bare);

G_END_DECLS
