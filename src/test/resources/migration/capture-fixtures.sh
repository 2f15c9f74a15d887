#!/usr/bin/env bash
# Regenerates the `ip -j` fixtures of the migration unit tests from real kernel state. Every case is
# built in throwaway network namespaces (a "node" and a "LAN" joined by a veth pair) that are deleted
# again on exit; nothing outside them is touched. Run as root from this directory:
#   ./capture-fixtures.sh [CASE...]          (default: every case)
# Each case directory gets exactly what NetStateReader reads: link.json (ip -j -d link show),
# addr.json, route4.json and route6.json (main table), plus the neighbour caches (neigh.json, ip -j
# neigh show) that teardown reads, and the IPv6 settings of every device (sysctl.txt, as `sysctl` prints
# them). MAC addresses are fixed so that the fixtures, and the plans computed from them, are
# deterministic. The router-advertisement cases run dnsmasq in the LAN namespace (stopped on exit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
node=twfx$RANDOM
lan=${node}l
nic_mac=02:00:0a:63:00:05

ra_pid=
cleanup() {
  if [ -n "$ra_pid" ]; then
    kill "$ra_pid" 2>/dev/null || true
    wait "$ra_pid" 2>/dev/null || true
    ra_pid=
  fi
  ip netns del "$node" 2>/dev/null || true
  ip netns del "$lan" 2>/dev/null || true
}
trap cleanup EXIT

n() { ip -n "$node" "$@"; }

fresh_node() {
  cleanup
  ip netns add "$node"
  ip netns add "$lan"
  ip link add eth0 netns "$node" address "$nic_mac" type veth peer name lan0 netns "$lan" address 02:00:0a:63:00:01
  ip -n "$lan" link set lan0 up
  ip -n "$lan" addr add 10.99.0.1/24 dev lan0
  ip -n "$lan" addr add 2001:db8::1/64 dev lan0 nodad
  n link set lo up
  n link set eth0 up
}

# A second interface of the node (this kernel has no dummy driver, so a veth pair inside the node).
aux_pair() {
  n link add aux0 address 02:00:c0:a8:4d:01 type veth peer name aux1 address 02:00:c0:a8:4d:02
  n link set aux0 up
  n link set aux1 up
}

# The node of the issue: one static address, a default route.
default_route() {
  fresh_node
  n addr add 10.99.0.5/24 dev eth0
  n route add default via 10.99.0.1 dev eth0
}

# Everything setup has to carry over: a secondary address, IPv6 with a default route, and static
# routes with a gateway, a metric, a source address, onlink, a link-scope route that a gateway route
# depends on, and an IPv6 route preference. aux0 stands for an unrelated interface that must stay.
static_routes() {
  fresh_node
  n addr add 10.99.0.5/24 brd + dev eth0
  n addr add 10.99.0.6/24 brd + dev eth0
  n addr add 2001:db8::5/64 dev eth0 nodad
  n route add default via 10.99.0.1 dev eth0 metric 100
  n route add 10.98.0.0/16 via 10.99.0.254 dev eth0 proto static src 10.99.0.6
  n route add 10.97.0.0/16 via 10.97.255.1 dev eth0 onlink
  n route add 10.96.0.0/24 dev eth0 scope link metric 50
  n route add 10.95.0.0/16 via 10.96.0.1 dev eth0 metric 7
  n -6 route add default via 2001:db8::1 dev eth0
  n -6 route add 2001:db8:1::/48 via 2001:db8::fe dev eth0 metric 300 pref high
  aux_pair
  n addr add 192.168.77.1/24 dev aux0
  n route add 192.168.78.0/24 via 192.168.77.254 dev aux0
}

bridge_up() {
  n link add mybr0 type bridge stp_state 0 forward_delay 0
  n link set mybr0 address "$nic_mac" mtu 1500
  n link set mybr0 up
}

# static_routes after a complete migration to mybr0, done by hand with plain ip commands so that the
# idempotence test compares terway's idea of "migrated" against an independent one.
migrated() {
  static_routes
  bridge_up
  n link set eth0 master mybr0
  n addr add 10.99.0.5/24 brd + dev mybr0
  n addr add 10.99.0.6/24 brd + dev mybr0
  n addr add 2001:db8::5/64 dev mybr0 nodad
  n route replace 10.96.0.0/24 dev mybr0 scope link metric 50 table main
  n route replace default via 10.99.0.1 dev mybr0 metric 100 table main
  n route replace 10.98.0.0/16 via 10.99.0.254 dev mybr0 proto static src 10.99.0.6 table main
  n route replace 10.97.0.0/16 via 10.97.255.1 dev mybr0 onlink table main
  n route replace 10.95.0.0/16 via 10.96.0.1 dev mybr0 metric 7 table main
  n -6 route replace default via 2001:db8::1 dev mybr0 metric 1024 pref medium table main
  n -6 route replace 2001:db8:1::/48 via 2001:db8::fe dev mybr0 metric 300 pref high table main
  n addr del 10.99.0.6/24 dev eth0
  n addr del 10.99.0.5/24 dev eth0
  n addr del 2001:db8::5/64 dev eth0
  ipv6_migrated
  # traffic through the bridge, so that its neighbour cache holds the gateways as it would on a node
  ip netns exec "$node" ping -q -c 1 -W 1 10.99.0.1 > /dev/null
  ip netns exec "$node" ping -q -c 1 -W 1 2001:db8::1 > /dev/null
}

# migrated after `ip link del mybr0`: the bridge took the node's addresses and routes with it, eth0 is
# no port any more and has nothing of its own (IPv6 stays off on it, as setup left it).
bridge_deleted() {
  migrated
  n link del mybr0
}

# An earlier run stopped right after enslaving the NIC: addresses and routes are still on eth0.
partial_enslaved() {
  static_routes
  bridge_up
  ip netns exec "$node" sysctl -q -w net/ipv6/conf/mybr0/accept_ra=0
  n link set eth0 master mybr0
}

# A bridge of that name exists but is not what setup wants: STP on, another MTU and MAC, down.
partial_bridge() {
  default_route
  n link add mybr0 address 02:00:00:00:00:aa mtu 1400 type bridge stp_state 1 forward_delay 400
}

port_of_other_bridge() {
  default_route
  n link add br9 type bridge
  n link set br9 up
  n link set eth0 master br9
}

name_taken() {
  default_route
  n link add mybr0 address 02:00:00:00:00:bb type veth peer name mybr0p address 02:00:00:00:00:bc
}

no_ipv4() {
  fresh_node
  n addr add 2001:db8::5/64 dev eth0 nodad
  n -6 route add default via 2001:db8::1 dev eth0
}

# Two default routes with the same metric: `route replace` would pick the first, maybe the wrong one.
route_clash() {
  default_route
  n route del default
  n route add default via 10.99.0.1 dev eth0 metric 100
  aux_pair
  n addr add 10.98.1.5/24 dev aux0
  n route append default via 10.98.1.1 dev aux0 metric 100
}

# What a run of terway does to IPv6 settings: the port has no IPv6, the bridge keeps the NIC's (default) ones.
ipv6_migrated() {
  ip netns exec "$node" sysctl -q -w net/ipv6/conf/eth0/disable_ipv6=1
}

# ra_lan ARGS...: dnsmasq sending router advertisements on lan0 (every 60 s, router lifetime 30 min, and
# at once on a solicitation); waits until eth0 has learnt a default router and a usable SLAAC address.
ra_lan() {
  ip netns exec "$lan" dnsmasq --no-daemon --no-resolv --port=0 --interface=lan0 --bind-interfaces \
    --log-facility=- --enable-ra --ra-param=lan0,60,1800 --dhcp-leasefile=/dev/null --pid-file= "$@" \
    > /dev/null 2>&1 &
  ra_pid=$!
  local i
  for i in $(seq 100); do
    if n -6 route show default proto ra | grep -q via && n -6 addr show dev eth0 scope global | grep -q dynamic \
        && ! n -6 addr show dev eth0 | grep -q tentative; then
      return 0
    fi
    sleep 0.1
  done
  echo "no SLAAC address or default router on eth0 after 10 s" >&2
  return 1
}

# The node of the issue on a LAN with router advertisements: static IPv4, and from the router a SLAAC
# address in 2001:db8::/64, the default router, and 2001:db8:7::/64 as on-link only (stateful DHCPv6,
# so no address of it: its prefix route belongs to no address).
router_advertisements() {
  default_route
  ip -n "$lan" addr add 2001:db8:7::1/64 dev lan0 nodad
  ra_lan --dhcp-range=2001:db8::,ra-only,64,10m --dhcp-range=2001:db8:7::100,2001:db8:7::1ff,64,10m
}

# router_advertisements after a complete migration to mybr0 done by hand, as terway plans it: the SLAAC
# address and the on-link prefix route copied with what lifetime they have left, IPv6 off on eth0, and
# mybr0 left to learn the default router from the router (it solicits once its link-local address is ready).
ra_migrated() {
  router_advertisements
  local slaac=2001:db8::aff:fe63:5 # SLAAC (EUI-64) address of $nic_mac
  bridge_up
  ip netns exec "$node" sysctl -q -w net/ipv6/conf/mybr0/accept_ra=0
  n link set eth0 master mybr0
  n addr add 10.99.0.5/24 dev mybr0
  n -6 addr add "$slaac/64" dev mybr0 valid_lft 590 preferred_lft 590 mngtmpaddr nodad
  n -6 route append 2001:db8:7::/64 dev mybr0 proto kernel metric 256 expires 590 pref medium table main
  n route replace default via 10.99.0.1 dev mybr0 table main
  n -6 route del 2001:db8:7::/64 dev eth0 proto kernel metric 256 table main
  n addr del 10.99.0.5/24 dev eth0
  n -6 addr del "$slaac/64" dev eth0
  ipv6_migrated
  ip netns exec "$node" sysctl -q -w net/ipv6/conf/mybr0/accept_ra=1
  local i
  for i in $(seq 100); do
    n -6 route show default dev mybr0 proto ra | grep -q via && break
    sleep 0.1
  done
  ip netns exec "$node" ping -q -c 1 -W 1 10.99.0.1 > /dev/null
  ip netns exec "$node" ping -q -c 1 -W 1 2001:db8::1 > /dev/null
}

# How NetworkManager configures a NIC: the kernel ignores router advertisements (accept_ra 0) because NM
# handles them itself; addresses have noprefixroute and NM adds the prefix routes (metric 100, the IPv4 one
# as proto kernel), the IPv6 ones learnt from advertisements as proto ra with their expiry and hop limit.
networkmanager() {
  fresh_node
  ip netns exec "$node" sysctl -q -w net/ipv6/conf/eth0/accept_ra=0
  n addr add 10.99.0.5/24 brd + dev eth0 noprefixroute
  n -6 addr add 2001:db8::aff:fe63:5/64 dev eth0 noprefixroute mngtmpaddr nodad valid_lft 2591000 preferred_lft 604000
  n route add 10.99.0.0/24 dev eth0 proto kernel scope link src 10.99.0.5 metric 100
  n route add default via 10.99.0.1 dev eth0 proto dhcp src 10.99.0.5 metric 100
  n -6 route add 2001:db8::/64 dev eth0 proto ra metric 100 expires 2591000 pref medium
  n -6 route add default via fe80::aff:fe63:1 dev eth0 proto ra metric 100 expires 1700 hoplimit 64 pref medium
}

capture() {
  local case=$1 dir=$here/$1
  "${1//-/_}"
  sleep 0.3 # let IPv6 link-local addresses and carrier settle
  mkdir -p "$dir"
  n -j -d link show > "$dir/link.json"
  n -j addr show > "$dir/addr.json"
  n -j -4 route show table main > "$dir/route4.json"
  n -j -6 route show table main > "$dir/route6.json"
  n -j neigh show > "$dir/neigh.json"
  ip netns exec "$node" sysctl -a -r '^net\.ipv6\.conf\.[^.]+\.(disable_ipv6|accept_ra|autoconf|forwarding)$' \
    > "$dir/sysctl.txt"
  echo "captured $case"
}

cases=(default-route static-routes migrated bridge-deleted partial-enslaved partial-bridge port-of-other-bridge name-taken
  no-ipv4 route-clash router-advertisements ra-migrated networkmanager)
if [ $# -eq 0 ]; then
  set -- "${cases[@]}"
fi
for c in "$@"; do
  capture "$c"
done
