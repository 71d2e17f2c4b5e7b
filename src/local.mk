# src/local.mk: libsaferoute, the domain shared by every program (no main).
# One line per file so that parallel branches merge cleanly (union merge).
noinst_LIBRARIES += src/libsaferoute.a
src_libsaferoute_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"saferoute\"
src_libsaferoute_a_SOURCES =
src_libsaferoute_a_SOURCES += src/signature.c src/signature.h
src_libsaferoute_a_SOURCES += src/http.c src/http.h
src_libsaferoute_a_SOURCES += src/sms.c src/sms.h
src_libsaferoute_a_SOURCES += src/convo.c src/convo.h
src_libsaferoute_a_SOURCES += src/lang.c src/lang.h
src_libsaferoute_a_SOURCES += src/wizard.c src/wizard.h
src_libsaferoute_a_SOURCES += src/views.c src/views.h
src_libsaferoute_a_SOURCES += src/demo.c src/demo.h
src_libsaferoute_a_SOURCES += src/forward.c src/forward.h
src_libsaferoute_a_SOURCES += src/intake.c src/intake.h
src_libsaferoute_a_SOURCES += src/store.c src/store.h
src_libsaferoute_a_SOURCES += src/jsondoc.c src/jsondoc.h
src_libsaferoute_a_SOURCES += src/report.c src/report.h
src_libsaferoute_a_SOURCES += src/envelope.c src/envelope.h
src_libsaferoute_a_SOURCES += src/seal.c src/seal.h
src_libsaferoute_a_SOURCES += src/conf.c src/conf.h
src_libsaferoute_a_SOURCES += src/partner.c src/partner.h
src_libsaferoute_a_SOURCES += src/route.c src/route.h
src_libsaferoute_a_SOURCES += src/twilio.c src/twilio.h
src_libsaferoute_a_SOURCES += src/ratelimit.c src/ratelimit.h
src_libsaferoute_a_SOURCES += src/smsstore.c src/smsstore.h
src_libsaferoute_a_SOURCES += src/smssend.c src/smssend.h
src_libsaferoute_a_SOURCES += src/smsdesk.c src/smsdesk.h
src_libsaferoute_a_SOURCES += src/smsinbound.c src/smsinbound.h
