# bench/local.mk: benchmarks (make bench); each prints its figure and the
# ceiling it is compared with, measured in the same run.
bench: $(bench_targets)
.PHONY: bench
noinst_PROGRAMS += bench/bench-store
bench: bench-store
.PHONY: bench-store
bench-store: bench/bench-store$(EXEEXT)
	./bench/bench-store$(EXEEXT)
