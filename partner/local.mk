# partner/local.mk: see Makefile.am.
