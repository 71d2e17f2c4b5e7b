# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
TESTS += tests/systemd-units.sh
EXTRA_DIST += tests/systemd-units.sh
check_PROGRAMS += tests/test-inbox-store
TESTS += tests/test-inbox-store
tests_test_inbox_store_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/partner
tests_test_inbox_store_LDADD = partner/libinbox.a $(LDADD)
check_PROGRAMS += tests/test-inbox-page
TESTS += tests/test-inbox-page
tests_test_inbox_page_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/partner
tests_test_inbox_page_LDADD = partner/libinbox.a $(LDADD)
check_PROGRAMS += tests/sr-test-envelope
TESTS += tests/test-inbox.sh
EXTRA_DIST += tests/test-inbox.sh
TESTS += tests/test-inbox-pull.sh
EXTRA_DIST += tests/test-inbox-pull.sh
