#!/usr/bin/env bash
# The terway sandbox demo: builds a LAN out of network namespaces (a switch bridge, a gateway, a second
# host, dnsmasq) and a node plugged into it, then runs `terway setup` for real on the node and shows
# what changed. The machine's own networking is never touched, and everything is removed at the end,
# also on failure or Ctrl-C.
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

for s in "${SECTIONS[@]}"; do
  "section_$s"
done
printf '\n%sDone.%s The sandbox (namespaces %s-*, dnsmasq, %s) is removed on exit.\n' "$bold" "$off" "$LAB_ID" "$LAB_DIR"
