# doc/local.mk: man pages and guides.
EXTRA_DIST += doc/saferoute.conf.example
