# ctl/local.mk: see Makefile.am.
