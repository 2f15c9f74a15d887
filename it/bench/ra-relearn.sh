#!/usr/bin/env bash
# IPv6 default router on a LAN with router advertisements: terway does not copy the default router the
# kernel learnt (a copy would stop the kernel from reading advertisements on the bridge); the bridge, after
# setup, and the NIC, after teardown, learn it again by soliciting. This prints, per run, how long after
# terway returns the default router is back, which is how long the node cannot reach beyond the LAN over
# IPv6 (on-link IPv6 and all IPv4 never stop: see setup-gap.sh). The router advertises every 10 minutes,
# so only the answer to a solicitation can bring the router back within the 4 s the script waits.
#
#   sudo bash it/bench/ra-relearn.sh [RUNS]      (default 3; needs a built checkout: it/lib/prepare.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-3}
terway="$root/bin/terway"

# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
lab_require_build ra-relearn
lab_init
lab_build_lan
lab_add_host gw 1
lab_bg ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --port=0 --interface="$LAB_SWITCH" \
  --bind-interfaces --enable-ra --dhcp-range=::,constructor:"$LAB_SWITCH",ra-only,64,10m \
  --ra-param="$LAB_SWITCH",600,1800 --dhcp-leasefile="$LAB_DIR/ra.leases" --pid-file="$LAB_DIR/ra.pid" \
  --log-facility=- > "$LAB_DIR/ra.log" 2>&1 < /dev/null

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# learnt NS DEV: waits up to 4 s for a default route learnt from an advertisement on DEV; fails if none
learnt() {
  local i
  for i in $(seq 400); do
    [ -n "$(ip -n "$1" -6 route show default dev "$2" proto ra)" ] && return 0
    sleep 0.01
  done
  echo "ra-relearn: no default router on $2 in $1 within 4 s" >&2
  return 1
}

echo "IPv6 default router relearnt after terway returns (lab $LAB_ID, $runs runs)"
printf '%-10s %6s %10s %14s\n' operation run "op ms" "router after ms"
for run in $(seq "$runs"); do
  lab_add_node "n$run"
  ns="$LAB_ID-n$run"
  ip -n "$ns" addr add "$(lab_v4 $((20 + run)))/24" dev eth0
  ip -n "$ns" route add default via "$(lab_v4 1)" dev eth0
  learnt "$ns" eth0
  for op in setup teardown; do
    if [ "$op" = setup ]; then dev=mybr0; args=(setup --iface eth0); else dev=eth0; args=(teardown); fi
    start=$(now_ms)
    ip netns exec "$ns" "$terway" "${args[@]}" --state-dir "$LAB_DIR/state-$run" > "$LAB_DIR/op.log" 2>&1 ||
      { echo "ra-relearn: terway $op failed:" >&2; cat "$LAB_DIR/op.log" >&2; exit 1; }
    returned=$(now_ms)
    learnt "$ns" "$dev"
    printf '%-10s %6d %10d %14d\n' "$op" "$run" $((returned - start)) $(($(now_ms) - returned))
  done
done
