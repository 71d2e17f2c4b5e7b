# ctl/local.mk: see Makefile.am.
bin_PROGRAMS += ctl/saferoutectl
ctl_saferoutectl_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoutectl\"
ctl_saferoutectl_SOURCES = ctl/saferoutectl.c
