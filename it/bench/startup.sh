#!/usr/bin/env bash
# Start-up cost of one `cni-terway` invocation, per Java runtime and class-data archive, and the RSS of the
# daemon: the figures behind bin/build-runtime's choices and the DaemonSet's resource requests.
#
#   it/bench/startup.sh [runs]        (after `mvn package`; root not needed; changes no networking)
#
# Variants (each the real cni-terway entry class with the launcher's flags):
#   jdk17-plain        the machine's JDK 17, its default CDS archive, jars from target/
#   jdk17-appcds-jlink a JDK 17 jlink runtime with a static AppCDS archive (bin/build-runtime, JDK 17)
#   jdk25-plain        JDK 25, its default CDS archive, no AOT cache
#   jdk25-aot-jlink    a JDK 25 jlink runtime with an AOT cache (bin/build-runtime, JDK >= 25)
#   go-bridge          the reference Go `bridge` plugin's VERSION (containernetworking-plugins), for scale
# Verbs: VERSION (answered by the client itself) and STATUS forwarded over the socket to a real
# `terway dhcp daemon` started here with a private socket and state directory (the thin-client request).
# Prints hyperfine's wall-clock mean/min and the CPU time (user+sys), which is steadier on a busy machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-40}
jdk17=${JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}
jdk25=${JDK25:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n1 || true)}
command -v hyperfine > /dev/null || { echo "startup: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
command -v python3 > /dev/null || { echo "startup: needs python3 to summarise hyperfine's JSON" >&2; exit 1; }
[ -f "$root/target/terway-runtime/runtime.properties" ] || { echo "startup: run 'mvn -DskipTests package' first" >&2; exit 1; }

work=$(mktemp -d /tmp/terway-bench.XXXXXX)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2> /dev/null || true; wait "$daemon_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Runtimes: the one Maven built, plus the other JDK's, built the same way into $work.
declare -A runtime
kind=$(sed -n 's/^archive=//p' "$root/target/terway-runtime/runtime.properties")
if [ "$kind" = aot ]; then runtime[jdk25-aot-jlink]=$root/target/terway-runtime; else runtime[jdk17-appcds-jlink]=$root/target/terway-runtime; fi
if [ -z "${runtime[jdk17-appcds-jlink]:-}" ]; then
  TERWAY_RUNTIME_JDK=$jdk17 bash "$root/bin/build-runtime" "$root" "$jdk17" "$work/rt17" > /dev/null
  runtime[jdk17-appcds-jlink]=$work/rt17
fi
if [ -z "${runtime[jdk25-aot-jlink]:-}" ] && [ -n "$jdk25" ]; then
  TERWAY_RUNTIME_JDK=$jdk25 bash "$root/bin/build-runtime" "$root" "$jdk17" "$work/rt25" > /dev/null
  runtime[jdk25-aot-jlink]=$work/rt25
fi

# The plain variants run the same launcher line without the archive, from the runtime's jars.
rt=${runtime[jdk17-appcds-jlink]}
cp_line=$(sed -n 's/^exec jre\/bin\/java .* -cp \([^ ]*\) dev.terway.cni.entry.CniTerway.*/\1/p' "$rt/bin/cni-terway")
flags=$(sed -n 's/^exec jre\/bin\/java \(.*\) -XX:SharedArchiveFile.*/\1/p' "$rt/bin/cni-terway")
[ -n "$cp_line" ] && [ -n "$flags" ] || { echo "startup: cannot read the launcher line of $rt/bin/cni-terway" >&2; exit 1; }
plain() { # java-home -> a launcher script in $work
  cat > "$work/plain-$2" <<EOF
#!/bin/sh
cd "$rt" && exec "$1/bin/java" $flags -cp $cp_line dev.terway.cni.entry.CniTerway "\$@"
EOF
  chmod +x "$work/plain-$2"
  echo "$work/plain-$2"
}
declare -A launcher
launcher[jdk17-plain]=$(plain "$jdk17" 17)
[ -n "$jdk25" ] && launcher[jdk25-plain]=$(plain "$jdk25" 25)
for v in jdk17-appcds-jlink jdk25-aot-jlink; do
  [ -n "${runtime[$v]:-}" ] && launcher[$v]=${runtime[$v]}/bin/cni-terway
done
order=(jdk17-plain jdk17-appcds-jlink jdk25-plain jdk25-aot-jlink)

# A real daemon on a private socket, started from the runtime Maven built; measure its RSS too.
sock=$work/run/dhcp.sock
mkdir -p "$work/state"
"$root/target/terway-runtime/bin/terway" dhcp daemon --socket "$sock" --state-dir "$work/state" \
  > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "startup: the daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
printf '{"cniVersion":"1.1.0","name":"terway","type":"cni-terway","bridge":"mybr0","dhcpSocket":"%s"}' "$sock" \
  > "$work/status.json"
status_reply=$(env -i PATH=/usr/bin:/bin CNI_COMMAND=STATUS "${launcher[jdk17-plain]}" < "$work/status.json" || true)
echo "STATUS through the daemon answers: '${status_reply:-<empty: success>}'"

cmds=()
names=()
for v in "${order[@]}"; do
  [ -n "${launcher[$v]:-}" ] || continue
  names+=("$v VERSION"); cmds+=("env -i PATH=/usr/bin:/bin CNI_COMMAND=VERSION ${launcher[$v]} < /dev/null")
done
if [ -x /usr/lib/cni/bridge ]; then
  names+=("go-bridge VERSION"); cmds+=("env -i PATH=/usr/bin:/bin CNI_COMMAND=VERSION /usr/lib/cni/bridge < /dev/null")
fi
for v in "${order[@]}"; do
  [ -n "${launcher[$v]:-}" ] || continue
  # STATUS may answer an error while the daemon lacks the cni op; the round trip is the same.
  names+=("$v STATUS"); cmds+=("env -i PATH=/usr/bin:/bin CNI_COMMAND=STATUS ${launcher[$v]} < $work/status.json || true")
done
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -S sh -w 5 -r "$runs" --export-json "$work/result.json" "${args[@]}" > /dev/null 2>&1

echo "load average before/after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/result.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print(f"| {'variant and verb':<30} | {'mean ms':>8} | {'median ms':>9} | {'min ms':>7} | {'CPU user+sys ms':>15} |")
print(f"|{'-'*32}|{'-'*10}|{'-'*11}|{'-'*9}|{'-'*17}|")
for r in rows:
    print(f"| {r['command']:<30} | {r['mean']*1000:8.1f} | {r['median']*1000:9.1f} | {r['min']*1000:7.1f} | {(r['user']+r['system'])*1000:15.1f} |")
EOF

rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status")
echo "daemon RSS after $((runs * 4 + 20)) STATUS requests: $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
