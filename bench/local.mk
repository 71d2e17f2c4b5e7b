# bench/local.mk: benchmarks (make bench); each prints its figure and the
# ceiling it is compared with, measured in the same run.
bench: $(bench_targets)
.PHONY: bench
noinst_PROGRAMS += bench/bench-store
bench: bench-store
.PHONY: bench-store
bench-store: bench/bench-store$(EXEEXT)
	./bench/bench-store$(EXEEXT)
noinst_PROGRAMS += bench/bare-soup
EXTRA_DIST += bench/sms.sh bench/sms.lua bench/sms-conf.sh
bench: bench-sms
.PHONY: bench-sms
bench-sms: bench/bare-soup$(EXEEXT) gateway/saferoute-gateway$(EXEEXT) ctl/saferoutectl$(EXEEXT)
	$(SHELL) $(srcdir)/bench/sms.sh "$(abs_top_builddir)" "$(abs_top_srcdir)"
EXTRA_DIST += bench/kannel.sh
bench: bench-kannel
.PHONY: bench-kannel
bench-kannel: gateway/saferoute-gateway$(EXEEXT)
	$(SHELL) $(srcdir)/bench/kannel.sh "$(abs_top_builddir)" "$(abs_top_srcdir)"
noinst_LIBRARIES += bench/libbench.a
bench_libbench_a_SOURCES = bench/bench-util.c bench/bench-util.h bench/bare-store.c bench/bare-store.h
bench_bench_store_LDADD = bench/libbench.a $(LDADD)
noinst_PROGRAMS += bench/bench-enqueue
bench_bench_enqueue_LDADD = bench/libbench.a $(LDADD)
bench: bench-enqueue
.PHONY: bench-enqueue
bench-enqueue: bench/bench-enqueue$(EXEEXT)
	./bench/bench-enqueue$(EXEEXT)
noinst_PROGRAMS += bench/bench-forward
bench_bench_forward_LDADD = bench/libbench.a $(LDADD)
bench: bench-forward
.PHONY: bench-forward
bench-forward: bench/bench-forward$(EXEEXT)
	./bench/bench-forward$(EXEEXT)
noinst_PROGRAMS += bench/bench-fill
bench_bench_fill_LDADD = bench/libbench.a $(LDADD)
EXTRA_DIST += bench/bench-gateway-rss.sh
bench: bench-gateway-rss
.PHONY: bench-gateway-rss
bench-gateway-rss: all bench/bench-fill$(EXEEXT)
	$(SHELL) $(srcdir)/bench/bench-gateway-rss.sh "$(abs_top_builddir)" "$(abs_top_srcdir)"
noinst_PROGRAMS += bench/bench-kiosk
bench: bench-kiosk
.PHONY: bench-kiosk
bench-kiosk: bench/bench-kiosk$(EXEEXT)
	SAFEROUTE_LOCALEDIR=$(abs_top_builddir)/locale ./bench/bench-kiosk$(EXEEXT) $(srcdir)/kiosk/assets
EXTRA_DIST += bench/bench-kiosk-rss.sh
bench: bench-kiosk-rss
.PHONY: bench-kiosk-rss
bench-kiosk-rss: kiosk/saferoute-kiosk$(EXEEXT)
	top_builddir=. top_srcdir=$(srcdir) $(SHELL) $(srcdir)/bench/bench-kiosk-rss.sh
noinst_PROGRAMS += bench/sms-rate
bench-sms: bench/sms-rate$(EXEEXT)
bench-kannel: ctl/saferoutectl$(EXEEXT)
