# shellcheck shell=bash
# Pods for the DHCP daemon's lab, on top of lab.sh (source that first): a node whose LAN NIC is the
# uplink of a bridge, and pods as namespaces with a veth on that bridge, the way terway wires them.
#
#   dhcp_lab_node n1 10          # $LAB_NS_n1: br0 with eth0 (the LAN uplink) as port, .10 on br0
#   dhcp_lab_pod n1 p1           # $LAB_ID-p1: eth0 up, its peer v-p1 a port of n1's br0
#
# Everything lives in namespaces the lab made and removes on exit.

DHCP_LAB_BRIDGE=br0

dhcp_lab_node() {
  local name=$1 host=$2 ns="$LAB_ID-$1"
  lab_add_node "$name"
  ip -n "$ns" link add "$DHCP_LAB_BRIDGE" type bridge
  # no STP forwarding delay: a new pod port forwards at once
  ip -n "$ns" link set "$DHCP_LAB_BRIDGE" type bridge forward_delay 0 stp_state 0
  ip -n "$ns" link set eth0 master "$DHCP_LAB_BRIDGE"
  ip -n "$ns" link set "$DHCP_LAB_BRIDGE" up
  ip -n "$ns" addr add "$(lab_v4 "$host")/24" dev "$DHCP_LAB_BRIDGE"
  ip -n "$ns" route add default via "$(lab_v4 1)" dev "$DHCP_LAB_BRIDGE"
}

# dhcp_lab_pod NODE NAME: a pod namespace $LAB_ID-NAME wired to NODE's bridge.
dhcp_lab_pod() {
  local node="$LAB_ID-$1" name=$2 ns="$LAB_ID-$2"
  lab_ns_add "$name"
  ip -n "$node" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$node" link set "v-$name" master "$DHCP_LAB_BRIDGE" up
  ip -n "$ns" link set eth0 up
}
