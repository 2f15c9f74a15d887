#!/usr/bin/env bash
# Start-up cost of one `cni-terway` invocation per Java runtime, class-data archive and JVM flag, and the
# RSS of the daemon: the figures behind bin/build-runtime's choices and the DaemonSet's memory limits.
#
#   it/bench/startup.sh [runs]        (after `mvn package`; as root; changes no networking)
#   it/bench/startup.sh [runs] --compare NAME=RUNTIME [--compare NAME=RUNTIME ...]
#
# --compare measures only the runtimes named (each a bin/build-runtime output, e.g. a copy of
# target/terway-runtime from another commit; copies must keep file times), through each one's own
# cni-terway launch line, VERSION and STATUS, against the same daemon: two builds side by side.
#
# Java variants, each the real cni-terway entry class started like the runtime's launcher does:
#   jdk17-plain         the machine's JDK 17 and its default CDS archive
#   jdk17-appcds-jlink  a JDK 17 jlink runtime with a static AppCDS archive (bin/build-runtime with JDK 17)
#   jdk25-plain         JDK 25 and its default CDS archive, no AOT cache
#   jdk25-aot-jlink     a JDK 25 jlink runtime with an AOT cache (bin/build-runtime with JDK >= 25)
#   installed           the runtime Maven built (JDK 17 + AppCDS) through `terway install`'s launcher in
#                       a temporary CNI bin dir: what kubelet actually runs
#   shipped without FLAG  the runtime Maven built with one of its launcher's flags left out
#   go-bridge           the reference Go `bridge` plugin's VERSION (containernetworking-plugins), for scale
# Verbs: VERSION (answered by the client itself) and STATUS, forwarded over the socket to a real daemon
# started here on a private socket (it answers "bridge missing": the round trip is what is measured).
# Runs are interleaved (it/bench/interleave.py) so every variant sees the same machine load.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=30
compare=()
while [ $# -gt 0 ]; do
  case $1 in
    --compare) [[ ${2:-} == ?*=?* ]] || { echo "startup: --compare NAME=RUNTIME" >&2; exit 2; }
      compare+=("$2"); shift 2 ;;
    *) runs=$1; shift ;;
  esac
done
jdk17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
jdk25=${JDK25:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n1 || true)}
command -v python3 > /dev/null || { echo "startup: needs python3 (it/bench/interleave.py)" >&2; exit 1; }
[ -f "$root/target/terway-runtime/runtime.properties" ] || { echo "startup: run 'mvn -DskipTests package' first" >&2; exit 1; }

work=$(mktemp -d /tmp/terway-bench.XXXXXX)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2> /dev/null || true; wait "$daemon_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Runtimes: the one Maven built, plus the other JDK's, built the same way into $work.
built=$root/target/terway-runtime
kind=$(sed -n 's/^archive=//p' "$built/runtime.properties")
rt17=$built; rt25=$built
if [ ${#compare[@]} -gt 0 ]; then
  : # only the runtimes named
elif [ "$kind" = aot ]; then
  TERWAY_RUNTIME_JDK=$jdk17 bash "$root/bin/build-runtime" "$root" "$jdk17" "$work/rt17" > /dev/null
  rt17=$work/rt17
elif [ -n "$jdk25" ]; then
  TERWAY_RUNTIME_JDK=$jdk25 bash "$root/bin/build-runtime" "$root" "$jdk17" "$work/rt25" > /dev/null
  rt25=$work/rt25
else
  rt25=""
fi

# The launcher line of a runtime: flags (before the archive flag), archive flags, class path.
launch_line() { grep '^exec jre/bin/java ' "$1/bin/cni-terway" | sed 's/^exec jre\/bin\/java //; s/ "\$@"$//'; }
# A launcher script in $work: cd into a runtime (the archives record relative paths), exec a java.
script() { # name runtime-dir java-binary jvm-args...
  local name=$1 dir=$2 java=$3
  shift 3
  printf '#!/bin/sh\ncd %s && exec %s %s "$@"\n' "$dir" "$java" "$*" > "$work/$name"
  chmod +x "$work/$name"
  echo "$work/$name"
}
strip_archive() { sed 's/ -XX:SharedArchiveFile=[^ ]*//; s/ -Xshare:auto//; s/ -XX:AOTCache=[^ ]*//'; }

declare -A launcher
order=()
if [ ${#compare[@]} -gt 0 ]; then
  for c in "${compare[@]}"; do
    name=${c%%=*}; dir=$(cd "${c#*=}" && pwd)
    [ -f "$dir/runtime.properties" ] || { echo "startup: $dir is not a terway runtime" >&2; exit 1; }
    launcher[$name]=$(script "compare-$name" "$dir" jre/bin/java "$(launch_line "$dir")")
    order+=("$name")
  done
else
  line17=$(launch_line "$rt17")
  launcher[jdk17-plain]=$(script jdk17-plain "$rt17" "$jdk17/bin/java" "$(echo "$line17" | strip_archive)")
  launcher[jdk17-appcds-jlink]=$(script jdk17-appcds "$rt17" jre/bin/java "$line17")
  order=(jdk17-plain jdk17-appcds-jlink)
  if [ -n "$rt25" ]; then
    line25=$(launch_line "$rt25")
    launcher[jdk25-plain]=$(script jdk25-plain "$rt25" "$jdk25/bin/java" "$(echo "$line25" | strip_archive)")
    launcher[jdk25-aot-jlink]=$(script jdk25-aot "$rt25" jre/bin/java "$line25")
    order+=(jdk25-plain jdk25-aot-jlink)
  fi
  # Why each flag of the shipped launcher is there: the shipped runtime with one flag left out.
  line_built=$(launch_line "$built")
  # (the heap pin goes as one: either half alone still moves the heap's end)
  for flag in -Xint -XX:ArchiveRelocationMode=0 -XX:-UsePerfData "-Xmx128m -Xms16m"; do
    if [[ " $line_built " == *" $flag "* ]]; then
      launcher["shipped without $flag"]=$(script "shipped-no$flag" "$built" jre/bin/java "${line_built/$flag /}")
      order+=("shipped without $flag")
    fi
  done
  # G1 is also the JVM's default here, so leaving it out proves nothing: the other collector instead (the
  # archive stays usable, without its heap objects).
  if [[ " $line_built " == *" -XX:+UseG1GC "* ]]; then
    launcher["shipped with SerialGC"]=$(script "shipped-serial" "$built" jre/bin/java "${line_built/-XX:+UseG1GC /-XX:+UseSerialGC }")
    order+=("shipped with SerialGC")
  fi
  # What kubelet runs: the launcher `terway install` writes, which execs the installed runtime's.
  "$built/bin/terway" install --cni-bin-dir "$work/root/bin" --cni-conf-dir "$work/root/conf" > /dev/null
  launcher[installed]=$work/root/bin/cni-terway
  order+=(installed)
fi

# A real daemon on a private socket, started as the DaemonSet's main container starts it (the runtime's
# bin/terway with the daemon's JVM options, bin/lib/daemon-jvm-opts.sh), so the RSS printed at the end
# is the one that container's memory limit must fit.
sock=$work/run/dhcp.sock
mkdir -p "$work/state"
"$built/bin/terway" dhcp daemon --socket "$sock" --state-dir "$work/state" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "startup: the daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
printf '{"cniVersion":"1.1.0","name":"terway","type":"cni-terway","bridge":"mybr0","dhcpSocket":"%s"}' "$sock" \
  > "$work/status.json"
# The size of a DEL's or CHECK's configuration, which carries the ADD's result (prevResult): compare mode only.
printf '%s' '{"cniVersion":"1.1.0","name":"terway","type":"cni-terway","bridge":"mybr0","serviceCIDR":"10.96.0.0/12",' \
  '"hairpinMode":true,"dns":{"nameservers":["10.96.0.10"],"search":["default.svc.cluster.local","svc.cluster.local",' \
  '"cluster.local"],"options":["ndots:5"]},"runtimeConfig":{"portMappings":[]},"prevResult":{"cniVersion":"1.1.0",' \
  '"interfaces":[{"name":"eth0","mac":"0a:58:0a:4d:00:8d","mtu":1500,"sandbox":"/var/run/netns/cni-5f1e0c2a-7b4d-' \
  '4a5e-9c3b-2d8e6f1a0b7c"}],"ips":[{"address":"10.77.0.141/24","gateway":"10.77.0.1","interface":0}],"routes":[' \
  '{"dst":"0.0.0.0/0","gw":"10.77.0.1"},{"dst":"10.96.0.0/12","gw":"10.77.0.1"}],"dns":{"nameservers":["10.77.0.1"' \
  '],"domain":"lab.example","search":["lab.example"]}},' > "$work/status-prev.json"
printf '"dhcpSocket":"%s"}' "$sock" >> "$work/status-prev.json"
echo "STATUS through the daemon answers: $(env -i PATH=/usr/bin:/bin CNI_COMMAND=STATUS \
  "${launcher[${order[0]}]}" < "$work/status.json" || true)"
echo "and with a DEL-sized configuration ($(wc -c < "$work/status-prev.json") bytes): $(env -i PATH=/usr/bin:/bin \
  CNI_COMMAND=STATUS "${launcher[${order[0]}]}" < "$work/status-prev.json" || true)"

# The interleaved measurement.
python3 - "$work/spec.json" "$work/status.json" "$work/status-prev.json" "${order[@]}" <<EOF
import json, sys
out, status, status_prev, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
launchers = {$(for n in "${order[@]}"; do printf '"%s": "%s", ' "$n" "${launcher[$n]}"; done)}
env = {"PATH": "/usr/bin:/bin"}
spec = []
for n in names:
    spec.append({"name": n + " VERSION", "argv": [launchers[n]], "env": dict(env, CNI_COMMAND="VERSION"),
                 "stdin": None})
if "$( [ -x /usr/lib/cni/bridge ] && [ ${#compare[@]} -eq 0 ] && echo yes )" == "yes":
    spec.append({"name": "go-bridge VERSION", "argv": ["/usr/lib/cni/bridge"], "env": dict(env, CNI_COMMAND="VERSION"),
                 "stdin": None})
for n in names:
    if not n.startswith("shipped without"):
        spec.append({"name": n + " STATUS", "argv": [launchers[n]], "env": dict(env, CNI_COMMAND="STATUS"),
                     "stdin": status, "ok_exit": [0, 1]})
if $( [ ${#compare[@]} -gt 0 ] && echo True || echo False ):
    for n in names:
        spec.append({"name": n + " STATUS, DEL-sized conf", "argv": [launchers[n]],
                     "env": dict(env, CNI_COMMAND="STATUS"), "stdin": status_prev, "ok_exit": [0, 1]})
json.dump(spec, open(out, "w"))
EOF
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
python3 "$root/it/bench/interleave.py" "$work/spec.json" "$runs" 3
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status")
echo "daemon RSS after the STATUS requests above: $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
