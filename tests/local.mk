# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
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
