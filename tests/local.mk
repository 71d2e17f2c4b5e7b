# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
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
