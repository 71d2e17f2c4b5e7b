/* The SMS desk with a real store, intake, demo partner and conversation
 * engine: a whole conversation commits one report; a provider's retry
 * gets the same replies and files nothing twice; a store that is busy
 * when the report is committed (as a crash there would) leaves it pending
 * and the retry commits it, once, under the reference the person is
 * given; messages stepped in the stepper thread while the main loop
 * answers (each sender's next message after their report is settled);
 * whoever waits when the desk goes is answered; sender keys; invalid
 * UTF-8; the rate limit. */
#include "config.h"

#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "demo.h"
#include "intake.h"
#include "lang.h"
#include "seal.h"
#include "smsdesk.h"

typedef struct
{
  char             *dir;
  Conf             *conf;
  PartnerDirectory *partners;
  Store            *store;
  Intake           *intake;
  SmsDesk          *desk;
  gint64            now;
} Fixture;

static void
set_up_with (Fixture *f, const char *sms_group)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;

  f->dir = g_dir_make_tmp ("smsdesk-XXXXXX", &error);
  g_assert_no_error (error);
  f->conf = demo_conf (f->dir, "http://127.0.0.1:9", &error);
  g_assert_no_error (error);
  if (sms_group != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (sms_group, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto(GStrv) kv = g_strsplit (lines[i], "=", 2);

          if (kv[0] != NULL && kv[1] != NULL)
            conf_set_string (f->conf, "sms", g_strstrip (kv[0]), g_strstrip (kv[1]));
        }
    }
  f->partners = partner_directory_load (f->conf, &error);
  g_assert_no_error (error);
  db = g_build_filename (f->dir, "gateway.db", NULL);
  f->store = store_open (db, &error);
  g_assert_no_error (error);
  f->intake = intake_new (f->store, f->partners, FALSE);
  f->desk = smsdesk_new (f->conf, f->dir, f->partners, f->store, f->intake, &error);
  g_assert_no_error (error);
  f->now = 1800000000;
}

static void
set_up (Fixture *f, gconstpointer data)
{
  set_up_with (f, data);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
tear_down (Fixture *f, gconstpointer data)
{
  smsdesk_free (f->desk);
  intake_free (f->intake);
  store_close (f->store);
  partner_directory_free (f->partners);
  conf_free (f->conf);
  remove_tree (f->dir);
  g_free (f->dir);
}

static SmsAnswer *
say (Fixture *f, const char *from, const char *id, const char *text, GError **error)
{
  SmsIncoming in = { SMSDESK_INBOUND, id, from, text };

  f->now += 5;
  return smsdesk_receive (f->desk, &in, f->now, error);
}

static void
say_ok (Fixture *f, const char *from, const char *id, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmsAnswer) a = say (f, from, id, text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (a);
  g_assert_false (a->limited);
}

static guint64
queued (Fixture *f)
{
  guint64 counts[DELIVERY_N_STATES] = { 0 };

  g_assert_true (store_counts (f->store, counts, NULL));
  return counts[DELIVERY_QUEUED];
}

/* Up to the check message, in English. */
static void
to_check (Fixture *f, const char *from)
{
  const char *steps[] = { "hello", "1", "2", "1", "1", "1", "1", "He keeps my passport" };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%u", from, i);

      say_ok (f, from, id, steps[i]);
    }
}

static char *
ref_in (char **replies)
{
  g_autoptr(GRegex) re = g_regex_new ("[A-Z0-9]{4}-[A-Z0-9]{4}", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *all = g_strjoinv ("\n", replies);

  if (!g_regex_match (re, all, 0, &match))
    return NULL;
  return g_match_info_fetch (match, 0);
}

static void
test_conversation_and_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SmsAnswer) sent = NULL;
  g_autoptr(SmsAnswer) again = NULL;
  g_autofree char *ref = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  to_check (f, "+447700900123");
  g_assert_cmpuint (queued (f), ==, 0);
  sent = say (f, "+447700900123", "last", "1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (sent->envelope_id);
  ref = ref_in (sent->replies);
  g_assert_nonnull (ref);
  g_assert_cmpuint (queued (f), ==, 1);
  rows = store_ledger_for_ref (f->store, ref, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((LedgerEntry *) rows->pdata[0])->channel, ==, "sms");

  /* What they typed is no longer kept to answer retries of the check
   * step: a late retry has no effect and no reply. */
  {
    g_autoptr(SmsAnswer) late = say (f, "+447700900123", "+447700900123-7", "He keeps my passport", &error);

    g_assert_no_error (error);
    g_assert_true (late->duplicate);
    g_assert_null (late->replies[0]);
    g_assert_cmpuint (queued (f), ==, 1);
  }
  /* The provider did not hear us and sends it again. */
  again = say (f, "+447700900123", "last", "1", &error);
  g_assert_no_error (error);
  g_assert_true (again->duplicate);
  g_assert_cmpstrv (again->replies, sent->replies);
  g_assert_cmpuint (queued (f), ==, 1);
}

/* Holds the queue database's write lock, as another writer (or a crash
 * between our two commits) would. */
static sqlite3 *
lock_queue (Fixture *f)
{
  g_autofree char *db = g_build_filename (f->dir, "gateway.db", NULL);
  sqlite3 *handle = NULL;

  g_assert_cmpint (sqlite3_open (db, &handle), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (handle, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  return handle;
}

static void
test_commit_fails_then_retry (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr(SmsAnswer) failed = NULL;
  g_autoptr(SmsAnswer) retried = NULL;
  g_autoptr(SmsAnswer) third = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *ref = NULL;
  sqlite3 *lock;

  to_check (f, "+447700900124");
  lock = lock_queue (f);
  failed = say (f, "+447700900124", "final", "1", &error);
  /* Nothing said "sent": the provider gets 503 and retries. */
  g_assert_null (failed);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_BUSY);
  g_clear_error (&error);
  sqlite3_exec (lock, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (lock);
  g_assert_cmpuint (queued (f), ==, 0);

  retried = say (f, "+447700900124", "final", "1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (retried);
  ref = ref_in (retried->replies);
  g_assert_nonnull (ref);
  g_assert_cmpuint (queued (f), ==, 1);
  /* The reference the person is given is the one that was committed. */
  rows = store_ledger_for_ref (f->store, ref, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  third = say (f, "+447700900124", "final", "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (third->replies, retried->replies);
  g_assert_cmpuint (queued (f), ==, 1);
  /* Committed by the retry, the report is settled as a fresh one is:
   * the check message's copy of what they typed is gone. */
  {
    g_autoptr(SmsAnswer) late = say (f, "+447700900124", "+447700900124-7",
                                     "He keeps my passport", &error);

    g_assert_no_error (error);
    g_assert_true (late->duplicate);
    g_assert_null (late->replies[0]);
  }
}

static void
test_sender_keys (Fixture *f, gconstpointer data)
{
  g_autofree char *a = smsdesk_sender_key (f->desk, "+44 7700 900123");
  g_autofree char *b = smsdesk_sender_key (f->desk, "447700900123");
  g_autofree char *c = smsdesk_sender_key (f->desk, "00447700900123");
  g_autofree char *d = smsdesk_sender_key (f->desk, "+447700900124");
  g_autofree char *key = g_build_filename (f->dir, "sms.key", NULL);
  GStatBuf st;

  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, c);
  g_assert_cmpstr (a, !=, d);
  g_assert_cmpuint (strlen (a), ==, 64);
  g_assert_null (strstr (a, "7700900123"));
  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  SmsAnswer *a;

  a = say (f, "+447700900125", "x1", "caf\xe9", &error);
  g_assert_null (a);
  g_assert_error (error, SMSDESK_ERROR, SMSDESK_ERROR_INVALID);
  g_clear_error (&error);
  a = say (f, "", "x2", "hello", &error);
  g_assert_null (a);
  g_assert_error (error, SMSDESK_ERROR, SMSDESK_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_rate_limit (Fixture *f, gconstpointer data)
{
  g_autoptr(SmsAnswer) limited = NULL;

  say_ok (f, "+447700900126", "r1", "hello");
  say_ok (f, "+447700900126", "r2", "1");
  say_ok (f, "+447700900126", "r3", "menu");
  limited = say (f, "+447700900126", "r4", "menu", NULL);
  g_assert_nonnull (limited);
  g_assert_true (limited->limited);
  g_assert_nonnull (limited->replies[0]);
  g_assert_nonnull (strstr (limited->replies[0], "wait"));
  /* Someone else is not held back by them. */
  say_ok (f, "+447700900127", "r5", "hello");
}

/* Iterates the main loop until *DONE reaches N; a lost answer fails the
 * test instead of hanging it. */
static gboolean
answers_overdue (gpointer user_data)
{
  g_error ("%s: answers still missing after 60 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_answers (const guint *done, guint n, const char *what)
{
  guint timer = g_timeout_add_seconds (60, answers_overdue, (gpointer) what);

  while (*done < n)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
}

/* Nine people, two texts each: more than the main loop gathers before
 * it hands jobs to the stepper (SMSDESK_HANDOVER_JOBS, 16). */
#define PIPELINE_PEOPLE 9
#define PIPELINE_JOBS (2 * PIPELINE_PEOPLE)

/* The answers of messages sent with smsdesk_receive_async, in order. */
typedef struct
{
  guint      done;
  SmsAnswer *answers[PIPELINE_JOBS];
  GError    *errors[PIPELINE_JOBS];
} Answers;

static void
answers_add (SmsAnswer *answer, const GError *error, gpointer user_data)
{
  Answers *p = user_data;

  g_assert_cmpuint (p->done, <, G_N_ELEMENTS (p->answers));
  p->answers[p->done] = answer;
  p->errors[p->done] = error ? g_error_copy (error) : NULL;
  p->done++;
}

static void
answers_clear (Answers *p)
{
  for (guint i = 0; i < p->done; i++)
    {
      sms_answer_free (p->answers[i]);
      g_clear_error (&p->errors[i]);
    }
}

/* Messages that arrive together are stored together and all answered
 * from the main loop after the commit; a duplicate inside the same batch
 * is still a duplicate. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  Answers batch = { 0 };
  SmsIncoming in[] = {
    { SMSDESK_TWILIO, "B1", "+447700900131", "hello" },
    { SMSDESK_TWILIO, "B2", "+447700900132", "hello" },
    { SMSDESK_TWILIO, "B1", "+447700900131", "hello" },
    { SMSDESK_TWILIO, "B3", "+447700900133", "hello" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    smsdesk_receive_async (f->desk, &in[i], f->now, answers_add, &batch);
  g_assert_cmpuint (batch.done, ==, 0);   /* nothing before the commit */
  wait_answers (&batch.done, G_N_ELEMENTS (in), "batch");
  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    g_assert_no_error (batch.errors[i]);
  g_assert_false (batch.answers[0]->duplicate);
  g_assert_true (batch.answers[2]->duplicate);
  g_assert_cmpstrv (batch.answers[2]->replies, batch.answers[0]->replies);
  g_assert_nonnull (batch.answers[3]->replies[0]);
  answers_clear (&batch);
}

/* The stepper runs beside the main loop: nine people confirm their
 * reports and text again at once.  Each report is committed once, each
 * next message is stepped only after that report was settled (so the
 * settling wipes none of its reply), and the answers come in order. */
static void
test_pipeline (Fixture *f, gconstpointer data)
{
  Answers p = { 0 };
  char from[PIPELINE_PEOPLE][16], id[PIPELINE_JOBS][16];

  for (guint i = 0; i < PIPELINE_PEOPLE; i++)
    {
      g_snprintf (from[i], sizeof from[i], "+4477009002%02u", i);
      to_check (f, from[i]);
    }
  f->now += 5;
  for (guint i = 0; i < PIPELINE_PEOPLE; i++)
    {
      SmsIncoming confirm = { SMSDESK_TWILIO, id[2 * i], from[i], "1" };
      SmsIncoming next = { SMSDESK_TWILIO, id[2 * i + 1], from[i], "MENU" };

      g_snprintf (id[2 * i], sizeof id[0], "P%u-send", i);
      g_snprintf (id[2 * i + 1], sizeof id[0], "P%u-menu", i);
      smsdesk_receive_async (f->desk, &confirm, f->now, answers_add, &p);
      smsdesk_receive_async (f->desk, &next, f->now, answers_add, &p);
    }
  wait_answers (&p.done, PIPELINE_JOBS, "pipeline");
  for (guint i = 0; i < PIPELINE_PEOPLE; i++)
    {
      SmsAnswer *sent = p.answers[2 * i], *menu = p.answers[2 * i + 1];
      g_autofree char *ref = NULL;

      g_assert_no_error (p.errors[2 * i]);
      g_assert_no_error (p.errors[2 * i + 1]);
      g_assert_nonnull (sent->envelope_id);
      ref = ref_in (sent->replies);
      g_assert_nonnull (ref);
      g_assert_null (menu->envelope_id);
      g_assert_false (menu->duplicate);
      g_assert_nonnull (menu->replies[0]);
      g_assert_nonnull (strstr (menu->replies[0], "Reply with a number"));
      g_assert_null (strstr (menu->replies[0], "Please check"));
    }
  g_assert_cmpuint (queued (f), ==, PIPELINE_PEOPLE);
  /* A retry of the next message still gets its reply: settling the
   * report did not wipe it. */
  for (guint i = 0; i < PIPELINE_PEOPLE; i++)
    {
      g_autoptr(GError) error = NULL;
      SmsIncoming again = { SMSDESK_TWILIO, id[2 * i + 1], from[i], "MENU" };
      g_autoptr(SmsAnswer) a = smsdesk_receive (f->desk, &again, f->now, &error);

      g_assert_no_error (error);
      g_assert_true (a->duplicate);
      g_assert_cmpstrv (a->replies, p.answers[2 * i + 1]->replies);
    }
  answers_clear (&p);
}

/* Whoever is still waiting when the desk goes is answered first: also
 * a message queued behind a report, which the stepper takes only once
 * the report is settled (the drain settles it, then goes on). */
static void
test_free_answers (Fixture *f, gconstpointer data)
{
  Answers p = { 0 };
  SmsIncoming in[] = {
    { SMSDESK_TWILIO, "F0-send", "+447700900140", "1" },
    { SMSDESK_TWILIO, "F0-menu", "+447700900140", "MENU" },
    { SMSDESK_TWILIO, "F1", "+447700900141", "hello" },
    { SMSDESK_TWILIO, "F2", "+447700900142", "hello" },
    { SMSDESK_TWILIO, "F3", "+447700900143", "\xff" },
  };

  to_check (f, "+447700900140");
  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    smsdesk_receive_async (f->desk, &in[i], f->now, answers_add, &p);
  g_clear_pointer (&f->desk, smsdesk_free);
  g_assert_cmpuint (p.done, ==, G_N_ELEMENTS (in));
  g_assert_no_error (p.errors[0]);
  g_assert_nonnull (p.answers[0]->envelope_id);
  g_assert_cmpuint (queued (f), ==, 1);
  g_assert_no_error (p.errors[1]);
  g_assert_nonnull (strstr (p.answers[1]->replies[0], "Reply with a number"));
  g_assert_nonnull (p.answers[2]);
  g_assert_nonnull (p.answers[3]->replies[0]);
  g_assert_null (p.answers[4]);
  g_assert_error (p.errors[4], SMSDESK_ERROR, SMSDESK_ERROR_INVALID);
  answers_clear (&p);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  GLogLevelFlags fatal;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Until every catalog is translated, a missing one is a warning here
   * (the catalogs have their own test). */
  lang_allow_missing (TRUE);
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (!lang_init (NULL, &error) || !seal_init (&error))
    g_error ("%s", error->message);
  g_log_set_always_fatal (fatal);
  g_test_add ("/smsdesk/conversation-and-retry", Fixture, NULL, set_up,
              test_conversation_and_retry, tear_down);
  g_test_add ("/smsdesk/commit-fails-then-retry", Fixture, NULL, set_up,
              test_commit_fails_then_retry, tear_down);
  g_test_add ("/smsdesk/batch", Fixture, NULL, set_up, test_batch, tear_down);
  g_test_add ("/smsdesk/pipeline", Fixture, NULL, set_up, test_pipeline, tear_down);
  g_test_add ("/smsdesk/free-answers", Fixture, NULL, set_up, test_free_answers,
              tear_down);
  g_test_add ("/smsdesk/sender-keys", Fixture, NULL, set_up, test_sender_keys, tear_down);
  g_test_add ("/smsdesk/invalid", Fixture, NULL, set_up, test_invalid, tear_down);
  g_test_add ("/smsdesk/rate-limit", Fixture, "sender_burst=3\nsender_per_hour=1",
              set_up, test_rate_limit, tear_down);
  return g_test_run ();
}
