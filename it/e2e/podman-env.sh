# shellcheck shell=bash
# Private configuration for podman and its storage, so the end-to-end suite neither reads nor changes
# this machine's own containers, images or CNI networks. Source it, then:
#
#   e2e_podman_env DIR [CNI-BIN-DIR CNI-CONF-DIR IMAGE-STORE]
#       writes DIR/containers.conf + DIR/storage.conf and exports CONTAINERS_CONF and
#       CONTAINERS_STORAGE_CONF: containers (and images built here) under DIR/storage. The CNI directories
#       default to Debian's plugins and an empty directory of DIR's (builds use no CNI network); a node
#       passes its own /opt/cni/bin and /etc/cni/net.d, and the storage of the build as IMAGE-STORE, a
#       read-only image store beside its own (so each node has its own containers and shares the images).
#
# Settings learnt on Debian 12 (podman 4.3): the CNI backend (what most nodes' libcni 1.1 runtimes use),
# runc (crun fails on hybrid cgroups), cgroupfs (no systemd here), events in a file, and explicit
# ulimits (podman's defaults exceed what a nested sandbox allows); containers share the caller's network
# namespace unless told otherwise, so nothing makes podman's default bridge.
e2e_podman_env() {
  local dir=$1 cni_bin=${2:-/usr/lib/cni} cni_conf=${3:-$1/cni-none} store=${4:-} driver=${E2E_STORAGE_DRIVER:-overlay}
  mkdir -p "$dir/storage" "$dir/run" "$dir/tmp"
  [ -n "${3:-}" ] || mkdir -p "$cni_conf"
  cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "host"

[network]
network_backend = "cni"
cni_plugin_dirs = ["$cni_bin"]
network_config_dir = "$cni_conf"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/run/events.log"
runtime = "runc"
tmp_dir = "$dir/tmp"
CONF
  cat > "$dir/storage.conf" <<CONF
[storage]
driver = "$driver"
graphroot = "$dir/storage"
runroot = "$dir/run/storage"
CONF
  if [ -n "$store" ]; then
    printf '\n[storage.options]\nadditionalimagestores = ["%s"]\n' "$store/storage" >> "$dir/storage.conf"
  fi
  export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
}
