/* session: in-memory sessions of the kiosk (see session.h).
 *
 * Owns every unsent answer on the kiosk.  Invariants: a session older
 * than the idle timeout is never returned by lookup; a removed session's
 * strings are zeroed before they are freed; ids and tokens come from
 * libsodium's CSPRNG.  A crash loses every session, by design. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "session.h"

struct _SessionStore
{
  GHashTable *by_id;      /* id -> Session*, owns */
  GQueue      order;      /* Session*, least recently used first */
  gint64      timeout_us;
  guint       max;
};

static void
session_random_hex (char *out)
{
  guint8 bytes[SESSION_ID_BYTES];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (out, SESSION_ID_BYTES * 2 + 1, bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
}

void
session_set_string (char **slot, const char *value)
{
  wizard_wipe_string (slot);
  *slot = g_strdup (value);
}

void
session_reset (Session *session)
{
  g_clear_pointer (&session->wizard, wizard_free);
  g_clear_pointer (&session->receipt, wizard_receipt_free);
}

static void
session_free (Session *session)
{
  session_reset (session);
  wizard_wipe_string (&session->lang);
  wizard_wipe_string (&session->text_size);
  wizard_wipe_string (&session->last_path);
  sodium_memzero (session, sizeof *session);
  g_free (session);
}

SessionStore *
session_store_new (gint64 idle_timeout_us, guint max_sessions)
{
  SessionStore *store = g_new0 (SessionStore, 1);

  store->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) session_free);
  g_queue_init (&store->order);
  store->timeout_us = idle_timeout_us;
  store->max = MAX (max_sessions, 1);
  return store;
}

void
session_store_free (SessionStore *store)
{
  if (store == NULL)
    return;
  g_queue_clear (&store->order);
  g_hash_table_destroy (store->by_id);
  g_free (store);
}

void
session_store_remove (SessionStore *store, Session *session)
{
  g_queue_delete_link (&store->order, session->link);
  session->link = NULL;
  /* The key is the session's own id: remove (which frees it) last. */
  g_hash_table_remove (store->by_id, session->id);
}

Session *
session_store_create (SessionStore *store, gint64 now)
{
  Session *session;

  while (g_hash_table_size (store->by_id) >= store->max)
    session_store_remove (store, g_queue_peek_head (&store->order));
  session = g_new0 (Session, 1);
  session_random_hex (session->id);
  session_random_hex (session->csrf);
  session->last_seen = now;
  g_hash_table_insert (store->by_id, session->id, session);
  g_queue_push_tail (&store->order, session);
  session->link = store->order.tail;
  return session;
}

void
session_store_touch (SessionStore *store, Session *session, gint64 now)
{
  session->last_seen = now;
  g_queue_unlink (&store->order, session->link);
  g_queue_push_tail_link (&store->order, session->link);
}

static gboolean
session_expired (SessionStore *store, Session *session, gint64 now)
{
  return now - session->last_seen > store->timeout_us;
}

Session *
session_store_lookup (SessionStore *store, const char *id, gint64 now)
{
  Session *session;

  if (id == NULL || strlen (id) != SESSION_ID_BYTES * 2)
    return NULL;
  session = g_hash_table_lookup (store->by_id, id);
  if (session && session_expired (store, session, now))
    {
      session_store_remove (store, session);
      return NULL;
    }
  return session;
}

guint
session_store_sweep (SessionStore *store, gint64 now)
{
  guint n = 0;
  Session *oldest;

  /* The list is in order of last activity: stop at the first live one. */
  while ((oldest = g_queue_peek_head (&store->order))
         && session_expired (store, oldest, now))
    {
      session_store_remove (store, oldest);
      n++;
    }
  return n;
}

guint
session_store_size (SessionStore *store)
{
  return g_hash_table_size (store->by_id);
}

gboolean
session_csrf_valid (const Session *session, const char *token)
{
  if (session == NULL || token == NULL
      || strlen (token) != sizeof session->csrf - 1)
    return FALSE;
  return sodium_memcmp (session->csrf, token, sizeof session->csrf - 1) == 0;
}
