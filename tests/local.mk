# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
check_PROGRAMS += tests/test-report
TESTS += tests/test-report
check_PROGRAMS += tests/test-envelope
TESTS += tests/test-envelope
check_PROGRAMS += tests/test-seal
TESTS += tests/test-seal
