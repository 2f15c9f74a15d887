# shellcheck shell=bash
# A throwaway LAN in network namespaces for the demo and the benchmarks; the bash twin of
# it/java/dev/terway/it/NetnsLab.java (same names, addresses and registry format). Source it, then:
#
#   lab_init                      # random lab id, temp dir, cleanup trap (EXIT/INT/TERM)
#   lab_build_lan                 # $LAB_LAN: bridge sw0 (.254) = the LAN switch
#   lab_add_host gw 1             # $LAB_NS_gw: eth0 .1 on the LAN (the gateway)
#   lab_add_node n1 10            # $LAB_NS_n1: eth0 plugged into the LAN, no address yet
#   lab_configure_static_node n1 10   # static IPv4/IPv6 addresses, default routes, one static route
#   lab_start_dnsmasq             # DHCP on the LAN switch
#   lab_start_router_advertisements [MODE]   # IPv6 RAs on the switch (ra-only: SLAAC; ra-stateless)
#
# Nothing is created in the root namespace: each veth is made inside the LAN namespace with its peer
# placed straight into the host/node namespace. Everything is recorded in /run/terway-lab/ID.lab so
# that a lab whose script was killed with SIGKILL is swept by the next lab that starts.

LAB_REGISTRY_DIR=/run/terway-lab
LAB_SWITCH=sw0
LAB_NODE_MTU=1450
LAB_NAMESPACES=()
LAB_PIDS=()

# Refuses to go on before the checkout is built: the benchmarks run bin/terway from target/.
# $1 names the calling script in the message.
lab_require_build() {
  [ -d "$root/target/classes" ] && [ -d "$root/target/lib" ] ||
    { echo "$1: terway is not built; run 'sudo bash it/lib/prepare.sh' first" >&2; exit 1; }
}

lab_init() {
  if [ "$(id -u)" != 0 ]; then
    echo "lab: must run as root: it creates network namespaces" >&2
    exit 1
  fi
  lab_sweep_abandoned
  LAB_ID=tw$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  # 10.A.B.0/24 on the LAN; B even so that B+1 (the network behind the gateway) is a valid octet
  LAB_A=$((64 + RANDOM % 64))
  LAB_B=$((2 * (RANDOM % 128)))
  LAB_DIR=$(mktemp -d "/tmp/$LAB_ID-XXXXXX")
  LAB_REGISTRY="$LAB_REGISTRY_DIR/$LAB_ID.lab"
  mkdir -p "$LAB_REGISTRY_DIR"
  # the owner is the script's own shell ($$), whose death marks the lab abandoned
  printf 'owner %s\ndir %s\n' "$$" "$LAB_DIR" > "$LAB_REGISTRY"
  trap lab_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

lab_v4() { echo "10.$LAB_A.$LAB_B.$1"; }
lab_v6() { printf 'fd00:%x:%x::%x\n' "$LAB_A" "$LAB_B" "$1"; }
lab_remote_v4() { echo "10.$LAB_A.$((LAB_B + 1)).1"; }
lab_remote_v6() { printf '2001:db8:%x:%x::1\n' "$LAB_A" "$LAB_B"; }
lab_extra_net() { echo "172.$((16 + LAB_A % 16)).$LAB_B.0/24"; }
lab_extra_host() { echo "172.$((16 + LAB_A % 16)).$LAB_B.1"; }

# lab_ns_add SUFFIX: creates namespace $LAB_ID-SUFFIX (recorded before it exists) with lo up.
lab_ns_add() {
  local ns="$LAB_ID-$1"
  LAB_NAMESPACES+=("$ns")
  echo "netns $ns" >> "$LAB_REGISTRY"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
}

lab_build_lan() {
  lab_ns_add lan
  LAB_LAN="$LAB_ID-lan"
  ip -n "$LAB_LAN" link add "$LAB_SWITCH" type bridge
  ip -n "$LAB_LAN" addr add "$(lab_v4 254)/24" dev "$LAB_SWITCH"
  ip -n "$LAB_LAN" -6 addr add "$(lab_v6 254)/64" dev "$LAB_SWITCH" nodad
  ip -n "$LAB_LAN" link set "$LAB_SWITCH" up
}

# lab_plug NS PORT: NS's eth0 becomes a veth whose other end, PORT, is a port of the LAN switch.
lab_plug() {
  ip -n "$LAB_LAN" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$LAB_LAN" link set "$2" master "$LAB_SWITCH" up
  ip -n "$1" link set eth0 up
}

# lab_add_host NAME HOST: a LAN host with .HOST and ::HOST on its eth0; sets LAB_NS_NAME.
# The gateway ("gw") also answers for a "remote" network (on its lo) reached via the default routes,
# the second host ("h2") for the network behind the node's extra static route.
lab_add_host() {
  local name=$1 host=$2 ns="$LAB_ID-$1"
  lab_ns_add "$name"
  lab_plug "$ns" "p-$name"
  ip -n "$ns" addr add "$(lab_v4 "$host")/24" dev eth0
  ip -n "$ns" -6 addr add "$(lab_v6 "$host")/64" dev eth0 nodad
  case $name in
    gw)
      ip -n "$ns" addr add "$(lab_remote_v4)/24" dev lo
      ip -n "$ns" -6 addr add "$(lab_remote_v6)/64" dev lo nodad ;;
    h2)
      ip -n "$ns" addr add "$(lab_extra_host)/24" dev lo ;;
  esac
  printf -v "LAB_NS_$name" '%s' "$ns"
}

# lab_add_node NAME: a node whose eth0 is plugged into the LAN, up, without addresses; sets LAB_NS_NAME.
lab_add_node() {
  local name=$1 ns="$LAB_ID-$1"
  lab_ns_add "$name"
  lab_plug "$ns" "p-$name"
  printf -v "LAB_NS_$name" '%s' "$ns"
}

# lab_configure_static_node NAME HOST: the node of the integration tests (see NetnsLab.Node#configureStatic).
lab_configure_static_node() {
  local ns="$LAB_ID-$1" host=$2
  ip -n "$LAB_LAN" link set "p-$1" mtu "$LAB_NODE_MTU"
  ip -n "$ns" link set eth0 mtu "$LAB_NODE_MTU"
  ip -n "$ns" addr add "$(lab_v4 "$host")/24" dev eth0
  ip -n "$ns" -6 addr add "$(lab_v6 "$host")/64" dev eth0 nodad
  ip -n "$ns" route add default via "$(lab_v4 1)" dev eth0
  ip -n "$ns" route add "$(lab_extra_net)" via "$(lab_v4 2)" dev eth0 metric 50 src "$(lab_v4 "$host")"
  ip -n "$ns" -6 route add default via "$(lab_v6 1)" dev eth0
}

# lab_await_log PID LOG PATTERN WHAT GOAL: waits up to 10 s for PATTERN (grep) in LOG while PID lives; on
# failure says "WHAT exited" or "WHAT did not GOAL within 10 s" and shows the log. For the lab's daemons.
lab_await_log() {
  local pid=$1 log=$2 pattern=$3 what=$4 goal=$5 i
  for i in $(seq 100); do
    grep -q "$pattern" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "lab: $what exited:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "lab: $what did not $goal within 10 s:" >&2
  cat "$log" >&2
  return 1
}

# lab_start_dnsmasq: DHCP for .100-.199 on the LAN switch; waits until it serves. Sets LAB_DNSMASQ_PID.
lab_start_dnsmasq() {
  local log="$LAB_DIR/dnsmasq.log"
  ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --no-ping --port=0 \
    --interface="$LAB_SWITCH" --bind-interfaces \
    --dhcp-range="$(lab_v4 100),$(lab_v4 199),255.255.255.0,2m" \
    --dhcp-option=option:router,"$(lab_v4 1)" \
    --dhcp-option=option:T1,10 --dhcp-option=option:T2,20 \
    --dhcp-leasefile="$LAB_DIR/dnsmasq.leases" --pid-file="$LAB_DIR/dnsmasq.pid" \
    --log-facility=- > "$log" 2>&1 < /dev/null &
  LAB_DNSMASQ_PID=$!
  LAB_PIDS+=("$LAB_DNSMASQ_PID")
  lab_await_log "$LAB_DNSMASQ_PID" "$log" 'DHCP, IP range' dnsmasq start
}

# lab_start_router_advertisements [MODE]: a second dnsmasq announcing the LAN's IPv6 prefix from the switch
# every 3 s (router lifetime 300 s), MODE ra-only (SLAAC; the default) or ra-stateless (SLAAC, O flag); the
# twin of NetnsLab.startRouterAdvertisements. Waits until it advertises. Sets LAB_RA_PID.
lab_start_router_advertisements() {
  local mode=${1:-ra-only} log="$LAB_DIR/dnsmasq-${1:-ra-only}.log"
  ip netns exec "$LAB_LAN" dnsmasq --no-daemon --no-resolv --port=0 --interface="$LAB_SWITCH" --bind-interfaces \
    --enable-ra --dhcp-range=::,constructor:"$LAB_SWITCH","$mode",64,10m --ra-param="$LAB_SWITCH",3,300 \
    --dhcp-leasefile="$LAB_DIR/dnsmasq-$mode.leases" --pid-file="$LAB_DIR/dnsmasq-$mode.pid" \
    --log-facility=- > "$log" 2>&1 < /dev/null &
  LAB_RA_PID=$!
  LAB_PIDS+=("$LAB_RA_PID")
  lab_await_log "$LAB_RA_PID" "$log" "RTR-ADVERT($LAB_SWITCH)" "dnsmasq (RA)" advertise
}

# lab_bg CMD...: runs CMD in the background, killed at cleanup at the latest; sets LAB_BG_PID.
lab_bg() {
  "$@" &
  LAB_BG_PID=$!
  LAB_PIDS+=("$LAB_BG_PID")
}

_lab_delete_ns() {
  local ns=$1 pid
  [ -e "/run/netns/$ns" ] || return 0
  # a process left inside would keep the namespace (and its veths) alive after `ip netns delete`
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns delete "$ns"
}

lab_cleanup() {
  local rc=$? i pid
  trap - EXIT INT TERM
  set +e
  for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${LAB_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ((i = ${#LAB_NAMESPACES[@]} - 1; i >= 0; i--)); do
    _lab_delete_ns "${LAB_NAMESPACES[i]}" || echo "lab: could not delete namespace ${LAB_NAMESPACES[i]}" >&2
  done
  [ -n "${LAB_DIR:-}" ] && rm -rf "$LAB_DIR"
  [ -n "${LAB_REGISTRY:-}" ] && rm -f "$LAB_REGISTRY"
  exit "$rc"
}

# Removes labs (Java or bash) whose owner process no longer exists; labs of live runs are left alone.
lab_sweep_abandoned() {
  local f owner kind value lines i
  [ -d "$LAB_REGISTRY_DIR" ] || return 0
  for f in "$LAB_REGISTRY_DIR"/*.lab; do
    [ -e "$f" ] || continue
    read -r kind owner < "$f" || continue
    [ "$kind" = owner ] || continue
    kill -0 "$owner" 2>/dev/null && continue
    mapfile -t lines < "$f"
    for ((i = ${#lines[@]} - 1; i > 0; i--)); do
      read -r kind value <<< "${lines[i]}"
      # only namespaces and our own temp dirs: a recorded pid could meanwhile belong to anyone, and
      # whatever ran inside a namespace is killed with it
      case $kind in
        netns) _lab_delete_ns "$value" || true ;;
        dir) case $value in /tmp/tw*) rm -rf "$value" ;; esac ;;
      esac
    done
    rm -f "$f"
  done
}
