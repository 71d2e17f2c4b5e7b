# kiosk/local.mk: see Makefile.am.
kioskassetsdir = $(pkgdatadir)/kiosk
dist_kioskassets_DATA =
dist_kioskassets_DATA += kiosk/assets/kiosk.css
dist_kioskassets_DATA += kiosk/assets/kiosk.js
kioskbindir = $(bindir)
dist_kioskbin_SCRIPTS = kiosk/saferoute-kiosk-session
EXTRA_DIST += kiosk/saferoute-kiosk.service
EXTRA_DIST += kiosk/saferoute-kiosk-session.service
bin_PROGRAMS += kiosk/saferoute-kiosk
kiosk_saferoute_kiosk_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/kiosk -DG_LOG_DOMAIN=\"saferoute-kiosk\"
kiosk_saferoute_kiosk_SOURCES =
kiosk_saferoute_kiosk_SOURCES += kiosk/main.c kiosk/kiosk.h
kiosk_saferoute_kiosk_SOURCES += kiosk/server.c
kiosk_saferoute_kiosk_SOURCES += kiosk/session.c kiosk/session.h
kiosk_saferoute_kiosk_SOURCES += kiosk/page-start.c
kiosk_saferoute_kiosk_SOURCES += kiosk/page-report.c
kiosk_saferoute_kiosk_SOURCES += kiosk/page-exit.c
kiosk_saferoute_kiosk_SOURCES += kiosk/assets.c
