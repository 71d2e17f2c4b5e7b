# doc/local.mk: man pages and guides.
dist_man_MANS += doc/saferoute-gateway.8
dist_man_MANS += doc/saferoutectl.8
EXTRA_DIST += doc/examples/report.json
EXTRA_DIST += doc/saferoute.conf.example
# systemd units, with the install paths substituted.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = doc/systemd/saferoute-gateway.service doc/systemd/saferoute-inbox.service
EXTRA_DIST += doc/systemd/saferoute-gateway.service.in doc/systemd/saferoute-inbox.service.in
CLEANFILES += $(systemdunit_DATA)
do_subst = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' -e 's|@localstatedir[@]|$(localstatedir)|g'
doc/systemd/saferoute-gateway.service: doc/systemd/saferoute-gateway.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc/systemd && $(do_subst) $(srcdir)/$@.in > $@
doc/systemd/saferoute-inbox.service: doc/systemd/saferoute-inbox.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc/systemd && $(do_subst) $(srcdir)/$@.in > $@
EXTRA_DIST += doc/kannel.conf.example
dist_man_MANS += doc/saferoute-kiosk.8
dist_man_MANS += doc/saferoute-inbox.1
EXTRA_DIST += doc/SECURITY.md
