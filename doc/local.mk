# doc/local.mk: man pages and guides.
