# bench/local.mk: benchmarks (make bench); each prints its figure and the
# ceiling it is compared with, measured in the same run.
bench: $(bench_targets)
.PHONY: bench
noinst_PROGRAMS += bench/bench-store
bench: bench-store
.PHONY: bench-store
bench-store: bench/bench-store$(EXEEXT)
	./bench/bench-store$(EXEEXT)
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
