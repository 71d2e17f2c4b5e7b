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
