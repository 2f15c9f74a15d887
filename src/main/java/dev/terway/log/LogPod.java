package dev.terway.log;

import java.util.Objects;
import java.util.Optional;

/**
 * The pod interface a log line is about: every pod line carries its container id, the pod's namespace and
 * name (when the runtime passed them) and the interface name, as separate keys.
 */
public record LogPod(String containerId, Optional<String> namespace, Optional<String> name, String ifname) {

    public LogPod {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ifname, "ifname");
    }

    /** A pod interface known only by its attachment (container id and interface), as CNI DEL and repair know it. */
    public static LogPod of(String containerId, String ifname) {
        return new LogPod(containerId, Optional.empty(), Optional.empty(), ifname);
    }
}
