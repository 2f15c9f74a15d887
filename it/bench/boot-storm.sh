#!/usr/bin/env bash
# Boot storm: N pods (default 30) ADDed at once on a daemon that has just started, as when a node comes
# back (reboot, drain and re-schedule, DaemonSet upgrade) and kubelet runs every pending sandbox's ADD at
# once, each its own plugin process. cni-terway as `terway install` installs it (the shipped runtime) and
# the terway daemon from that runtime (target/terway-runtime/bin/terway), next to the reference bridge +
# dhcp plugins (Debian's containernetworking-plugins in /usr/lib/cni, its `dhcp daemon`) on the same LAN
# in the same run. The storms run one after the other (never both at once), each on a daemon started
# right before it:
#
#   fresh      a daemon with an empty state dir, just started (socket up), then N ADDs at once
#   restore    a daemon restarted over N leases it stored (N running pods), then N new pods at once
#              (the reference daemon stores nothing: it is restarted with its N old pods left running)
#   warm       terway only: the same N ADDs again on the fresh daemon after its first storm was DELeted
#              (what the fresh row loses to class loading and JIT warm-up of the daemon)
#   sequential terway only: the same N ADDs one after another on the warm daemon (no contention)
#   no-probe   terway only: fresh, with --arp-probe 0 (what the 200 ms ARP probe of each address costs)
#
# Prints per row p50, p95, max of the ADD wall time (from the outside, JVM start included), the time until
# all N pods are ready, failures, the plugin processes' CPU (sum and p50, user + system, /usr/bin/time)
# and the daemon's CPU during the storm (/proc), and for terway the daemon-side time of each ADD (its log)
# and the process spawns per ADD (its audit log). Load average at start and end.
#
# The terway daemon starts with its class-data archive (bin/build-runtime: learned by the daemon of a
# "previous boot" run first); TERWAY_NO_DAEMON_ARCHIVE=1 starts every daemon without one, to compare.
#
#   sudo bash it/bench/boot-storm.sh [N]     (default 30, at most 50; needs `mvn -DskipTests package`)
#
# BOOT_STORM_ROWS picks rows (default all: "fresh warm sequential ref-fresh no-probe restore ref-restore"),
# e.g. "fresh ref-fresh" for quick alternated comparisons of two builds; warm and sequential need fresh.
#
# TERWAY_DAEMON_BIN overrides the terway that runs the daemon (e.g. bin/terway, the checkout's launcher).
# Everything runs in lab network namespaces created here and removed on exit (it/lib/lab.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pods=${1:-30}
[[ $pods =~ ^[0-9]+$ ]] && [ "$pods" -ge 1 ] && [ "$pods" -le 50 ] || { echo "boot-storm: N must be 1..50" >&2; exit 2; }
ref_dir=/usr/lib/cni
[ -x "$ref_dir/bridge" ] && [ -x "$ref_dir/dhcp" ] ||
  { echo "boot-storm: the reference plugins are missing ($ref_dir/bridge, dhcp): apt-get install containernetworking-plugins" >&2; exit 1; }
runtime=$root/target/terway-runtime
[ -x "$runtime/jre/bin/java" ] ||
  { echo "boot-storm: no shipped runtime in target/terway-runtime; run 'mvn -B -DskipTests package' first" >&2; exit 1; }
daemon_bin=${TERWAY_DAEMON_BIN:-$runtime/bin/terway}

# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
lab_require_build boot-storm
lab_init
lab_build_lan
lab_add_host gw 1
lab_add_node n1
lab_configure_static_node n1 10
lab_add_node n2
lab_configure_static_node n2 11
# dnsmasq of our own (as load-200.sh): up to 4N addresses are held at once, more than the lab's .100-.199
dnsmasq_log="$LAB_DIR/dnsmasq.log"
lab_bg ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --no-ping --port=0 \
  --interface="$LAB_SWITCH" --bind-interfaces \
  --dhcp-range="$(lab_v4 20),$(lab_v4 249),255.255.255.0,10m" \
  --dhcp-option=option:router,"$(lab_v4 1)" \
  --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dnsmasq.pid" \
  --log-facility="$dnsmasq_log" > "$LAB_DIR/dnsmasq.out" 2>&1
for _ in $(seq 100); do grep -q 'DHCP, IP range' "$dnsmasq_log" 2>/dev/null && break; sleep 0.1; done
grep -q 'DHCP, IP range' "$dnsmasq_log" || { echo "boot-storm: dnsmasq did not start" >&2; exit 1; }
for n in n1 n2; do
  ns_var="LAB_NS_$n"
  ip netns exec "${!ns_var}" "$root/bin/terway" setup --iface eth0 --state-dir "$LAB_DIR/setup-$n" \
    > "$LAB_DIR/setup-$n.log" 2>&1 || { cat "$LAB_DIR/setup-$n.log" >&2; exit 1; }
done

mkdir -p "$LAB_DIR/terway" "$LAB_DIR/ref"
terway_sock="$LAB_DIR/terway/dhcp.sock"
ref_sock="$LAB_DIR/ref/dhcp.sock"
"$root/bin/terway" install --runtime "$runtime" --cni-bin-dir "$LAB_DIR/cni-bin" --cni-conf-dir "$LAB_DIR/net.d" \
  --dhcp-socket "$terway_sock" > "$LAB_DIR/install.log" 2>&1 || { cat "$LAB_DIR/install.log" >&2; exit 1; }
terway_plugin="$LAB_DIR/cni-bin/cni-terway"
terway_conf='{"cniVersion":"1.0.0","name":"bench","type":"cni-terway","dhcpSocket":"'$terway_sock'"}'
ref_conf='{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"mybr0","isGateway":false,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"dhcp","daemonSocketPath":"'$ref_sock'"}}'
hz=$(getconf CLK_TCK)
# user + system clock ticks of the process and of its children waited for (the commands the daemon ran)
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

daemon_pid=""
# start_daemon IMPL STATE [ARGS...]: starts a daemon (terway: --state-dir STATE) and waits for its
# socket; sets daemon_pid (`ip netns exec` and the launchers exec: the daemon itself) and daemon_log.
start_daemon() {
  local impl=$1 state=$2 t0
  shift 2
  daemon_log="$LAB_DIR/$impl/daemon-$((++daemon_seq)).log"
  t0=${EPOCHREALTIME/./}
  if [ "$impl" = terway ]; then
    rm -f "$terway_sock"
    lab_bg ip netns exec "$LAB_NS_n1" "$daemon_bin" dhcp daemon --socket "$terway_sock" --state-dir "$state" "$@" \
      > "$daemon_log" 2>&1
  else
    rm -f "$ref_sock"
    lab_bg ip netns exec "$LAB_NS_n2" "$ref_dir/dhcp" daemon -socketpath "$ref_sock" > "$daemon_log" 2>&1
  fi
  daemon_pid=$LAB_BG_PID
  local sock=$terway_sock
  [ "$impl" = ref ] && sock=$ref_sock
  for _ in $(seq 600); do [ -S "$sock" ] && break; sleep 0.02; done
  [ -S "$sock" ] || { echo "boot-storm: the $impl daemon did not start" >&2; cat "$daemon_log" >&2; exit 1; }
  daemon_start_ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
  daemon_start_cpu=$(( $(cpu_ticks "$daemon_pid") * 1000 / hz ))
}
daemon_seq=0
stop_daemon() {
  kill -TERM "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
}

# invoke IMPL VERB ID [CPUFILE]: one plugin invocation for pod ID, as a runtime does it (inside the node
# namespace, CNI_* in the environment, the config on stdin); /usr/bin/time writes user and system CPU
# seconds of the plugin's process tree to CPUFILE.
invoke() {
  local impl=$1 verb=$2 id=$3 cpu=${4:-/dev/null} node conf plugin
  case $impl in
    terway) node=$LAB_NS_n1; conf=$terway_conf; plugin=$terway_plugin ;;
    ref) node=$LAB_NS_n2; conf=$ref_conf; plugin="$ref_dir/bridge" ;;
  esac
  printf '%s' "$conf" | ip netns exec "$node" /usr/bin/time -f "%U %S" -o "$cpu" \
    env -i PATH="$PATH" CNI_COMMAND="$verb" CNI_CONTAINERID="$id" CNI_NETNS="/run/netns/$LAB_ID-$id" \
    CNI_IFNAME=eth0 CNI_PATH="$ref_dir" CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=$id" "$plugin"
}

# timed FILE IMPL VERB ID: appends "id exit start-us end-us wall-ms cpu-ms" to FILE.
timed() {
  local file=$1 start end rc=0 cpu
  shift
  start=${EPOCHREALTIME/./}
  invoke "$@" "$LAB_DIR/cpu-$3-$2" > "$LAB_DIR/out-$3-$2" 2>&1 || rc=$?
  end=${EPOCHREALTIME/./}
  [ "$rc" = 0 ] || { echo "boot-storm: $1 $2 of $3 failed (exit $rc):" >&2; head -c 600 "$LAB_DIR/out-$3-$2" >&2; echo >&2; }
  cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$LAB_DIR/cpu-$3-$2" 2>/dev/null || echo 0)
  echo "$3 $rc $start $end $(( (end - start) / 1000 )) $cpu" >> "$file"
}

# all_at_once IMPL VERB PREFIX FILE: VERB for pods PREFIX1..N, all started at once; waits for these only.
all_at_once() {
  local impl=$1 verb=$2 prefix=$3 file=$4 i jobs=()
  : > "$file"
  for i in $(seq "$pods"); do timed "$file" "$impl" "$verb" "$prefix$i" & jobs+=($!); done
  wait "${jobs[@]}"
}
# in_batches IMPL VERB PREFIX: untimed, 6 at a time (for the pods a restore row starts from).
in_batches() {
  local impl=$1 verb=$2 prefix=$3 i batch=()
  for i in $(seq "$pods"); do
    invoke "$impl" "$verb" "$prefix$i" > "$LAB_DIR/out-$prefix$i-$verb" 2>&1 &
    batch+=($!)
    if (( ${#batch[@]} == 6 )); then wait "${batch[@]}" || { echo "boot-storm: $verb of old pods failed" >&2; exit 1; }; batch=(); fi
  done
  (( ${#batch[@]} == 0 )) || wait "${batch[@]}" || { echo "boot-storm: $verb of old pods failed" >&2; exit 1; }
}
make_pods() { local i; for i in $(seq "$pods"); do lab_ns_add "$1$i" > /dev/null; done; }

rows=()
commands=()
# storm ROW IMPL PREFIX: N ADDs at once on the running daemon; records the row's figures.
storm() {
  local row=$1 impl=$2 prefix=$3 file="$LAB_DIR/$1.t" t0 ticks0 ticks1 audit0=0 audit1=0
  local audit="$LAB_DIR/terway/state-$row/audit.log"
  [ -f "$audit" ] && audit0=$(wc -l < "$audit")
  ticks0=$(cpu_ticks "$daemon_pid")
  t0=${EPOCHREALTIME/./}
  if [ "$row" = sequential ]; then
    local i
    : > "$file"
    for i in $(seq "$pods"); do timed "$file" "$impl" ADD "$prefix$i"; done
  else
    all_at_once "$impl" ADD "$prefix" "$file"
  fi
  ticks1=$(cpu_ticks "$daemon_pid")
  [ -f "$audit" ] && audit1=$(wc -l < "$audit")
  local stats
  # pct COLUMN: "p50 p95 max" of a column of FILE
  pct() { awk -v c="$1" '{ print $c }' "$file" | sort -n |
    awk '{ v[NR] = $1 } END { printf "%d %d %d", v[int((NR - 1) * 0.5) + 1], v[int((NR - 1) * 0.95 + 0.999)], v[NR] }'; }
  local wall cpu rest
  wall=$(pct 5)
  cpu=$(pct 6)
  rest=$(awk -v t0="$t0" '{ if ($2 != 0) fail++; csum += $6; if ($4 > last) last = $4 }
    END { printf "%d %d %d", (last - t0) / 1000, fail, csum }' "$file")
  stats="$wall $rest ${cpu%% *}"
  local daemon_side="-" spawns="-" outside="-"
  if [ "$impl" = terway ]; then
    # the daemon's "cni ADD ID/eth0 exit 0 in M ms" line of each pod of this storm
    daemon_side=$(grep -o "cni ADD $prefix[0-9]*/eth0 exit 0 in [0-9]* ms" "$daemon_log" | awk '{ print $(NF - 1) }' |
      sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d/%d", v[int((NR - 1) * 0.5) + 1], v[int((NR - 1) * 0.95 + 0.999)]; else printf "-" }')
    # outside the daemon: the plugin's JVM start, its request and reply, the harness (per pod: wall - daemon-side)
    outside=$(grep -o "cni ADD $prefix[0-9]*/eth0 exit 0 in [0-9]* ms" "$daemon_log" | awk '{ sub("/eth0", "", $3); print $3, $(NF - 1) }' |
      awk 'NR == FNR { d[$1] = $2; next } ($1 in d) { print $5 - d[$1] }' - "$file" | sort -n |
      awk '{ v[NR] = $1 } END { if (NR) printf "%d/%d", v[int((NR - 1) * 0.5) + 1], v[int((NR - 1) * 0.95 + 0.999)]; else printf "-" }')
    spawns=$(awk -v a="$audit0" -v b="$audit1" -v n="$pods" 'BEGIN { printf "%.1f", (b - a) / n }')
    # which commands they were: the program and its first words, counted (the stdin of a fed `ip -batch` not)
    commands+=("$row: $(tail -n +"$((audit0 + 1))" "$audit" | head -n "$((audit1 - audit0))" |
      jq -r '.argv | map(select(startswith("--net=") | not)) | .[0:4] | join(" ")' | sort | uniq -c | sort -rn |
      awk '{ n = $1; $1 = ""; printf "%s%d×%s", (NR > 1 ? "; " : ""), n, $0 }')")
  fi
  rows+=("$row $stats $(( (ticks1 - ticks0) * 1000 / hz )) $daemon_start_ms $daemon_start_cpu $daemon_side $outside $spawns")
}

# The daemon's class-data archive (the runtime's bin/terway): learned by a daemon that exits, used by the
# next. A node that reboots has run its daemon before: a short "previous boot" (a few ADDs and DELs, then
# SIGTERM) leaves the archive every daemon of the rows below starts with, unless TERWAY_NO_DAEMON_ARCHIVE
# is set (every daemon then starts without one).
export TERWAY_DAEMON_ARCHIVE_DIR="$LAB_DIR/terway/cds"
archive="none (TERWAY_NO_DAEMON_ARCHIVE)"
if [ -z "${TERWAY_NO_DAEMON_ARCHIVE:-}" ]; then
  make_pods pb
  start_daemon terway "$LAB_DIR/terway/state-previous-boot"
  for i in 1 2 3 4 5 6; do invoke terway ADD "pb$i" > /dev/null 2>&1 || { echo "boot-storm: previous-boot ADD failed" >&2; exit 1; }; done
  for i in 1 2 3 4 5 6; do invoke terway DEL "pb$i" > /dev/null 2>&1 || true; done
  # the DELs finish after their replies; one left unfinished would be finished by the next daemon, in the
  # middle of the storm
  for _ in $(seq 100); do
    [ "$(ip -n "$LAB_NS_n1" -o link show | grep -c ' tw[0-9a-f]\{13\}' || true)" = 0 ] && break
    sleep 0.1
  done
  sleep 0.5
  stop_daemon
  archive=$(cd "$TERWAY_DAEMON_ARCHIVE_DIR" 2>/dev/null && ls -s --block-size=M terway-daemon-* 2>/dev/null | tr '\n' ' ')
  archive="${archive:-none was written}, learned by a previous boot"
fi
selected=" ${BOOT_STORM_ROWS:-fresh warm sequential ref-fresh no-probe restore ref-restore} "
wanted() { [[ $selected == *" $1 "* ]]; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "boot-storm: $pods pods per storm; load average $load_start" >&2

# terway, fresh, then warm on the same daemon
if wanted fresh; then
  make_pods tf
  start_daemon terway "$LAB_DIR/terway/state-fresh"
  storm fresh terway tf
  all_at_once terway DEL tf "$LAB_DIR/fresh-del.t"
  sleep 2 # the DELs finish after their replies
  if wanted warm; then
    # the warm row reads the same daemon's start-up figures and audit log
    make_pods tw
    ln -s "$LAB_DIR/terway/state-fresh" "$LAB_DIR/terway/state-warm"
    storm warm terway tw
    all_at_once terway DEL tw "$LAB_DIR/warm-del.t"
    sleep 2
  fi
  if wanted sequential; then
    # the baseline without contention: the same N ADDs one after another on the now warm daemon
    make_pods ts
    ln -s "$LAB_DIR/terway/state-fresh" "$LAB_DIR/terway/state-sequential"
    storm sequential terway ts
    all_at_once terway DEL ts "$LAB_DIR/sequential-del.t"
    sleep 2
  fi
  stop_daemon
fi

# the reference, fresh
if wanted ref-fresh; then
  make_pods rf
  start_daemon ref -
  storm ref-fresh ref rf
  all_at_once ref DEL rf "$LAB_DIR/ref-fresh-del.t"
  stop_daemon
fi

# terway, fresh without the ARP probe
if wanted no-probe; then
  make_pods tn
  start_daemon terway "$LAB_DIR/terway/state-no-probe" --arp-probe 0
  storm no-probe terway tn
  all_at_once terway DEL tn "$LAB_DIR/no-probe-del.t"
  sleep 2
  stop_daemon
fi

# terway, restarted over N stored leases of N running pods
restored="-"
if wanted restore; then
  make_pods to; make_pods tr
  start_daemon terway "$LAB_DIR/terway/state-restore"
  in_batches terway ADD to
  stop_daemon
  start_daemon terway "$LAB_DIR/terway/state-restore"
  storm restore terway tr
  restored=$(grep -o '[0-9]* stored lease(s) taken up' "$daemon_log" | cut -d' ' -f1)
  stop_daemon
fi

# the reference, restarted with N old pods running
if wanted ref-restore; then
  make_pods ro; make_pods rr
  start_daemon ref -
  in_batches ref ADD ro
  stop_daemon
  start_daemon ref -
  storm ref-restore ref rr
  stop_daemon
fi

echo
echo "boot storm: $pods ADDs at once on a just-started daemon, ms ($(nproc) cores; load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg))"
echo "terway daemon: $daemon_bin; its class-data archive: $archive; restore row: $restored stored lease(s) taken up at start"
printf '%-22s %6s %6s %6s %7s %4s %8s %7s %8s %10s %9s %9s %6s\n' row p50 p95 max all-ready fail plug-cpu cpu-p50 \
  dmn-cpu dmn-start d-side50/95 out50/95 spawns
for r in "${rows[@]}"; do
  read -r name p50 p95 max all fail csum cp50 dcpu dstart dstartcpu dside outside spawns <<< "$r"
  label=$name
  case $name in
    fresh) label="terway fresh" ;; warm) label="terway warm" ;; no-probe) label="terway fresh, no probe" ;;
    restore) label="terway restore" ;; sequential) label="terway 1 by 1 (warm)" ;; ref-fresh) label="reference fresh" ;; ref-restore) label="reference restore" ;;
  esac
  printf '%-22s %6d %6d %6d %7d %4d %8d %7d %8d %10s %9s %9s %6s\n' "$label" "$p50" "$p95" "$max" "$all" "$fail" "$csum" "$cp50" \
    "$dcpu" "$dstart/$dstartcpu" "$dside" "$outside" "$spawns"
done
echo "commands the terway daemon ran during each storm (its audit log):"
for c in "${commands[@]}"; do echo "  $c"; done
echo "all-ready: from the first ADD started to the last one answered. plug-cpu: the N plugin process trees"
echo "together (cpu-p50 per call). dmn-cpu: the daemon's CPU and its commands' during the storm. dmn-start: socket up after"
echo "wall/CPU ms. d-side: the daemon's own time per ADD (its log); out: wall minus d-side per pod (plugin JVM"
echo "start, request, reply, harness). spawns: commands the daemon ran per ADD (its audit log)."
