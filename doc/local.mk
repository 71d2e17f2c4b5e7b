# doc/local.mk: man pages and guides.
dist_man_MANS += doc/saferoute-gateway.8
dist_man_MANS += doc/saferoutectl.8
