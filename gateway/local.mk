# gateway/local.mk: see Makefile.am.
