# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
check_PROGRAMS += tests/test-sms
TESTS += tests/test-sms
check_PROGRAMS += tests/test-lang
TESTS += tests/test-lang
dist_check_SCRIPTS += tests/po-check.sh
TESTS += tests/po-check.sh
check_PROGRAMS += tests/test-http
TESTS += tests/test-http
TESTS += tests/gateway-basic.sh
EXTRA_DIST += tests/gateway-basic.sh
TESTS += tests/gateway-inbox.sh
EXTRA_DIST += tests/gateway-inbox.sh
TESTS += tests/crash.sh
EXTRA_DIST += tests/crash.sh
TESTS += tests/privacy.sh
EXTRA_DIST += tests/privacy.sh
EXTRA_DIST += tests/demo-pair.sh
check_PROGRAMS += tests/test-forward
TESTS += tests/test-forward
check_PROGRAMS += tests/test-intake
TESTS += tests/test-intake
check_PROGRAMS += tests/test-store
TESTS += tests/test-store
check_PROGRAMS += tests/test-report
TESTS += tests/test-report
check_PROGRAMS += tests/test-envelope
TESTS += tests/test-envelope
check_PROGRAMS += tests/test-seal
TESTS += tests/test-seal
check_PROGRAMS += tests/test-conf
TESTS += tests/test-conf
check_PROGRAMS += tests/test-partner
TESTS += tests/test-partner
check_PROGRAMS += tests/test-route
TESTS += tests/test-route
EXTRA_DIST += tests/data/conf/bad-duration.conf
EXTRA_DIST += tests/data/conf/bad-key.conf
EXTRA_DIST += tests/data/conf/email-homeoffice.conf
EXTRA_DIST += tests/data/conf/http-remote.conf
EXTRA_DIST += tests/data/conf/kind-immigration.conf
EXTRA_DIST += tests/data/conf/missing-name.conf
EXTRA_DIST += tests/data/conf/parse-error.conf
EXTRA_DIST += tests/data/conf/unknown-key.conf
EXTRA_DIST += tests/data/conf/webhook-homeoffice.conf
TESTS += tests/systemd-units.sh
EXTRA_DIST += tests/systemd-units.sh
check_PROGRAMS += tests/test-twilio
TESTS += tests/test-twilio
check_PROGRAMS += tests/test-ratelimit
TESTS += tests/test-ratelimit
TESTS += tests/sms-kannel.sh
EXTRA_DIST += tests/sms-kannel.sh
EXTRA_DIST += tests/kannel/kannel.conf.in
EXTRA_DIST += tests/kannel/fakesmsc-replies.py
TESTS += tests/sms-endpoints.sh
EXTRA_DIST += tests/sms-endpoints.sh
check_PROGRAMS += tests/test-views
TESTS += tests/test-views
tests_test_views_SOURCES = tests/test-views.c tests/kiosk-test-data.h
check_PROGRAMS += tests/test-wizard
TESTS += tests/test-wizard
tests_test_wizard_SOURCES = tests/test-wizard.c tests/kiosk-test-data.h kiosk/session.c kiosk/session.h
tests_test_wizard_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/kiosk
EXTRA_DIST += tests/browser/kiosk.mjs
EXTRA_DIST += package.json package-lock.json
# Screenshots of every kiosk screen (tests/kiosk-browser.sh): an artefact
# for reviewers, never committed.
clean-local: clean-local-screenshots
clean-local-screenshots:
	-rm -rf tests/screenshots
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
# Fuzz targets, replayed over their corpora in make check; make fuzz runs
# them under libFuzzer (tests/fuzz/run.sh).
check_PROGRAMS += tests/fuzz/replay-report
tests_fuzz_replay_report_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-report.c
check_PROGRAMS += tests/fuzz/replay-envelope
tests_fuzz_replay_envelope_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-envelope.c
check_PROGRAMS += tests/fuzz/replay-conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-conf.c
check_PROGRAMS += tests/fuzz/replay-signature
tests_fuzz_replay_signature_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-signature.c
TESTS += tests/fuzz-replay.sh
EXTRA_DIST += tests/fuzz-replay.sh tests/fuzz/run.sh tests/fuzz/corpus
fuzz: all
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' $(SHELL) $(srcdir)/tests/fuzz/run.sh
.PHONY: fuzz
check_PROGRAMS += tests/test-smsstore
TESTS += tests/test-smsstore
check_PROGRAMS += tests/test-smssend
TESTS += tests/test-smssend
TESTS += tests/relay.sh
EXTRA_DIST += tests/relay.sh
dist_check_SCRIPTS += tests/kiosk-http.sh
TESTS += tests/kiosk-http.sh
dist_check_SCRIPTS += tests/kiosk-offline.sh
TESTS += tests/kiosk-offline.sh
dist_check_SCRIPTS += tests/kiosk-browser.sh
TESTS += tests/kiosk-browser.sh
dist_check_SCRIPTS += tests/gateway-web.sh
TESTS += tests/gateway-web.sh
EXTRA_DIST += tests/browser/lib.mjs
EXTRA_DIST += tests/browser-env.sh
dist_check_SCRIPTS += tests/gateway-web-browser.sh
TESTS += tests/gateway-web-browser.sh
EXTRA_DIST += tests/browser/gateway-web.mjs
check_PROGRAMS += tests/test-convo
TESTS += tests/test-convo
check_PROGRAMS += tests/fuzz/replay-sms
tests_fuzz_replay_sms_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-sms.c
check_PROGRAMS += tests/fuzz/replay-convo
tests_fuzz_replay_convo_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-convo.c
check_PROGRAMS += tests/fuzz/replay-form
tests_fuzz_replay_form_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-form.c
TESTS += tests/bad-input.sh
EXTRA_DIST += tests/bad-input.sh
EXTRA_DIST += tests/bad-input/table.tsv
EXTRA_DIST += tests/bad-input/driver.py
check_PROGRAMS += tests/test-smsdesk
TESTS += tests/test-smsdesk
# make check-valgrind: every GTest program under memcheck (tests/valgrind.sh).
EXTRA_DIST += tests/valgrind.sh tests/valgrind.supp
check-valgrind: $(check_PROGRAMS)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' $(SHELL) $(srcdir)/tests/valgrind.sh
.PHONY: check-valgrind
clean-local: clean-valgrind-logs
clean-valgrind-logs:
	-rm -rf tests/valgrind-logs
.PHONY: clean-valgrind-logs
TESTS += tests/no-secrets-in-logs.sh
EXTRA_DIST += tests/no-secrets-in-logs.sh
TESTS += tests/soak.sh
EXTRA_DIST += tests/soak.sh tests/fault-proxy.py
TESTS += tests/connection-leak.sh
EXTRA_DIST += tests/connection-leak.sh
check_PROGRAMS += tests/fuzz/replay-twilio
tests_fuzz_replay_twilio_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-twilio.c
check_PROGRAMS += tests/fuzz/replay-kannel
tests_fuzz_replay_kannel_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-kannel.c
TESTS += tests/sms-durable.sh
EXTRA_DIST += tests/sms-durable.sh
TESTS += tests/sms-disk-full.sh
EXTRA_DIST += tests/sms-disk-full.sh
# The soak's disk-full window: an LD_PRELOAD shim, built without the
# sanitizers (it is loaded into a sanitized kiosk) and with -fPIC.
check_PROGRAMS += tests/diskfull.so
tests_diskfull_so_SOURCES = tests/diskfull.c
tests_diskfull_so_CFLAGS = $(WARN_CFLAGS) -fPIC
tests_diskfull_so_LDFLAGS = -shared
tests_diskfull_so_LDADD = -ldl
EXTRA_DIST += tests/soak-door.py
check_PROGRAMS += tests/test-smsinbound
TESTS += tests/test-smsinbound
check_PROGRAMS += tests/fuzz/replay-inbound
tests_fuzz_replay_inbound_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-inbound.c
TESTS += tests/sms-sync-fail.sh
EXTRA_DIST += tests/sms-sync-fail.sh
