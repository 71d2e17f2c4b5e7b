# tests/local.mk: unit tests (GTest, TAP) and integration tests (sh, TAP).
# One line per test so that parallel branches merge cleanly.
EXTRA_DIST += tests/lib.sh
check_PROGRAMS += tests/test-signature
TESTS += tests/test-signature
check_PROGRAMS += tests/test-lang
TESTS += tests/test-lang
dist_check_SCRIPTS += tests/po-check.sh
TESTS += tests/po-check.sh
# XFAIL until the pa ur ar so sq translations land: remove this line then.
XFAIL_TESTS += tests/po-check.sh
