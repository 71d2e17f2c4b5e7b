# bench/sms-conf.sh: sourced by bench/sms.sh and bench/kannel.sh, so that
# both benchmarks measure the same gateway.
#
# sms_bench_conf FILE DIR [LINE...]: writes to FILE a gateway
# configuration with its state in DIR/state, one pull partner whose
# public key is DIR/partner.pub, and rate limits far above any load the
# benchmarks make (a limited reply would be the cheap "too many
# messages" text, not the path being measured).  Each LINE goes into
# [sms] as it is.
sms_bench_conf () {
  _file=$1 _dir=$2
  shift 2
  {
    printf '[gateway]\nstate_dir = %s/state\n[sms]\n' "$_dir"
    for _line in "$@"; do printf '%s\n' "$_line"; done
    cat <<CONF
sender_burst = 1000
sender_per_hour = 100000
global_burst = 1000000
global_per_second = 1000000
allow_missing_translations = true
[partner bench]
name = Bench Partner
kind = support
services = *
languages = en,pa,ur,ar,so,sq
areas = *
delivery = pull
pull_token = bench-pull-token-0123456789abcdef
public_key_file = $_dir/partner.pub
CONF
  } > "$_file"
}

# cpu_times: total CPU ticks and ticks stolen so far (/proc/stat).
# steal_since "TOTAL STEAL" PREFIX: prints the share of CPU time the
# host stole since then.  On a virtual machine the host may run other
# guests on our CPUs: printed with the figures, it says how far to trust
# a run.
cpu_times () { awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9}' /proc/stat; }
steal_since () {
  echo "$1 $(cpu_times)" | awk -v what="$2" \
    '$3 > $1 {printf "%sCPU time stolen by the host: %.0f%%\n", what, 100 * ($4 - $2) / ($3 - $1)}'
}
