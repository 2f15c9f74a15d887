#!/usr/bin/env bash
# ADD and DEL latency of cni-terway, side by side with the reference plugins (bridge + dhcp IPAM, with
# its `dhcp daemon`), in one run on a sandbox LAN (dnsmasq --no-ping). Each plugin gets its own node
# namespace prepared with `terway setup`; pods are plain namespaces. The plugins are invoked exactly as a
# runtime does (inside the node namespace, CNI_* in the environment, the config on stdin) and timed from
# the outside, JVM start included. Prints p50/p95/max in ms over 20 sequential and 20 parallel pods, and
# what the harness alone costs (the same invocation of /bin/true), which every row includes.
# cni-terway is the one `terway install` puts in a CNI bin dir (here a lab directory), as kubelet runs it:
# the shipped runtime (jlink-ed Java with its class-data archive), not the source checkout's launcher.
#
# TERWAY_ARP_PROBE (e.g. 0 or 500ms) sets the daemon's --arp-probe, the ARP check of each new address that
# every ADD waits for; unset, the daemon's default. Compare the two to see what the probe costs an ADD.
#
# --dual-stack: then the LAN starts announcing its IPv6 prefix (dnsmasq ra-only, SLAAC) and cni-terway runs
# the same rounds again with "ipv6": {"mode": "slaac"}: every pod waits for its SLAAC address (duplicate
# detection of the link-local and of the global address, a second each) beside its DHCP lease. The rows
# "cni-terway dual-stack" then stand next to the IPv4-only ones above them (the LAN has no RAs during those,
# so the default mode auto does not wait for IPv6 there).
#
#   sudo bash it/bench/cni-add-del.sh [--dual-stack] [PODS]   (default 20; needs a built checkout: it/lib/prepare.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dual_stack=false
if [ "${1:-}" = --dual-stack ]; then
  dual_stack=true
  shift
fi
pods=${1:-20}
ref_dir=/usr/lib/cni
[ -x "$ref_dir/bridge" ] && [ -x "$ref_dir/dhcp" ] ||
  { echo "cni-add-del: the reference plugins are missing ($ref_dir/bridge, dhcp): apt-get install containernetworking-plugins" >&2; exit 1; }

# shellcheck source=../lib/lab.sh
source "$root/it/lib/lab.sh"
lab_require_build cni-add-del
lab_init
lab_build_lan
lab_add_host gw 1
lab_start_dnsmasq
lab_add_node n1
lab_configure_static_node n1 10
lab_add_node n2
lab_configure_static_node n2 11
for n in n1 n2; do
  ns_var="LAB_NS_$n"
  ip netns exec "${!ns_var}" "$root/bin/terway" setup --iface eth0 --state-dir "$LAB_DIR/setup-$n" \
    > "$LAB_DIR/setup-$n.log" 2>&1 || { cat "$LAB_DIR/setup-$n.log" >&2; exit 1; }
done

mkdir -p "$LAB_DIR/terway" "$LAB_DIR/ref"
terway_sock="$LAB_DIR/terway/dhcp.sock"
ref_sock="$LAB_DIR/ref/dhcp.sock"
lab_bg ip netns exec "$LAB_NS_n1" "$root/bin/terway" dhcp daemon --socket "$terway_sock" \
  --state-dir "$LAB_DIR/terway/state" ${TERWAY_ARP_PROBE:+--arp-probe "$TERWAY_ARP_PROBE"} \
  > "$LAB_DIR/terway/daemon.log" 2>&1
lab_bg ip netns exec "$LAB_NS_n2" "$ref_dir/dhcp" daemon -socketpath "$ref_sock" > "$LAB_DIR/ref/daemon.log" 2>&1
for i in $(seq 300); do [ -S "$terway_sock" ] && [ -S "$ref_sock" ] && break; sleep 0.1; done
[ -S "$terway_sock" ] || { echo "cni-add-del: the terway daemon did not start" >&2; cat "$LAB_DIR/terway/daemon.log" >&2; exit 1; }
[ -S "$ref_sock" ] || { echo "cni-add-del: the reference dhcp daemon did not start" >&2; cat "$LAB_DIR/ref/daemon.log" >&2; exit 1; }

# the plugin as a node runs it: installed into a CNI bin dir of the lab's own (files only)
[ -x "$root/target/terway-runtime/jre/bin/java" ] ||
  { echo "cni-add-del: no shipped runtime in target/terway-runtime; run 'mvn -B -DskipTests package' first" >&2; exit 1; }
"$root/bin/terway" install --runtime "$root/target/terway-runtime" --cni-bin-dir "$LAB_DIR/cni-bin" --cni-conf-dir "$LAB_DIR/net.d" \
  --dhcp-socket "$terway_sock" > "$LAB_DIR/install.log" 2>&1 || { cat "$LAB_DIR/install.log" >&2; exit 1; }
terway_plugin="$LAB_DIR/cni-bin/cni-terway"

terway_conf='{"cniVersion":"1.0.0","name":"bench","type":"cni-terway","dhcpSocket":"'$terway_sock'"}'
terway6_conf='{"cniVersion":"1.0.0","name":"bench","type":"cni-terway","dhcpSocket":"'$terway_sock'","ipv6":{"mode":"slaac"}}'
ref_conf='{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"mybr0","isGateway":false,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"dhcp","daemonSocketPath":"'$ref_sock'"}}'

# invoke IMPL VERB ID [CPUFILE]: runs one plugin invocation for pod ID, as a runtime would; with CPUFILE,
# /usr/bin/time writes the plugin's user and system CPU seconds there.
invoke() {
  local impl=$1 verb=$2 id=$3 cpu=${4:-/dev/null} node conf plugin
  case $impl in
    terway) node=$LAB_NS_n1; conf=$terway_conf; plugin=$terway_plugin ;;
    terway6) node=$LAB_NS_n1; conf=$terway6_conf; plugin=$terway_plugin ;;
    ref) node=$LAB_NS_n2; conf=$ref_conf; plugin="$ref_dir/bridge" ;;
    harness) node=$LAB_NS_n1; conf=$terway_conf; plugin=/bin/true ;;
  esac
  printf '%s' "$conf" | ip netns exec "$node" /usr/bin/time -f "%U %S" -o "$cpu" \
    env -i PATH="$PATH" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
    CNI_COMMAND="$verb" CNI_CONTAINERID="$id" CNI_NETNS="/run/netns/$LAB_ID-$id" CNI_IFNAME=eth0 \
    CNI_PATH="$ref_dir" CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=$id" "$plugin"
}

# timed FILE IMPL VERB ID: appends "exit wall-ms cpu-ms" of one invocation to FILE. The CPU time (user +
# system of the plugin process tree, 10 ms resolution) does not depend on what else the machine runs.
timed() {
  local file=$1 start end rc=0 cpu
  shift
  start=${EPOCHREALTIME/./}
  invoke "$@" "$LAB_DIR/cpu-$3-$2" > "$LAB_DIR/last-$3-$2.out" 2>&1 || rc=$?
  end=${EPOCHREALTIME/./}
  if [ "$rc" != 0 ]; then
    echo "cni-add-del: $1 $2 of $3 failed (exit $rc):" >&2
    cat "$LAB_DIR/last-$3-$2.out" >&2
  fi
  cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$LAB_DIR/cpu-$3-$2" 2>/dev/null || echo 0)
  echo "$rc $(( (end - start) / 1000 )) $cpu" >> "$file"
}

# stats FILE: "p50 p95 max cpu-p50 failures" of the times in FILE
stats() {
  local cpu
  cpu=$(awk '{ print $3 }' "$1" | sort -n | awk '{ v[NR] = $1 } END { printf "%d", v[int((NR - 1) * 0.5) + 1] }')
  awk '{ print $2 }' "$1" | sort -n | awk '
    { v[NR] = $1 } END {
      i50 = int((NR - 1) * 0.50) + 1; i95 = int((NR - 1) * 0.95 + 0.999) ; if (i95 < 1) i95 = 1
      printf "%6d %6d %6d", v[i50], v[i95], v[NR] }'
  printf ' %7d %4d\n' "$cpu" "$(awk '$1 != 0' "$1" | wc -l)"
}

run_round() {
  local impl=$1 mode=$2 prefix=$3 i
  for i in $(seq "$pods"); do lab_ns_add "$prefix$i" > /dev/null; done
  local add="$LAB_DIR/$impl-$mode-add.t" del="$LAB_DIR/$impl-$mode-del.t"
  : > "$add"; : > "$del"
  if [ "$mode" = sequential ]; then
    for i in $(seq "$pods"); do timed "$add" "$impl" ADD "$prefix$i"; done
    for i in $(seq "$pods"); do timed "$del" "$impl" DEL "$prefix$i"; done
  else
    # wait for these jobs only: a bare `wait` would also wait for the lab's daemons
    local jobs=()
    for i in $(seq "$pods"); do timed "$add" "$impl" ADD "$prefix$i" & jobs+=($!); done
    wait "${jobs[@]}"
    jobs=()
    for i in $(seq "$pods"); do timed "$del" "$impl" DEL "$prefix$i" & jobs+=($!); done
    wait "${jobs[@]}"
  fi
  for i in $(seq "$pods"); do _lab_delete_ns "$LAB_ID-$prefix$i"; done
}

# Warm-up: the first invocations of a long-running daemon include its class loading and JIT; a node's
# daemon is warm after its first pods. Not counted.
for impl in terway ref; do
  lab_ns_add "w-$impl" > /dev/null
  for i in 1 2 3; do
    invoke "$impl" ADD "w-$impl" > "$LAB_DIR/warm.out" 2>&1 || { echo "cni-add-del: warm-up ADD ($impl) failed:" >&2; cat "$LAB_DIR/warm.out" >&2; exit 1; }
    invoke "$impl" DEL "w-$impl" > "$LAB_DIR/warm.out" 2>&1 || { echo "cni-add-del: warm-up DEL ($impl) failed:" >&2; cat "$LAB_DIR/warm.out" >&2; exit 1; }
  done
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for impl in terway ref; do
  run_round "$impl" sequential "s$impl"
  run_round "$impl" parallel "p$impl"
done
impls="terway ref"
if $dual_stack; then
  lab_start_router_advertisements ra-only
  for i in $(seq 150); do
    [ -n "$(ip -n "$LAB_NS_n1" -6 route show dev mybr0 proto ra)" ] && break
    sleep 0.1
  done
  [ -n "$(ip -n "$LAB_NS_n1" -6 route show dev mybr0 proto ra)" ] ||
    { echo "cni-add-del: node n1 learnt no route from the router advertisements within 15 s" >&2; exit 1; }
  lab_ns_add w-terway6 > /dev/null
  invoke terway6 ADD w-terway6 > "$LAB_DIR/warm.out" 2>&1 || { echo "cni-add-del: warm-up dual-stack ADD failed:" >&2; cat "$LAB_DIR/warm.out" >&2; exit 1; }
  grep -q '"address":"fd' "$LAB_DIR/warm.out" || { echo "cni-add-del: the dual-stack ADD reported no IPv6 address:" >&2; cat "$LAB_DIR/warm.out" >&2; exit 1; }
  invoke terway6 DEL w-terway6 > "$LAB_DIR/warm.out" 2>&1
  run_round terway6 sequential s6terway
  run_round terway6 parallel p6terway
  impls="terway terway6 ref"
fi
# What every row includes besides the plugin: `ip netns exec` into the node, /usr/bin/time, env -i.
: > "$LAB_DIR/harness.t"
for i in $(seq "$pods"); do timed "$LAB_DIR/harness.t" harness ADD "h$i"; done

# daemon-side time of each verb, from the daemon's "cni VERB id/if exit N in M ms" lines
daemon_stats() {
  grep -o "cni $1 [^ ]* exit 0 in [0-9]* ms" "$LAB_DIR/terway/daemon.log" | awk '{print $(NF-1)}' | sort -n |
    awk '{v[NR]=$1} END { if (NR) printf "p50 %d ms, p95 %d ms (%d calls)", v[int((NR-1)*0.5)+1], v[int((NR-1)*0.95+0.999)], NR }'
}
# the daemon replies to DEL first and finishes it (veth deletion, release) right after: "DEL id/if finished M ms
# after the reply"
tail_stats() {
  grep -o "DEL [^ ]* finished [0-9]* ms after the reply" "$LAB_DIR/terway/daemon.log" | awk '{print $4}' | sort -n |
    awk '{v[NR]=$1} END { if (NR) printf "p50 %d ms, p95 %d ms (%d DELs)", v[int((NR-1)*0.5)+1], v[int((NR-1)*0.95+0.999)], NR }'
}
echo "terway daemon-side time (warm-up included): ADD $(daemon_stats ADD); DEL $(daemon_stats DEL)"
echo "terway DEL finished after its reply (veth deletion + release): $(tail_stats)"
echo "terway daemon: $(grep -o 'no ARP probe\|ARP probe [0-9]* ms' "$LAB_DIR/terway/daemon.log" | head -1)"
echo "cni ADD/DEL latency, ms, $pods pods per row ($(nproc) cores; JVM start included for cni-terway)"
echo "load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every row)"
printf '%-34s %-4s %6s %6s %6s %7s %4s\n' plugin verb p50 p95 max cpu-p50 fail
printf '%-34s %-4s %s\n' "harness only (/bin/true)" "-" "$(stats "$LAB_DIR/harness.t")"
for impl in $impls; do
  case $impl in
    terway) label="cni-terway" ;;
    terway6) label="cni-terway dual-stack" ;;
    ref) label="bridge+dhcp (reference)" ;;
  esac
  for mode in sequential parallel; do
    for verb in add del; do
      printf '%-34s %-4s %s\n' "$label $mode" "${verb^^}" "$(stats "$LAB_DIR/$impl-$mode-$verb.t")"
    done
  done
done
