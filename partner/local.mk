# partner/local.mk: see Makefile.am.
# saferoute-inbox: everything but main() in a library so tests link it.
noinst_LIBRARIES += partner/libinbox.a
partner_libinbox_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoute-inbox\"
partner_libinbox_a_SOURCES =
partner_libinbox_a_SOURCES += partner/inbox.c partner/inbox.h
partner_libinbox_a_SOURCES += partner/inbox-store.c partner/inbox-store.h
partner_libinbox_a_SOURCES += partner/webhook.c
partner_libinbox_a_SOURCES += partner/page.c
partner_libinbox_a_SOURCES += partner/pull.c
bin_PROGRAMS += partner/saferoute-inbox
partner_saferoute_inbox_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoute-inbox\"
partner_saferoute_inbox_SOURCES = partner/main.c
partner_saferoute_inbox_LDADD = partner/libinbox.a $(LDADD)
