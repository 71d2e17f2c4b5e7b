/* The SMS store: one step is one transaction, a message id is taken once,
 * pending reports survive a reopen (a crash) until settled, forget
 * removes everything about a sender, the sweeper keeps stopped sessions
 * and pending reports, the file is private. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "smsstore.h"
#include "store.h"

typedef struct
{
  char     *dir;
  char     *path;
  SmsStore *store;
} Fixture;

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static gboolean
bytes_is (GBytes *b, const char *text)
{
  gsize n = 0;
  const char *data = b ? g_bytes_get_data (b, &n) : NULL;

  return data != NULL && n == strlen (text) && memcmp (data, text, n) == 0;
}

static void
set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("smsstore-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sms.db", NULL);
  f->store = smsstore_open (f->path, &error);
  g_assert_no_error (error);
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  smsstore_close (f->store);
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);
      g_unlink (child);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  smsstore_close (f->store);
  f->store = smsstore_open (f->path, &error);
  g_assert_no_error (error);
}

static void
test_private_file (Fixture *f, gconstpointer data)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_step_and_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) s1 = bytes ("session-1");
  g_autoptr(GBytes) r1 = bytes ("reply-1");
  g_autoptr(GBytes) got = NULL;
  g_autoptr(SmsSeen) seen = NULL;
  GError *error = NULL;

  g_assert_true (smsstore_step (f->store, "alice", s1, FALSE, "twilio", "SM1",
                                r1, NULL, 100, &error));
  g_assert_no_error (error);
  g_assert_true (smsstore_session_get (f->store, "alice", &got, &error));
  g_assert_true (bytes_is (got, "session-1"));

  seen = smsstore_seen_get (f->store, "twilio", "SM1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (seen);
  g_assert_cmpstr (seen->sender, ==, "alice");
  g_assert_true (bytes_is (seen->reply, "reply-1"));
  g_assert_null (seen->pending);
  /* The same id from another provider is another message. */
  g_assert_null (smsstore_seen_get (f->store, "kannel", "SM1", &error));
  g_assert_no_error (error);

  /* Taking the same id twice fails and changes nothing (one transaction). */
  {
    g_autoptr(GBytes) s2 = bytes ("session-2");
    g_autoptr(GBytes) again = NULL;

    g_assert_false (smsstore_step (f->store, "alice", s2, FALSE, "twilio", "SM1",
                                   r1, NULL, 101, &error));
    g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
    g_clear_error (&error);
    g_assert_true (smsstore_session_get (f->store, "alice", &again, NULL));
    g_assert_true (bytes_is (again, "session-1"));
  }
}

static void
test_pending_survives (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) s = bytes ("s");
  g_autoptr(GBytes) r = bytes ("sent: REF");
  g_autoptr(GBytes) p = bytes ("{report}");
  g_autoptr(GBytes) r2 = bytes ("sent: REF (settled)");
  g_autoptr(SmsSeen) seen = NULL;
  g_autoptr(SmsSeen) settled = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  SmsOutbox item = { "env-1", NULL, "kannel", NULL };
  g_autoptr(GBytes) data_bytes = bytes ("ciphertext");

  g_assert_true (smsstore_step (f->store, "bob", s, FALSE, "kannel", "uuid-1",
                                r, p, 100, NULL));
  reopen (f);   /* as after a crash before intake committed */
  seen = smsstore_seen_get (f->store, "kannel", "uuid-1", NULL);
  g_assert_nonnull (seen);
  g_assert_true (bytes_is (seen->pending, "{report}"));
  /* The sweeper never drops a pending report, however old. */
  g_assert_cmpint (smsstore_sweep (f->store, 0, G_MAXINT64, NULL), ==, 0);

  item.data = data_bytes;
  g_assert_true (smsstore_settle (f->store, "kannel", "uuid-1", r2, "bob", NULL,
                                  &item, 101, NULL));
  settled = smsstore_seen_get (f->store, "kannel", "uuid-1", NULL);
  g_assert_null (settled->pending);
  g_assert_true (bytes_is (settled->reply, "sent: REF (settled)"));
  outbox = smsstore_outbox_list (f->store, 10, NULL);
  g_assert_cmpuint (outbox->len, ==, 1);
  g_assert_cmpstr (((SmsOutbox *) outbox->pdata[0])->envelope_id, ==, "env-1");
  g_assert_cmpstr (((SmsOutbox *) outbox->pdata[0])->sender, ==, "bob");
  g_assert_true (bytes_is (((SmsOutbox *) outbox->pdata[0])->data, "ciphertext"));
  g_assert_true (smsstore_outbox_delete (f->store, "env-1", NULL));
  g_clear_pointer (&outbox, g_ptr_array_unref);
  outbox = smsstore_outbox_list (f->store, 10, NULL);
  g_assert_cmpuint (outbox->len, ==, 0);
}

static void
test_forget (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) s = bytes ("s");
  g_autoptr(GBytes) r = bytes ("r");
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(SmsSeen) other = NULL;
  SmsOutbox item = { "env-2", NULL, "twilio", NULL };

  item.data = s;
  g_assert_true (smsstore_step (f->store, "carol", s, FALSE, "twilio", "SM9", r, NULL, 1, NULL));
  g_assert_true (smsstore_settle (f->store, NULL, NULL, r, "carol", NULL, &item, 2, NULL));
  g_assert_true (smsstore_step (f->store, "dave", s, FALSE, "twilio", "SM8", r, NULL, 1, NULL));

  g_assert_true (smsstore_forget (f->store, "carol", NULL));
  g_assert_true (smsstore_session_get (f->store, "carol", &got, NULL));
  g_assert_null (got);
  g_assert_null (smsstore_seen_get (f->store, "twilio", "SM9", NULL));
  outbox = smsstore_outbox_list (f->store, 10, NULL);
  g_assert_cmpuint (outbox->len, ==, 0);
  /* Nobody else is forgotten. */
  other = smsstore_seen_get (f->store, "twilio", "SM8", NULL);
  g_assert_nonnull (other);
}

static void
test_sweep (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) s = bytes ("s");
  g_autoptr(GBytes) old = NULL, stopped = NULL, fresh = NULL;
  g_autoptr(SmsSeen) kept = NULL;

  g_assert_true (smsstore_step (f->store, "old", s, FALSE, "inbound", "1", s, NULL, 100, NULL));
  g_assert_true (smsstore_step (f->store, "stopped", s, TRUE, "inbound", "2", s, NULL, 100, NULL));
  g_assert_true (smsstore_step (f->store, "fresh", s, FALSE, "inbound", "3", s, NULL, 1000, NULL));
  /* Sessions idle since before 500 go, except the stopped one (STOP lasts
   * until START); seen records before 200 go. */
  g_assert_cmpint (smsstore_sweep (f->store, 500, 200, NULL), ==, 1 + 2);
  g_assert_true (smsstore_session_get (f->store, "old", &old, NULL));
  g_assert_null (old);
  g_assert_true (smsstore_session_get (f->store, "stopped", &stopped, NULL));
  g_assert_nonnull (stopped);
  g_assert_true (smsstore_session_get (f->store, "fresh", &fresh, NULL));
  g_assert_nonnull (fresh);
  g_assert_null (smsstore_seen_get (f->store, "inbound", "1", NULL));
  kept = smsstore_seen_get (f->store, "inbound", "3", NULL);
  g_assert_nonnull (kept);
}

/* Group commit: several steps, one commit; a failing step (an id taken
 * earlier in the same batch) is undone alone. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) s = bytes ("s");
  g_autoptr(GBytes) r = bytes ("r");
  g_autoptr(SmsSeen) a = NULL;
  g_autoptr(SmsSeen) b = NULL;
  g_autoptr(GBytes) frank_session = NULL;
  GError *error = NULL;

  g_assert_true (smsstore_batch_begin (f->store, &error));
  g_assert_true (smsstore_step (f->store, "erin", s, FALSE, "twilio", "B1", r, NULL, 1, &error));
  g_assert_false (smsstore_step (f->store, "frank", s, FALSE, "twilio", "B1", r, NULL, 1, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (smsstore_step (f->store, "gina", s, FALSE, "twilio", "B2", r, NULL, 1, &error));
  g_assert_true (smsstore_batch_commit (f->store, &error));
  g_assert_no_error (error);
  reopen (f);
  a = smsstore_seen_get (f->store, "twilio", "B1", NULL);
  b = smsstore_seen_get (f->store, "twilio", "B2", NULL);
  g_assert_cmpstr (a->sender, ==, "erin");
  g_assert_cmpstr (b->sender, ==, "gina");
  g_assert_true (smsstore_session_get (f->store, "frank", &frank_session, NULL));
  g_assert_null (frank_session);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/smsstore/private-file", Fixture, NULL, set_up, test_private_file, tear_down);
  g_test_add ("/smsstore/step-and-duplicate", Fixture, NULL, set_up, test_step_and_duplicate, tear_down);
  g_test_add ("/smsstore/pending-survives", Fixture, NULL, set_up, test_pending_survives, tear_down);
  g_test_add ("/smsstore/forget", Fixture, NULL, set_up, test_forget, tear_down);
  g_test_add ("/smsstore/sweep", Fixture, NULL, set_up, test_sweep, tear_down);
  g_test_add ("/smsstore/batch", Fixture, NULL, set_up, test_batch, tear_down);
  return g_test_run ();
}
