#!/usr/bin/env bash
# The image of the end-to-end suite's pods: busybox-static (Debian's package) with a web page for the
# hostPort check, imported into podman's storage in DIR and saved as DIR/pod-image.tar (a docker-archive)
# for containerd's `ctr image import`. No registry needed. As root.
#
#   it/e2e/pod-image.sh DIR TAG
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: pod-image.sh DIR TAG}
tag=${2:?usage: pod-image.sh DIR TAG}
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"
e2e_podman_env "$dir"

# Debian's busybox-static: one static binary that runs in an otherwise empty root file system.
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "pod-image: no $busybox; apt-get install busybox-static" >&2; exit 1; }

if ! podman image exists "$tag"; then
  rootfs=$(mktemp -d "$dir/busybox-XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc"
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  echo "terway-e2e pod web page" > "$rootfs/www/index.html"
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/sh"]' - "$tag" > /dev/null
fi
rm -f "$dir/pod-image.tar"
podman save --quiet --format docker-archive -o "$dir/pod-image.tar" "$tag"
