# kiosk/local.mk: see Makefile.am.
