# gateway/local.mk: see Makefile.am.
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
