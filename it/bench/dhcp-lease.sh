#!/usr/bin/env bash
# Benchmark: time to a DHCP lease for a freshly created pod interface, terway's daemon side by side
# with the reference CNI dhcp daemon (/usr/lib/cni/dhcp, Debian containernetworking-plugins), and the
# resident memory of each daemon holding 200 leases. Everything runs in a throwaway lab of network
# namespaces (it/lib/lab.sh): dnsmasq on the LAN (--no-ping, 2 minute leases, T1 10 s, T2 20 s), a node
# whose LAN NIC is the uplink of bridge br0, pods as namespaces with a veth on br0. Both daemons run in
# the node namespace; each pod interface is created and brought up right before its lease is asked for.
#
#   sudo bash it/bench/dhcp-lease.sh [PODS] [HELD]      (defaults: 25 pods timed per daemon, 200 held)
#
# terway is asked over its socket by a one-shot client (system python, ~20 ms to start; cni-terway is
# the production client); the reference through its CNI interface (CNI_COMMAND=ADD /usr/lib/cni/dhcp
# with {"ipam":{"type":"dhcp"}}), which forwards to its daemon. "wall" includes the client process;
# "rtt" is terway's request/response time on the socket alone; "client alone" is what each client costs
# without a lease (terway: ping; reference: CNI VERSION). Targets: p50 < 50 ms, RSS < 64 MiB.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
# shellcheck source=../lib/dhcp-lab.sh
source "$root/it/lib/dhcp-lab.sh"

PODS=${1:-25}
HELD=${2:-200}
WARMUP=3
CHURN=${CHURN:-30}   # seconds of renewals before the second RSS reading
REFERENCE=/usr/lib/cni/dhcp
PYTHON=/usr/bin/python3

for tool in "$REFERENCE" "$PYTHON" dnsmasq; do
  command -v "$tool" > /dev/null || { echo "dhcp-lease: missing $tool (containernetworking-plugins, python3, dnsmasq-base)" >&2; exit 1; }
done
[ -d "$root/target/classes" ] && [ -f "$root/target/native/libterwaynet.so" ] \
  || { echo "dhcp-lease: build terway first: mvn -B -q -DskipTests package" >&2; exit 1; }

lab_init
lab_build_lan
lab_add_host gw 1

# dnsmasq as lab_start_dnsmasq, with room for HELD leases plus the timed pods of both daemons
log="$LAB_DIR/dnsmasq.log"
ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --no-ping --port=0 \
  --interface="$LAB_SWITCH" --bind-interfaces --dhcp-lease-max=1000 \
  --dhcp-range="$(lab_v4 20),$(lab_v4 250),255.255.255.0,2m" \
  --dhcp-option=option:router,"$(lab_v4 1)" \
  --dhcp-option=option:T1,10 --dhcp-option=option:T2,20 \
  --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dnsmasq.pid" \
  --log-facility=- > "$log" 2>&1 < /dev/null &
LAB_PIDS+=($!)
for _ in $(seq 100); do grep -q 'DHCP, IP range' "$log" 2>/dev/null && break; sleep 0.1; done
grep -q 'DHCP, IP range' "$log" || { echo "dhcp-lease: dnsmasq did not start" >&2; cat "$log" >&2; exit 1; }

dhcp_lab_node n1 10
NODE=$LAB_NS_n1

TERWAY_SOCK=$LAB_DIR/terway/dhcp.sock
REF_SOCK=$LAB_DIR/ref/dhcp.sock
mkdir -p "$LAB_DIR/ref"

# TERWAY_ARP_PROBE (e.g. 0) sets the daemon's --arp-probe: the duplicate-address check adds its wait
# (200 ms by default) to every lease, so 0 compares the exchange alone with earlier builds.
ip netns exec "$NODE" "$root/bin/terway" dhcp daemon --socket "$TERWAY_SOCK" --state-dir "$LAB_DIR/terway-state" \
  ${TERWAY_ARP_PROBE:+--arp-probe "$TERWAY_ARP_PROBE"} > "$LAB_DIR/terway.log" 2>&1 < /dev/null &
TERWAY_PID=$!
LAB_PIDS+=("$TERWAY_PID")
ip netns exec "$NODE" "$REFERENCE" daemon -socketpath "$REF_SOCK" > "$LAB_DIR/ref.log" 2>&1 < /dev/null &
REF_PID=$!
LAB_PIDS+=("$REF_PID")

# Clients of the terway socket. one.py: one request (argv), prints "<status> <body>" and the round
# trip in ms on stderr; only socket/sys/time, started with -S -E: ~10 ms. batch.py: requests from stdin,
# N at a time.
cat > "$LAB_DIR/one.py" << 'EOF'
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
ms = (time.perf_counter() - start) * 1000
sys.stdout.write(reply.decode().replace('\n', ' ', 1) + '\n')
sys.stderr.write('%.3f\n' % ms)
EOF
cat > "$LAB_DIR/batch.py" << 'EOF'
import socket, sys
from concurrent.futures import ThreadPoolExecutor
def call(request):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(request.encode())
    s.shutdown(socket.SHUT_WR)
    reply = s.makefile('rb').read().decode()
    s.close()
    return reply.replace('\n', ' ', 1)
with ThreadPoolExecutor(int(sys.argv[2])) as pool:
    for reply in pool.map(call, [l for l in sys.stdin.read().splitlines() if l]):
        print(reply)
EOF
one() { "$PYTHON" -S -E "$LAB_DIR/one.py" "$@"; }
batch() { "$PYTHON" "$LAB_DIR/batch.py" "$@"; }

for _ in $(seq 300); do
  [ -S "$TERWAY_SOCK" ] && [ -S "$REF_SOCK" ] \
    && one "$TERWAY_SOCK" '{"op":"ping"}' 2> /dev/null | grep -q '^0 ' && break
  kill -0 "$TERWAY_PID" 2> /dev/null || { echo "dhcp-lease: terway daemon exited:" >&2; cat "$LAB_DIR/terway.log" >&2; exit 1; }
  sleep 0.1
done
[ -S "$REF_SOCK" ] || { echo "dhcp-lease: reference daemon did not start:" >&2; cat "$LAB_DIR/ref.log" >&2; exit 1; }

now_ms() { local t=$EPOCHREALTIME; echo "${t/./}"; }   # microseconds

terway_request() {  # POD_NS CONTAINER_ID
  printf '{"op":"acquire","containerId":"%s","netns":"/run/netns/%s","ifname":"eth0","podNamespace":"bench","podName":"%s"}\n' "$2" "$1" "$2"
}

terway_acquire() {  # POD_NS CONTAINER_ID -> "wall_us rtt_ms"; fails unless status 0
  local start end out rtt
  start=$(now_ms)
  out=$(one "$TERWAY_SOCK" "$(terway_request "$1" "$2")" 2> "$LAB_DIR/rtt")
  end=$(now_ms)
  rtt=$(cat "$LAB_DIR/rtt")
  [[ $out == "0 "* ]] || { echo "dhcp-lease: terway acquire for $1 failed: $out" >&2; return 1; }
  echo "$((end - start)) $rtt"
}

ref_config() {
  printf '{"cniVersion":"0.4.0","name":"bench","type":"dhcp","ipam":{"type":"dhcp","daemonSocketPath":"%s"}}' "$REF_SOCK"
}

ref_cni() {  # COMMAND POD_NS CONTAINER_ID
  ref_config | CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    "$REFERENCE"
}

ref_acquire() {  # POD_NS CONTAINER_ID -> "wall_us"
  local start end out
  start=$(now_ms)
  out=$(ref_cni ADD "$1" "$2" 2>&1) || { echo "dhcp-lease: reference ADD for $1 failed: $out" >&2; return 1; }
  end=$(now_ms)
  echo "$((end - start))"
}

percentile() {  # P < values (one per line) -> value at the P-th percentile (nearest rank)
  sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; print v[i] }'
}

ms() { awk '{ printf "%.1f", $1 / 1000 }'; }     # microseconds -> ms
mib() { awk '{ printf "%.1f", $1 / 1024 }'; }   # KiB -> MiB

echo "dhcp-lease: lab $LAB_ID, $PODS timed pods per daemon after $WARMUP warm-up pods, then $HELD held leases" >&2

: > "$LAB_DIR/terway.wall"; : > "$LAB_DIR/terway.rtt"; : > "$LAB_DIR/ref.wall"
TERWAY_FIRST=""
REF_FIRST=""
for i in $(seq 1 $((WARMUP + PODS))); do
  # a fresh pod interface right before each request, for each daemon
  dhcp_lab_pod n1 "t$i"
  read -r wall rtt < <(terway_acquire "$LAB_ID-t$i" "t$i")
  dhcp_lab_pod n1 "r$i"
  ref=$(ref_acquire "$LAB_ID-r$i" "r$i")
  if [ "$i" -eq 1 ]; then TERWAY_FIRST=$wall; REF_FIRST=$ref; fi
  if [ "$i" -gt "$WARMUP" ]; then
    echo "$wall" >> "$LAB_DIR/terway.wall"
    awk '{ printf "%d\n", $1 * 1000 }' <<< "$rtt" >> "$LAB_DIR/terway.rtt"
    echo "$ref" >> "$LAB_DIR/ref.wall"
  fi
  printf '.' >&2
done
echo >&2

# what the clients cost by themselves: terway's client asking "ping", the reference plugin asked VERSION
: > "$LAB_DIR/terway.null"; : > "$LAB_DIR/ref.null"
for _ in $(seq 1 "$PODS"); do
  start=$(now_ms); out=$(one "$TERWAY_SOCK" '{"op":"ping"}' 2> /dev/null); end=$(now_ms)
  [[ $out == "0 "* ]] && echo "$((end - start))" >> "$LAB_DIR/terway.null"
  start=$(now_ms); out=$(ref_config | CNI_COMMAND=VERSION "$REFERENCE" 2>&1); end=$(now_ms)
  echo "$((end - start))" >> "$LAB_DIR/ref.null"
done

# give the timed leases back (terway release; reference DEL) so the held-lease phase has addresses
for i in $(seq 1 $((WARMUP + PODS))); do
  printf '{"op":"release","containerId":"t%s","ifname":"eth0"}\n' "$i"
done | batch "$TERWAY_SOCK" 8 > /dev/null
for i in $(seq 1 $((WARMUP + PODS))); do ref_cni DEL "$LAB_ID-r$i" "r$i" > /dev/null 2>&1 || true; done

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# HELD leases in terway: pods created first, then acquired 16 at a time
for i in $(seq 1 "$HELD"); do dhcp_lab_pod n1 "h$i"; done
for i in $(seq 1 "$HELD"); do terway_request "$LAB_ID-h$i" "h$i"; done \
  | batch "$TERWAY_SOCK" 16 > "$LAB_DIR/held.out"
TERWAY_HELD=$(grep -c '^0 ' "$LAB_DIR/held.out" || true)
# as CNI ADD would: each pod gets its address, so that renewals (unicast from the pod) are answered
i=0
while read -r status body; do
  i=$((i + 1))
  [ "$status" = 0 ] || continue
  address=$(grep -o '"address":"[^"]*"' <<< "$body" | cut -d'"' -f4)
  ip -n "$LAB_ID-h$i" addr add "$address" dev eth0 valid_lft 120 preferred_lft 120
done < "$LAB_DIR/held.out"
sleep 2
TERWAY_RSS=$(rss_kib "$TERWAY_PID")
sleep "$CHURN"   # renewals every 10 s (T1) meanwhile
TERWAY_RSS_LATER=$(rss_kib "$TERWAY_PID")
for i in $(seq 1 "$HELD"); do
  printf '{"op":"release","containerId":"h%s","ifname":"eth0"}\n' "$i"
done | batch "$TERWAY_SOCK" 16 > /dev/null

# the same pods through the reference, 16 ADDs at a time
REF_HELD=0
for ((i = 1; i <= HELD; i += 16)); do
  batch=()
  for ((j = i; j < i + 16 && j <= HELD; j++)); do
    ref_cni ADD "$LAB_ID-h$j" "h$j" > "$LAB_DIR/ref-add-$j.out" 2>&1 &
    batch+=($!)
  done
  wait "${batch[@]}" || true
done
for ((j = 1; j <= HELD; j++)); do
  grep -q '"ips"' "$LAB_DIR/ref-add-$j.out" || continue
  REF_HELD=$((REF_HELD + 1))
  address=$(tr -d ' \n' < "$LAB_DIR/ref-add-$j.out" | grep -o '"address":"[^"]*"' | head -1 | cut -d'"' -f4)
  ip -n "$LAB_ID-h$j" addr flush dev eth0
  ip -n "$LAB_ID-h$j" addr add "$address" dev eth0 valid_lft 120 preferred_lft 120
done
sleep 2
REF_RSS=$(rss_kib "$REF_PID")
sleep "$CHURN"
REF_RSS_LATER=$(rss_kib "$REF_PID")

printf '\n%-36s %14s %14s\n' "time to a lease (fresh pod, $PODS pods)" "terway" "reference"
printf '%-36s %14s %14s\n' "p50 wall (client process included)" "$(percentile 50 < "$LAB_DIR/terway.wall" | ms) ms" "$(percentile 50 < "$LAB_DIR/ref.wall" | ms) ms"
printf '%-36s %14s %14s\n' "p95 wall" "$(percentile 95 < "$LAB_DIR/terway.wall" | ms) ms" "$(percentile 95 < "$LAB_DIR/ref.wall" | ms) ms"
printf '%-36s %14s %14s\n' "max wall" "$(percentile 100 < "$LAB_DIR/terway.wall" | ms) ms" "$(percentile 100 < "$LAB_DIR/ref.wall" | ms) ms"
printf '%-36s %14s %14s\n' "p50 client alone (ping / VERSION)" "$(percentile 50 < "$LAB_DIR/terway.null" | ms) ms" "$(percentile 50 < "$LAB_DIR/ref.null" | ms) ms"
printf '%-36s %14s %14s\n' "p50 daemon round trip (socket)" "$(percentile 50 < "$LAB_DIR/terway.rtt" | ms) ms" "-"
printf '%-36s %14s %14s\n' "p95 daemon round trip (socket)" "$(percentile 95 < "$LAB_DIR/terway.rtt" | ms) ms" "-"
printf '%-36s %14s %14s\n' "first pod (cold daemon), wall" "$(echo "$TERWAY_FIRST" | ms) ms" "$(echo "$REF_FIRST" | ms) ms"
printf '%-36s %14s %14s\n' "leases held" "$TERWAY_HELD/$HELD" "$REF_HELD/$HELD"
printf '%-36s %14s %14s\n' "daemon RSS, leases held" "$(mib <<< "$TERWAY_RSS") MiB" "$(mib <<< "$REF_RSS") MiB"
printf '%-36s %14s %14s\n' "daemon RSS after ${CHURN} s of renewals" "$(mib <<< "$TERWAY_RSS_LATER") MiB" "$(mib <<< "$REF_RSS_LATER") MiB"
printf '\ntargets: terway p50 < 50 ms, RSS < 64 MiB\n'
