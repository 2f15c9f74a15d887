#!/usr/bin/env bash
# Load: N pods (default 200) on one terway node whose leases renew every 10 s (dnsmasq T1=10 s, T2=20 s,
# lease 2 min), kept for a bounded time. Counts the renewals dnsmasq acknowledged (its own log, per
# address) against what a 10 s T1 implies, reports every missed renewal (a gap of 1.5 x T1 or more
# between two ACKs of one pod, or at the ends of the window), and the daemon's RSS and CPU.
#
#   sudo bash it/bench/load-200.sh [--minutes N] [--pods N] [--metrics]   (defaults 5, 200, off; needs a built checkout)
#
# --metrics: the daemon serves its Prometheus metrics (--metrics-address 127.0.0.1:9153 in the node's namespace)
# and they are scraped every 15 s through the window, as a Prometheus server would; the last scrape's lease and
# renewal counts are printed beside dnsmasq's. Alternate runs with and without it to see what metrics cost.
#
# Everything runs in a throwaway lab of network namespaces (it/lib/lab.sh), removed on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
minutes=5
pods=200
metrics=off
metrics_address=127.0.0.1:9153
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --pods) pods=$2; shift 2 ;;
    --metrics) metrics=on; shift ;;
    *) echo "usage: load-200.sh [--minutes N] [--pods N] [--metrics]" >&2; exit 2 ;;
  esac
done
[[ $minutes =~ ^[0-9]+$ ]] && [ "$minutes" -ge 1 ] || { echo "load-200: --minutes must be a positive integer" >&2; exit 2; }
[[ $pods =~ ^[0-9]+$ ]] && [ "$pods" -ge 1 ] && [ "$pods" -le 220 ] ||
  { echo "load-200: --pods must be 1..220 (one /24 LAN)" >&2; exit 2; }

# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
lab_require_build load-200
lab_init
lab_build_lan
lab_add_host gw 1
lab_add_node n1
lab_configure_static_node n1 10

# dnsmasq of our own: the lab's range (.100-.199) is too small for 200 pods. Logged to a file, which
# gives every line a timestamp.
dnsmasq_log="$LAB_DIR/dnsmasq.log"
lab_bg ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --no-ping --port=0 \
  --interface="$LAB_SWITCH" --bind-interfaces \
  --dhcp-range="$(lab_v4 20),$(lab_v4 249),255.255.255.0,2m" \
  --dhcp-option=option:router,"$(lab_v4 1)" \
  --dhcp-option=option:T1,10 --dhcp-option=option:T2,20 \
  --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dnsmasq.pid" \
  --log-facility="$dnsmasq_log" > "$LAB_DIR/dnsmasq.out" 2>&1
for _ in $(seq 100); do grep -q 'DHCP, IP range' "$dnsmasq_log" 2>/dev/null && break; sleep 0.1; done
grep -q 'DHCP, IP range' "$dnsmasq_log" || { echo "load-200: dnsmasq did not start" >&2; exit 1; }

ip netns exec "$LAB_NS_n1" "$root/bin/terway" setup --iface eth0 --state-dir "$LAB_DIR/setup" \
  > "$LAB_DIR/setup.log" 2>&1 || { cat "$LAB_DIR/setup.log" >&2; exit 1; }
sock="$LAB_DIR/run/dhcp.sock"
mkdir -p "$LAB_DIR/run"
metrics_opts=()
[ "$metrics" = on ] && metrics_opts=(--metrics-address "$metrics_address")
lab_bg ip netns exec "$LAB_NS_n1" "$root/bin/terway" dhcp daemon --socket "$sock" \
  --state-dir "$LAB_DIR/state" "${metrics_opts[@]}" > "$LAB_DIR/daemon.log" 2>&1
daemon_pid=$LAB_BG_PID # `ip netns exec` and bin/terway exec: this is the JVM
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "load-200: the daemon did not start" >&2; cat "$LAB_DIR/daemon.log" >&2; exit 1; }
conf='{"cniVersion":"1.0.0","name":"load","type":"cni-terway","dhcpSocket":"'$sock'"}'

# cni VERB I: one invocation for pod I, as a runtime does it.
cni() {
  printf '%s' "$conf" | ip netns exec "$LAB_NS_n1" env -i PATH="$PATH" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
    CNI_COMMAND="$1" CNI_CONTAINERID="load$2" CNI_NETNS="/run/netns/$LAB_ID-p$2" CNI_IFNAME=eth0 \
    CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=load;K8S_POD_NAME=p$2" \
    "$root/bin/cni-terway" > "$LAB_DIR/cni-$1-$2.out" 2>&1
}

echo "load-200: adding $pods pods ..." >&2
for i in $(seq "$pods"); do lab_ns_add "p$i"; done
add_start=$(date +%s)
failed=0
# in_batches VERB: runs VERB for every pod, a few at a time (the JVMs of cni-terway share the machine
# with the daemon). Waits on its own jobs only: dnsmasq and the daemon run in the background too.
in_batches() {
  local verb=$1 i batch=()
  for i in $(seq "$pods"); do
    cni "$verb" "$i" &
    batch+=($!)
    if (( ${#batch[@]} == 6 )); then wait "${batch[@]}" || true; batch=(); fi
  done
  (( ${#batch[@]} == 0 )) || wait "${batch[@]}" || true
}
in_batches ADD
for i in $(seq "$pods"); do
  grep -q '"ips"' "$LAB_DIR/cni-ADD-$i.out" || { failed=$((failed + 1)); echo "ADD p$i failed: $(cat "$LAB_DIR/cni-ADD-$i.out")" >&2; }
done
echo "load-200: $((pods - failed)) pods up in $(( $(date +%s) - add_start )) s, $failed failed" >&2

# cpu_ticks PID: user + system clock ticks of the process so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# scrape: GET /metrics inside the node's namespace (bash's /dev/tcp: nothing to install) into $LAB_DIR/metrics.txt.
scrapes=0
scrape() {
  ip netns exec "$LAB_NS_n1" timeout 10 bash -c 'exec 3<>/dev/tcp/${0%:*}/${0##*:} &&
    printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$metrics_address" > "$LAB_DIR/metrics.http" &&
    head -n1 "$LAB_DIR/metrics.http" | grep -q ' 200 ' &&
    sed '1,/^\r$/d' "$LAB_DIR/metrics.http" > "$LAB_DIR/metrics.txt" && scrapes=$((scrapes + 1))
}
# metric NAME LABEL="VALUE"...: the value of the sample NAME with those labels (in any order) in the last scrape.
metric() {
  awk -v name="$1" -v want="${*:2}" '
    index($1, name "{") == 1 {
      n = split(want, pairs, " "); ok = 1
      for (i = 1; i <= n; i++) if (index($1, pairs[i]) == 0) ok = 0
      if (ok) print $2
    }' "$LAB_DIR/metrics.txt"
}

sleep 5 # let the last leases settle into their T1 rhythm
window=$((minutes * 60))
t0=$(date +%s)
ticks0=$(cpu_ticks "$daemon_pid")
rss_max=0
echo "load-200: measuring for $minutes min ..." >&2
tick=0
while (( $(date +%s) < t0 + window )); do
  rss=$(rss_kib "$daemon_pid"); (( rss > rss_max )) && rss_max=$rss
  if [ "$metrics" = on ] && (( tick % 3 == 0 )); then
    scrape || echo "load-200: a scrape of http://$metrics_address/metrics failed" >&2
  fi
  tick=$((tick + 1))
  sleep 5
done
t1=$(date +%s)
ticks1=$(cpu_ticks "$daemon_pid")
rss_end=$(rss_kib "$daemon_pid")

# Renewal ACKs per address within [t0, t1] from dnsmasq's log ("Mon DD HH:MM:SS dnsmasq-dhcp[pid]:
# DHCPACK(sw0) ADDRESS MAC ..."). Day boundaries are not handled: keep runs clear of midnight.
day0=$(date -d "$(date -d "@$t0" +%F)" +%s) # local midnight, as dnsmasq logs local time
report=$(awk -v t0="$t0" -v t1="$t1" -v day0="$day0" -v pods="$pods" -v window="$window" '
  /DHCPACK\(/ {
    split($3, hms, ":"); t = day0 + hms[1] * 3600 + hms[2] * 60 + hms[3]
    if (t < t0 || t > t1) next
    for (i = 1; i <= NF; i++) if ($i ~ /^DHCPACK\(/) { ip = $(i + 1); break }
    n[ip]++; if (!(ip in first)) first[ip] = t; gaps[ip] = gaps[ip] " " t
  }
  END {
    missed = 0; total = 0; worst = 0
    for (ip in n) {
      total += n[ip]
      m = split(substr(gaps[ip], 2), ts, " ")
      prev = t0
      for (k = 1; k <= m + 1; k++) {
        cur = (k <= m) ? ts[k] : t1
        gap = cur - prev
        if (gap > worst) worst = gap
        # a renewal every 10 s: a gap of 15 s or more means floor(gap/10 + 0.5) - 1 were missed
        if (gap >= 15) missed += int(gap / 10 + 0.5) - 1
        prev = cur
      }
    }
    silent = pods - length(n)
    printf "%d %d %d %d %d\n", total, int(pods * window / 10), missed + silent * int(window / 10), worst, silent
  }' "$dnsmasq_log")
read -r acks expected missed worst silent <<< "$report"

cpu_s=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz }')
cpu_pct=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" -v s="$((t1 - t0))" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / s }')
printf '\n%-34s %s\n' "pods" "$((pods - failed)) of $pods up"
printf '%-34s %s\n' "window" "$((t1 - t0)) s"
printf '%-34s %s\n' "renewal ACKs (dnsmasq log)" "$acks"
printf '%-34s %s\n' "expected (pods x window / 10 s)" "$expected"
printf '%-34s %s\n' "mean interval between renewals" "$(awk -v a="$acks" -v p="$pods" -v w="$((t1 - t0))" 'BEGIN { if (a) printf "%.1f s", p * w / a; else print "-" }')"
printf '%-34s %s\n' "missed renewals (gaps >= 15 s)" "$missed"
printf '%-34s %s\n' "pods with no renewal at all" "$silent"
printf '%-34s %s\n' "longest gap between renewals" "$worst s"
printf '%-34s %s\n' "daemon RSS at end / max" "$((rss_end / 1024)) / $((rss_max / 1024)) MiB"
printf '%-34s %s\n' "daemon CPU in window" "$cpu_s s ($cpu_pct % of one core)"
printf '%-34s %s\n' "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$metrics" = on ]; then
  scrape || true
  printf '%-34s %s\n' "metrics" "on, $scrapes scrapes of $(wc -c < "$LAB_DIR/metrics.txt") bytes"
  printf '%-34s %s\n' "  leases bound / renewing" "$(metric terway_dhcp_leases 'state="bound"') / $(metric terway_dhcp_leases 'state="renewing"')"
  printf '%-34s %s\n' "  renew ACKs since start" "$(metric terway_dhcp_exchanges_total 'exchange="renew"' 'outcome="ack"')"
  printf '%-34s %s\n' "  renewals missed / late" "$(metric terway_dhcp_renewals_missed_total 'family="ipv4"') / $(metric terway_dhcp_renewals_late_total 'family="ipv4"')"
else
  printf '%-34s %s\n' "metrics" "off"
fi

echo "load-200: deleting the pods ..." >&2
in_batches DEL
# The daemon answers DEL before it deletes the veth pair (the kernel's part takes 10-40 ms each): give
# the last DELs up to 10 s to finish before counting leftovers.
for _ in $(seq 100); do
  left=$(ip -n "$LAB_NS_n1" -o link show | grep -c ' tw[0-9a-f]\{13\}' || true)
  [ "$left" = 0 ] && break
  sleep 0.1
done
echo "load-200: pods deleted; terway veths left on the node after the DELs finished: $left" >&2
