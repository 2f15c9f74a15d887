#!/usr/bin/env bash
# Connectivity gap of `terway setup` and `terway teardown`: while each runs on a node of a sandbox LAN,
# a LAN host pings the node every 10 ms; prints, per operation, the packets sent and lost and the
# longest gap between two replies. Two reference rows: "idle" (no operation) is the floor of the
# measurement, "flap200ms" (the node cut off the switch for 200 ms) shows that a real outage is seen.
#
#   sudo bash it/bench/setup-gap.sh [RUNS]      (default 3; needs a built checkout: it/lib/prepare.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-3}
terway="$root/bin/terway"

# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
lab_require_build setup-gap
lab_init
lab_build_lan
lab_add_host gw 1
lab_add_host h2 2
lab_add_node n1
lab_configure_static_node n1 10
node_ip=$(lab_v4 10)
state="$LAB_DIR/state"

# measure NAME CMD...: pings the node from the gateway every 10 ms from 0.5 s before CMD until 0.5 s
# after it, then prints one table row: the operation's wall time (JVM start included), echo requests
# sent, requests without a reply, and the longest time between two consecutive replies.
measure() {
  local name=$1 log="$LAB_DIR/ping-$1-$RANDOM.log" start end
  shift
  # real-time priority: the JVM starting on a busy machine must not delay the pinger itself, or its
  # scheduling delays would show up as gaps
  lab_bg ip netns exec "$LAB_NS_gw" chrt -f 50 ping -n -D -i 0.01 "$node_ip" > "$log" 2>&1
  local ping_pid=$LAB_BG_PID
  sleep 0.5
  start=$(date +%s%N)
  if ! "$@" > "$LAB_DIR/op.log" 2>&1; then
    echo "setup-gap: '$*' failed:" >&2
    cat "$LAB_DIR/op.log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  sleep 0.5
  kill -INT "$ping_pid"
  wait "$ping_pid" || true
  # reply lines: "[1700000000.123456] 64 bytes from 10.x.y.10: icmp_seq=12 ttl=64 time=0.05 ms"
  awk -v name="$name" -v op_ms="$(((end - start) / 1000000))" '
    /packets transmitted/ { sent = $1 }
    /bytes from.*icmp_seq=/ {
      ts = substr($1, 2, length($1) - 2) * 1000
      match($0, /icmp_seq=[0-9]+/)
      seq = substr($0, RSTART + 9, RLENGTH - 9)
      if (!(seq in got)) { got[seq] = 1; replies++ }
      if (prev != "" && ts - prev > gap) gap = ts - prev
      prev = ts
    }
    END { printf "%-10s %10d %6d %6d %12.1f\n", name, op_ms, sent, sent - replies, gap }' "$log"
}

echo "terway connectivity gap: gateway pings node $node_ip every 10 ms (lab $LAB_ID, $runs runs)"
printf '%-10s %10s %6s %6s %12s\n' operation "op ms" sent lost "max gap ms"
# calibration: a known 200 ms outage must show up as ~20 lost packets and a ~200 ms gap
# (the node's switch port leaves the switch and comes back; the node's own configuration is untouched)
flap() { ip -n "$LAB_LAN" link set p-n1 nomaster && sleep 0.2 && ip -n "$LAB_LAN" link set p-n1 master "$LAB_SWITCH"; }
measure "flap200ms" flap
for i in $(seq "$runs"); do
  measure idle sleep 1
  measure setup ip netns exec "$LAB_NS_n1" "$terway" setup --iface eth0 --state-dir "$state"
  measure teardown ip netns exec "$LAB_NS_n1" "$terway" teardown --state-dir "$state"
done
