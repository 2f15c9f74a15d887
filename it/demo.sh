#!/usr/bin/env bash
# The terway sandbox demo: builds a LAN out of network namespaces (a switch bridge, a gateway, a second
# host, dnsmasq) and a node plugged into it, then runs `terway setup` for real on the node and shows
# what changed. Then it starts the DHCP daemon on the node and attaches two pods (namespaces) with
# `cni-terway` invoked as a container runtime does: the pods lease addresses from the LAN's dnsmasq and
# are ordinary hosts on the LAN until DEL gives the leases back. The machine's own networking is never
# touched, and everything is removed at the end, also on failure or Ctrl-C.
#
#   sudo bash it/demo.sh
#
# Each part of the demo is a section function, run in the order of SECTIONS; a new feature adds its
# section function and its name to the list.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
terway="$root/bin/terway"

SECTIONS=(
  prepare
  sandbox_lan
  node_before
  setup_dry_run
  setup
  node_after
  connectivity
  setup_again
  dhcp_daemon
  cni_config
  pods_dry_run
  pods_add
  pods_look
  pods_connectivity
  pods_check
  node_status
  pods_del
  dhcp_daemon_stop
  teardown
)

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold='' dim='' off=''; fi
step=0

section() {
  step=$((step + 1))
  printf '\n%s==> %d. %s%s\n' "$bold" "$step" "$1" "$off"
}

# show WHERE CMD...: prints the command as typed at WHERE's prompt, then runs it.
show() {
  local where=$1
  shift
  printf '%s%s$ %s%s\n' "$dim" "$where" "$*" "$off"
  "$@"
}

# on NS LABEL CMD...: runs CMD inside namespace NS, shown at prompt LABEL.
on() {
  local ns=$1 label=$2
  shift 2
  printf '%s%s$ %s%s\n' "$dim" "$label" "${*/#$root\//}" "$off"
  ip netns exec "$ns" "$@"
}

node_state() {
  local ports
  on "$LAB_NS_n1" node ip -br link
  on "$LAB_NS_n1" node ip -br addr
  on "$LAB_NS_n1" node ip route
  on "$LAB_NS_n1" node ip -6 route
  ports=$(on "$LAB_NS_n1" node bridge link)
  echo "$ports"
  [ "$(echo "$ports" | wc -l)" -gt 1 ] || echo "(no bridge ports)"
}

section_prepare() {
  section "Install what is missing and build terway"
  bash "$root/it/lib/prepare.sh"
  show host "$terway" --version
}

section_sandbox_lan() {
  section "Build a sandbox LAN in network namespaces"
  # shellcheck source=lib/lab.sh
  source "$root/it/lib/lab.sh"
  lab_init
  lab_build_lan
  lab_add_host gw 1
  lab_add_host h2 2
  lab_start_dnsmasq
  lab_add_node n1
  lab_configure_static_node n1 10
  state_dir="$LAB_DIR/state"
  cat <<TOPOLOGY
  LAN      $LAB_LAN: bridge $LAB_SWITCH is the switch; dnsmasq serves DHCP $(lab_v4 100)-$(lab_v4 199)
  gateway  $LAB_NS_gw: $(lab_v4 1), $(lab_v6 1) (default router; also answers for $(lab_remote_v4))
  host h2  $LAB_NS_h2: $(lab_v4 2) (router to $(lab_extra_net))
  node     $LAB_NS_n1: eth0 plugged into the switch, static $(lab_v4 10)/24 and $(lab_v6 10)/64
  state    terway keeps its record and audit log in $state_dir
  pods     $LAB_ID-pod1, $LAB_ID-pod2: namespaces that cni-terway attaches to the node's bridge later on
TOPOLOGY
}

section_node_before() {
  section "The node before terway: addresses and routes on eth0, no bridge"
  node_state
}

section_setup_dry_run() {
  section "terway setup --dry-run: the plan, shell-quoted, with a reason per command; nothing changes"
  on "$LAB_NS_n1" node "$terway" setup --state-dir "$state_dir" --dry-run
}

section_setup() {
  section "terway setup: eth0 becomes a port of bridge mybr0, which takes over its MAC, MTU, addresses and routes"
  on "$LAB_NS_n1" node "$terway" setup --state-dir "$state_dir"
}

section_node_after() {
  section "The node after terway setup"
  node_state
  echo
  show host cat "$state_dir/audit.log"
}

section_connectivity() {
  section "Connectivity through the bridge"
  on "$LAB_NS_n1" node ping -n -c 2 -i 0.2 "$(lab_v4 1)"
  on "$LAB_NS_n1" node ping -n -c 2 -i 0.2 "$(lab_extra_host)"
  on "$LAB_NS_n1" node ping -n -c 2 -i 0.2 "$(lab_remote_v6)"
  on "$LAB_NS_gw" gateway ping -n -c 2 -i 0.2 "$(lab_v4 10)"
}

section_setup_again() {
  section "terway setup again: already done, so nothing to do"
  on "$LAB_NS_n1" node "$terway" setup --state-dir "$state_dir"
}

section_teardown() {
  section "terway teardown: the node gets its original eth0 configuration back"
  on "$LAB_NS_n1" node "$terway" teardown --state-dir "$state_dir"
  node_state
  on "$LAB_NS_n1" node ping -n -c 2 -i 0.2 "$(lab_v4 1)"
}

# ---- pods: the DHCP daemon and cni-terway ----------------------------------------------------------

PODS=(pod1 pod2)
declare -A POD_NS POD_ID POD_RESULT POD_IP

# die MESSAGE: the demo found something other than what it shows; the trap removes the sandbox.
die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

# node_veths: the host-side pod veths (tw + 13 hex digits) on the node, one per line.
node_veths() {
  ip -n "$LAB_NS_n1" -j link show | jq -r '.[].ifname | select(test("^tw[0-9a-f]{13}$"))'
}

# cni VERB POD [EXTRA_ENV...]: runs bin/cni-terway in the node namespace exactly as a runtime does:
# nothing in the environment but PATH and the CNI_* parameters, the network configuration on stdin
# (with the pod's prevResult for CHECK and DEL). Shows the command; stdout goes to $cni_out, the exit
# code to $cni_exit.
cni() {
  local verb=$1 pod=$2 stdin=$cni_conf
  shift 2
  local env=(CNI_COMMAND="$verb" CNI_CONTAINERID="${POD_ID[$pod]}" CNI_NETNS="/var/run/netns/${POD_NS[$pod]}"
    CNI_IFNAME=eth0 CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$pod" CNI_PATH=/usr/lib/cni "$@")
  if [ "$verb" = CHECK ] || [ "$verb" = DEL ]; then
    stdin="$LAB_DIR/$verb-$pod.conf"
    jq --argjson prev "${POD_RESULT[$pod]}" '. + {prevResult: $prev}' "$cni_conf" > "$stdin"
  fi
  # shown as typed at a shell: the environment on two lines, then the plugin with its stdin
  printf "%snode\$ %s \\\\\n        CNI_ARGS='%s' %s \\\\\n        bin/cni-terway < %s%s\n" "$dim" "${env[*]:0:4}" \
    "${env[4]#CNI_ARGS=}" "${env[*]:5}" "$stdin" "$off"
  cni_exit=0
  cni_out=$(ip netns exec "$LAB_NS_n1" env -i PATH="$PATH" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} "${env[@]}" \
    "$root/bin/cni-terway" < "$stdin") || cni_exit=$?
}

# cni_must VERB POD [EXTRA_ENV...]: cni, and stop the demo unless it exits 0.
cni_must() {
  cni "$@"
  [ "$cni_exit" = 0 ] || { printf '%s\n' "$cni_out" >&2; die "cni-terway $1 of $2 exited $cni_exit"; }
}

# the node namespace's own loopback: the metrics are not reachable from anywhere else
metrics_address=127.0.0.1:9153

section_dhcp_daemon() {
  section "Start the DHCP daemon on the node: it will hold the pods' leases (socket and state in the demo's temp dir)"
  dhcp_dir="$LAB_DIR/dhcp"
  dhcp_socket="$dhcp_dir/run/dhcp.sock"
  mkdir -p "$dhcp_dir/run"
  printf '%snode$ bin/terway dhcp daemon --socket %s --state-dir %s --metrics-address %s &%s\n' "$dim" \
    "$dhcp_socket" "$dhcp_dir/state" "$metrics_address" "$off"
  lab_bg ip netns exec "$LAB_NS_n1" "$terway" dhcp daemon --socket "$dhcp_socket" \
    --state-dir "$dhcp_dir/state" --metrics-address "$metrics_address" > "$dhcp_dir/daemon.log" 2>&1
  dhcp_daemon_pid=$LAB_BG_PID
  local i
  for i in $(seq 300); do
    [ -S "$dhcp_socket" ] && break
    kill -0 "$dhcp_daemon_pid" 2>/dev/null || { cat "$dhcp_dir/daemon.log" >&2; die "the DHCP daemon exited"; }
    sleep 0.1
  done
  [ -S "$dhcp_socket" ] || { cat "$dhcp_dir/daemon.log" >&2; die "the DHCP daemon did not open its socket in 30 s"; }
  on "$LAB_NS_n1" node "$terway" dhcp list --socket "$dhcp_socket" --table
}

section_cni_config() {
  section "Two pods (bare network namespaces) and the network configuration a runtime passes to cni-terway"
  local pod
  for pod in "${PODS[@]}"; do
    lab_ns_add "$pod"
    POD_NS[$pod]="$LAB_ID-$pod"
    # a container id as a runtime makes one, unique per sandbox
    POD_ID[$pod]=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    echo "  $pod  namespace ${POD_NS[$pod]}, container id ${POD_ID[$pod]}"
  done
  mkdir -p "$LAB_DIR/net.d"
  cni_conf="$LAB_DIR/net.d/10-terway.conf"
  cat > "$cni_conf" <<CONF
{
  "cniVersion": "1.1.0",
  "name": "lan",
  "type": "cni-terway",
  "bridge": "mybr0",
  "dhcpSocket": "$dhcp_socket"
}
CONF
  show host cat "$cni_conf"
}

section_pods_dry_run() {
  section "cni-terway ADD with TERWAY_DRY_RUN=1: the plan for pod1, with a reason per command; nothing changes"
  local before
  before=$(node_veths)
  cni_must ADD pod1 TERWAY_DRY_RUN=1
  printf '%s\n' "$cni_out"
  [ "$(node_veths)" = "$before" ] || die "the dry run changed the node's links"
}

section_pods_add() {
  section "cni-terway ADD for real: a veth pair on mybr0, a DHCP lease from the LAN's dnsmasq; the CNI result"
  local pod
  for pod in "${PODS[@]}"; do
    cni_must ADD "$pod"
    POD_RESULT[$pod]=$cni_out
    POD_IP[$pod]=$(jq -r '.ips[0].address | split("/")[0]' <<< "$cni_out")
    jq . <<< "$cni_out"
  done
}

section_pods_look() {
  section "The pods, the node's bridge ports, the daemon's leases and dnsmasq's lease file"
  local pod
  for pod in "${PODS[@]}"; do
    on "${POD_NS[$pod]}" "$pod" ip -br addr
    on "${POD_NS[$pod]}" "$pod" ip route
  done
  on "$LAB_NS_n1" node bridge link
  on "$LAB_NS_n1" node "$terway" dhcp list --socket "$dhcp_socket" --table
  show host cat "$LAB_DIR/dnsmasq.leases"
  for pod in "${PODS[@]}"; do
    grep -qF " ${POD_IP[$pod]} " "$LAB_DIR/dnsmasq.leases" || die "dnsmasq has no lease for $pod (${POD_IP[$pod]})"
  done
}

section_pods_connectivity() {
  section "The pods are hosts on the LAN: pod -> gateway, pod -> second LAN host, pod -> pod, LAN gateway -> pod"
  on "${POD_NS[pod1]}" pod1 ping -n -c 2 -i 0.2 "$(lab_v4 1)"
  on "${POD_NS[pod1]}" pod1 ping -n -c 2 -i 0.2 "$(lab_v4 2)"
  on "${POD_NS[pod1]}" pod1 ping -n -c 2 -i 0.2 "${POD_IP[pod2]}"
  on "$LAB_NS_gw" gateway ping -n -c 2 -i 0.2 "${POD_IP[pod1]}"
  on "$LAB_NS_gw" gateway ping -n -c 2 -i 0.2 "${POD_IP[pod2]}"
}

section_pods_check() {
  section "cni-terway CHECK: the attachment still matches its ADD result, passed as prevResult (exit 0, no output)"
  local pod
  for pod in "${PODS[@]}"; do
    cni_must CHECK "$pod"
    [ -z "$cni_out" ] || die "CHECK of $pod printed: $cni_out"
    echo "exit 0"
  done
}

section_pods_del() {
  section "cni-terway DEL (with prevResult): the lease goes back to dnsmasq (DHCPRELEASE), the veth pair is deleted"
  local pod i
  for pod in "${PODS[@]}"; do
    cni_must DEL "$pod"
    [ -z "$cni_out" ] || die "DEL of $pod printed: $cni_out"
    echo "exit 0"
  done
  # dnsmasq rewrites its lease file when it has handled the DHCPRELEASE
  for i in $(seq 50); do
    grep -qF -e " ${POD_IP[pod1]} " -e " ${POD_IP[pod2]} " "$LAB_DIR/dnsmasq.leases" || break
    sleep 0.1
  done
  show host cat "$LAB_DIR/dnsmasq.leases"
  grep -qF -e " ${POD_IP[pod1]} " -e " ${POD_IP[pod2]} " "$LAB_DIR/dnsmasq.leases" &&
    die "dnsmasq still lists a pod's lease after DEL"
  echo "(no pod leases left)"
  # the daemon answers DEL first and deletes the veth pair right after (the kernel takes 10-40 ms for it)
  for i in $(seq 50); do
    ip -n "$LAB_NS_n1" -o link show type veth | grep -q ' tw[0-9a-f]\{13\}@' || break
    sleep 0.1
  done
  on "$LAB_NS_n1" node "$terway" dhcp list --socket "$dhcp_socket" --table
  on "$LAB_NS_n1" node ip -br link
  [ -z "$(node_veths)" ] || die "pod veths left on the node: $(node_veths)"
  on "${POD_NS[pod1]}" pod1 ip -br link
}

section_node_status() {
  section "terway status: is this node healthy? (exit 0: yes); and a few of the daemon's Prometheus metrics"
  on "$LAB_NS_n1" node "$terway" status --socket "$dhcp_socket" --state-dir "$state_dir" ||
    die "terway status found something that needs attention on the demo's node"
  printf '%snode$ curl -s http://%s/metrics | grep -E ...%s\n' "$dim" "$metrics_address" "$off"
  # bash's /dev/tcp instead of curl, which a fresh Debian does not have
  local scrape
  scrape=$(ip netns exec "$LAB_NS_n1" bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1#*:}" &&
    printf "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3 && cat <&3' scrape "$metrics_address")
  grep -E '^terway_(dhcp_leases|cni_requests_total|dhcp_exchanges_total)\{' <<< "$scrape" | grep -v ' 0\.0$' | head -12
  grep -q '^terway_' <<< "$scrape" || die "no terway_ metric in the daemon's /metrics"
}

section_dhcp_daemon_stop() {
  section "Stop the DHCP daemon (SIGTERM); what it logged"
  show host kill "$dhcp_daemon_pid"
  wait "$dhcp_daemon_pid" 2>/dev/null || true
  show host cat "$dhcp_dir/daemon.log"
}

for s in "${SECTIONS[@]}"; do
  "section_$s"
done
printf '\n%sDone.%s The sandbox (namespaces %s-*, dnsmasq, %s) is removed on exit.\n' "$bold" "$off" "$LAB_ID" "$LAB_DIR"
