/* The inbox's own store: one row per envelope id, committed, migrated. */
#include "config.h"

#include <sqlite3.h>
#include <glib/gstdio.h>

#include "inbox-store.h"

static char *
db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "inbox.sqlite", NULL);
}

static void
entry_init (InboxEntry *entry, const char *id, const char *ref)
{
  entry->id = (char *) id;
  entry->ref = (char *) ref;
  entry->partner = (char *) "p1";
  entry->created_at = 1000;
  entry->source = (char *) "webhook";
  entry->category = (char *) "hate-crime";
  entry->language = (char *) "ur";
  entry->contact_method = (char *) "sms";
  entry->report_json = (char *) "{\"v\":1}";
}

static void
test_add_duplicate_get (void)
{
  g_autofree char *path = db_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(InboxStore) store = NULL;
  g_autoptr(InboxEntry) got = NULL;
  g_autoptr(GPtrArray) list = NULL;
  InboxEntry entry = { 0 };
  gboolean duplicate = TRUE;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  store = inbox_store_open (path, &error);
  g_assert_no_error (error);
  entry_init (&entry, "id-1", "AAAA-AAAA");
  g_assert_true (inbox_store_add (store, &entry, 2000, &duplicate, &error));
  g_assert_no_error (error);
  g_assert_false (duplicate);
  /* The same id again, even with other content: one row, the first. */
  entry.ref = (char *) "BBBB-BBBB";
  g_assert_true (inbox_store_add (store, &entry, 3000, &duplicate, &error));
  g_assert_true (duplicate);
  g_assert_cmpint (inbox_store_count (store, &error), ==, 1);
  entry_init (&entry, "id-2", "CCCC-CCCC");
  g_assert_true (inbox_store_add (store, &entry, 4000, &duplicate, &error));
  g_assert_false (duplicate);

  got = inbox_store_get (store, "id-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->ref, ==, "AAAA-AAAA");
  g_assert_cmpint (got->received_at, ==, 2000);
  g_assert_cmpstr (got->language, ==, "ur");
  g_assert_cmpstr (got->contact_method, ==, "sms");
  g_assert_cmpstr (got->report_json, ==, "{\"v\":1}");

  list = inbox_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((InboxEntry *) list->pdata[0])->id, ==, "id-2");

  g_assert_null (inbox_store_get (store, "nope", &error));
  g_assert_error (error, INBOX_STORE_ERROR, INBOX_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Survives a reopen: it was committed. */
  g_clear_pointer (&store, inbox_store_close);
  store = inbox_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (inbox_store_count (store, &error), ==, 2);
}

static void
test_settings (void)
{
  g_autofree char *path = db_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(InboxStore) store = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  store = inbox_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  /* STRICT: a text where an integer belongs is refused. */
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO report VALUES ('x','r','p',"
                                 "'not a number',1,'s','c','l','m','{}')",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_newer_schema_refused (void)
{
  g_autofree char *path = db_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(InboxStore) store = NULL;
  sqlite3 *db = NULL;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  store = inbox_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, INBOX_STORE_ERROR, INBOX_STORE_ERROR_SCHEMA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/inbox/store/add-duplicate-get", test_add_duplicate_get);
  g_test_add_func ("/inbox/store/settings", test_settings);
  g_test_add_func ("/inbox/store/newer-schema-refused", test_newer_schema_refused);
  return g_test_run ();
}
