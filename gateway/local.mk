# gateway/local.mk: see Makefile.am.
EXTRA_DIST += tools/sms-sim
