# gateway/local.mk: see Makefile.am.
EXTRA_DIST += tools/sms-sim
bin_PROGRAMS += gateway/saferoute-gateway
gateway_saferoute_gateway_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoute-gateway\"
gateway_saferoute_gateway_SOURCES =
gateway_saferoute_gateway_SOURCES += gateway/main.c gateway/gateway.h
gateway_saferoute_gateway_SOURCES += gateway/server.c
gateway_saferoute_gateway_SOURCES += gateway/health.c
gateway_saferoute_gateway_SOURCES += gateway/api-partner.c
EXTRA_DIST += gateway/run-demo.sh
run: all
	@$(SHELL) $(srcdir)/gateway/run-demo.sh "$(abs_top_builddir)" "$(abs_top_srcdir)"
gateway_saferoute_gateway_SOURCES += gateway/web.c
# The web wizard is the kiosk's pages (DESIGN.md): the same files, built in.
gateway_saferoute_gateway_CPPFLAGS += -I$(top_srcdir)/kiosk
gateway_saferoute_gateway_SOURCES += kiosk/kiosk.h kiosk/server.c kiosk/session.c kiosk/session.h kiosk/front.c
gateway_saferoute_gateway_SOURCES += kiosk/page-start.c kiosk/page-report.c kiosk/page-exit.c kiosk/assets.c
gateway_saferoute_gateway_SOURCES += gateway/api-relay.c
gateway_saferoute_gateway_SOURCES += gateway/sms-http.c gateway/sms-http.h
gateway_saferoute_gateway_SOURCES += gateway/sms-twilio.c
gateway_saferoute_gateway_SOURCES += gateway/sms-kannel.c
gateway_saferoute_gateway_SOURCES += gateway/sms-inbound.c
