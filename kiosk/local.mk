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
# make run-kiosk: the kiosk and a demo inbox on their demo ports, sharing
# a temporary state directory; open the kiosk URL it prints.  Before the
# translations land: make run-kiosk KIOSK_RUN_FLAGS=--allow-missing-translations
run-kiosk: all
	@state=`mktemp -d`; \
	./partner/saferoute-inbox --demo --state-dir "$$state" & inbox=$$!; \
	trap 'kill $$inbox 2>/dev/null; rm -rf "$$state"' EXIT INT TERM; \
	echo "demo inbox: http://127.0.0.1:8082/"; \
	SAFEROUTE_KIOSK_ASSETS='$(abs_top_srcdir)/kiosk/assets' \
	SAFEROUTE_LOCALEDIR='$(abs_top_builddir)/locale' \
	  ./kiosk/saferoute-kiosk --demo --state-dir "$$state" $(KIOSK_RUN_FLAGS)
.PHONY: run-kiosk
kiosk_saferoute_kiosk_SOURCES += kiosk/front.c
