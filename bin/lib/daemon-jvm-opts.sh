# JVM options of the long-running terway daemon (`terway dhcp daemon`, `terway run`), shared by
# bin/terway (source checkout) and the runtime's bin/terway (bin/build-runtime copies this file).
# Usage: . daemon-jvm-opts.sh; daemon_jvm_opts JAVA_BIN  -> sets the array daemon_opts, exports MALLOC_ARENA_MAX
daemon_jvm_opts() {
  # The node daemon runs for months beside the pods: a small, bounded heap that is handed back when
  # idle, instead of the default (a quarter of the node's memory, grown and kept).
  # Only really hot code is compiled (thresholds x10): the code cache and compiler memory stay small,
  # and what runs per lease event is either hot or cheap enough interpreted.
  daemon_opts=(-Xms8m -Xmx96m -Xmn2m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss512k
    -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m -XX:CompileThresholdScaling=10)
  # glibc gives every thread that mallocs its own arena and keeps what it freed: bursts of receive
  # threads would leave that memory resident. JDKs from 17.0.9 can also hand freed native memory back
  # now and then (the flag is probed: an older JVM would refuse to start with it).
  export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
  if "$1" -XX:TrimNativeHeapInterval=10000 -Xshare:auto -version > /dev/null 2>&1; then
    daemon_opts+=(-XX:TrimNativeHeapInterval=10000)
  fi
}

# True when the terway arguments start the daemon.
runs_daemon() {
  { [ "${1:-}" = dhcp ] && [ "${2:-}" = daemon ]; } || [ "${1:-}" = run ]
}
