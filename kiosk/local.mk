# kiosk/local.mk: see Makefile.am.
kioskassetsdir = $(pkgdatadir)/kiosk
dist_kioskassets_DATA =
dist_kioskassets_DATA += kiosk/assets/kiosk.css
dist_kioskassets_DATA += kiosk/assets/kiosk.js
kioskbindir = $(bindir)
dist_kioskbin_SCRIPTS = kiosk/saferoute-kiosk-session
EXTRA_DIST += kiosk/saferoute-kiosk.service
EXTRA_DIST += kiosk/saferoute-kiosk-session.service
