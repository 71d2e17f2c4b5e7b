# src/local.mk: libsaferoute, the domain shared by every program (no main).
# One line per file so that parallel branches merge cleanly (union merge).
noinst_LIBRARIES += src/libsaferoute.a
src_libsaferoute_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoute\"
src_libsaferoute_a_SOURCES =
src_libsaferoute_a_SOURCES += src/signature.c src/signature.h
src_libsaferoute_a_SOURCES += src/http.c src/http.h
src_libsaferoute_a_SOURCES += src/conf.c src/conf.h
src_libsaferoute_a_SOURCES += src/partner.c src/partner.h
src_libsaferoute_a_SOURCES += src/route.c src/route.h
src_libsaferoute_a_SOURCES += src/twilio.c src/twilio.h
src_libsaferoute_a_SOURCES += src/ratelimit.c src/ratelimit.h
src_libsaferoute_a_SOURCES += src/smsstore.c src/smsstore.h
src_libsaferoute_a_SOURCES += src/smssend.c src/smssend.h
