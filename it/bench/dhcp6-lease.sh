#!/usr/bin/env bash
# Benchmark: time to a DHCPv6 lease for a freshly created pod interface, next to the time to an IPv4 lease,
# both from terway's daemon. A throwaway lab (it/lib/lab.sh): one dnsmasq on the LAN serving DHCPv4
# (--no-ping, 2 minute leases) and DHCPv6 (--enable-ra, a managed range, 2 minute leases), a node whose LAN
# NIC is the uplink of bridge br0, pods as namespaces with a veth on br0, the daemon in the node namespace.
#
#   sudo bash it/bench/dhcp6-lease.sh [PODS]      (default: 15 pods per column)
#
# Six columns, each over its own fresh pods, each timed from the moment the pod's eth0 is up:
#   ipv4            "acquire": DISCOVER..ACK, plus the ARP probe (--arp-probe, 200 ms by default)
#   ipv6, fresh     "acquire6": the wait for the pod's link-local address to pass DAD, then SOLICIT,
#                   ADVERTISE, the collection wait (first RT, ~260 ms), REQUEST, REPLY
#   ipv6, after DAD "acquire6" on a pod whose link-local address is already usable: the exchange alone
#   ipv6, optimistic  "acquire6" on a fresh pod whose eth0 had optimistic DAD (RFC 4429,
#                   net.ipv6.conf.eth0.optimistic_dad=1) before it came up: its link-local address is usable
#                   at once; skipped when the kernel lacks it
#   ipv6, no delay  "acquire6" on a fresh pod whose eth0 had router_solicitation_delay=0 before it came up
#                   (no random wait of up to 1 s before DAD; what ADD's pod settings held until 2026-12-05)
#   ipv6, pod side  "acquire6" on a fresh pod with the settings ADD gives the pod (PodIpv6.Settings) that
#                   bear on DAD: router_solicitation_delay=0 and the RetransTimer
#                   net.ipv6.neigh.eth0.retrans_time_ms=100, so DAD of the link-local address waits 100 ms
#                   for an answer instead of 1 s
# Times are the daemon's socket round trip (a one-shot python client, as it/bench/dhcp-lease.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
# shellcheck source=../lib/dhcp-lab.sh
source "$root/it/lib/dhcp-lab.sh"

PODS=${1:-15}
PYTHON=/usr/bin/python3
command -v "$PYTHON" > /dev/null && command -v dnsmasq > /dev/null \
  || { echo "dhcp6-lease: needs python3 and dnsmasq" >&2; exit 1; }
[ -f "$root/target/native/libterwaynet.so" ] || { echo "dhcp6-lease: build terway first: mvn -B -q -DskipTests package" >&2; exit 1; }

lab_init
lab_build_lan
lab_add_host gw 1

log="$LAB_DIR/dnsmasq.log"
ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --no-ping --port=0 \
  --interface="$LAB_SWITCH" --bind-interfaces --dhcp-lease-max=1000 \
  --dhcp-range="$(lab_v4 20),$(lab_v4 250),255.255.255.0,2m" \
  --dhcp-option=option:router,"$(lab_v4 1)" \
  --enable-ra --dhcp-range="$(lab_v6 256),$(lab_v6 1023),64,2m" \
  --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dnsmasq.pid" \
  --log-facility=- > "$log" 2>&1 < /dev/null &
LAB_PIDS+=($!)
for _ in $(seq 100); do grep -q 'DHCPv6, IP range' "$log" 2>/dev/null && break; sleep 0.1; done
grep -q 'DHCPv6, IP range' "$log" || { echo "dhcp6-lease: dnsmasq did not start" >&2; cat "$log" >&2; exit 1; }

dhcp_lab_node n1 10
NODE=$LAB_NS_n1
SOCK=$LAB_DIR/terway/dhcp.sock
ip netns exec "$NODE" "$root/bin/terway" dhcp daemon --socket "$SOCK" --state-dir "$LAB_DIR/terway-state" \
  ${TERWAY_ARP_PROBE:+--arp-probe "$TERWAY_ARP_PROBE"} > "$LAB_DIR/terway.log" 2>&1 < /dev/null &
DAEMON=$!
LAB_PIDS+=("$DAEMON")

cat > "$LAB_DIR/one.py" << 'PY'
import socket, sys, time
start = time.perf_counter()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR)
reply = b''
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    reply += chunk
sys.stdout.write(reply.decode().replace('\n', ' ', 1) + '\n')
sys.stderr.write('%d\n' % ((time.perf_counter() - start) * 1e6))
PY
one() { "$PYTHON" -S -E "$LAB_DIR/one.py" "$@"; }

for _ in $(seq 300); do
  [ -S "$SOCK" ] && one "$SOCK" '{"op":"ping"}' 2> /dev/null | grep -q '^0 ' && break
  kill -0 "$DAEMON" 2> /dev/null || { echo "dhcp6-lease: the daemon exited:" >&2; cat "$LAB_DIR/terway.log" >&2; exit 1; }
  sleep 0.1
done

acquire() {  # OP POD -> microseconds, from eth0 up (the caller brings it up right before) to the lease
  local out
  out=$(one "$SOCK" "$(printf '{"op":"%s","containerId":"%s","netns":"/run/netns/%s","ifname":"eth0","timeoutMs":15000}' \
    "$1" "$2" "$LAB_ID-$2")" 2> "$LAB_DIR/rtt")
  [[ $out == "0 "* ]] || { echo "dhcp6-lease: $1 for $2 failed: $out" >&2; return 1; }
  cat "$LAB_DIR/rtt"
}

dad_done() {  # POD: waits until eth0 has a link-local address that is no longer tentative
  for _ in $(seq 100); do
    ip -n "$LAB_ID-$1" -6 addr show dev eth0 scope link | grep -q 'inet6' \
      && ! ip -n "$LAB_ID-$1" -6 addr show dev eth0 tentative | grep -q inet6 && return 0
    sleep 0.05
  done
  return 1
}

tuned_pod() {  # NAME SYSCTL=VALUE...: like dhcp_lab_pod, with the sysctls set on eth0 before it comes up; fails without them
  local node="$LAB_ID-n1" name=$1 ns="$LAB_ID-$1"
  shift
  lab_ns_add "$name"
  ip -n "$node" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$node" link set "v-$name" master "$DHCP_LAB_BRIDGE" up
  ip netns exec "$ns" sysctl -q -w "$@" 2> /dev/null || return 1
  ip -n "$ns" link set eth0 up
}

percentile() {  # P < values -> nearest-rank percentile
  sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; print v[i] }'
}
ms() { awk '{ printf "%.0f", $1 / 1000 }'; }

echo "dhcp6-lease: lab $LAB_ID, $PODS pods per column" >&2
: > "$LAB_DIR/v4"; : > "$LAB_DIR/v6"; : > "$LAB_DIR/v6dad"; : > "$LAB_DIR/v6opt"; : > "$LAB_DIR/v6nodelay"; : > "$LAB_DIR/v6pod"
OPTIMISTIC=yes
for i in $(seq 1 "$PODS"); do
  dhcp_lab_pod n1 "a$i"; acquire acquire "a$i" >> "$LAB_DIR/v4"
  dhcp_lab_pod n1 "b$i"; acquire acquire6 "b$i" >> "$LAB_DIR/v6"
  dhcp_lab_pod n1 "c$i"; dad_done "c$i"; acquire acquire6 "c$i" >> "$LAB_DIR/v6dad"
  if [ "$OPTIMISTIC" = yes ]; then
    if tuned_pod "o$i" net.ipv6.conf.eth0.optimistic_dad=1; then acquire acquire6 "o$i" >> "$LAB_DIR/v6opt"
    else OPTIMISTIC=no; fi
  fi
  tuned_pod "d$i" net.ipv6.conf.eth0.router_solicitation_delay=0; acquire acquire6 "d$i" >> "$LAB_DIR/v6nodelay"
  tuned_pod "r$i" net.ipv6.conf.eth0.router_solicitation_delay=0 net.ipv6.neigh.eth0.retrans_time_ms=100
  acquire acquire6 "r$i" >> "$LAB_DIR/v6pod"
  printf '.' >&2
done
echo >&2

printf '\n%-34s %10s %10s %10s\n' "time to a lease ($PODS pods each)" "p50" "p95" "max"
for column in "ipv4 (DHCP + ARP probe):v4" "ipv6, fresh pod (DAD + DHCPv6):v6" "ipv6, link-local ready:v6dad" \
    "ipv6, fresh pod, optimistic DAD:v6opt" \
    "ipv6, fresh pod, no DAD delay:v6nodelay" "ipv6, fresh pod, pod settings:v6pod"; do
  name=${column%:*}; file=$LAB_DIR/${column##*:}
  printf '%-34s %7s ms %7s ms %7s ms\n' "$name" "$(percentile 50 < "$file" | ms)" "$(percentile 95 < "$file" | ms)" \
    "$(percentile 100 < "$file" | ms)"
done
printf '%-34s %s\n' "DHCPv6 messages" "$(one "$SOCK" '{"op":"stats"}' 2> /dev/null | grep -o '"dhcp6[A-Za-z]*":[0-9]*' | tr '\n' ' ')"
