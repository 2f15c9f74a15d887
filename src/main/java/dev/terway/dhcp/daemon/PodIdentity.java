package dev.terway.dhcp.daemon;

import dev.terway.log.LogPod;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Which pod interface a lease belongs to. (containerId, ifname) is the key; the rest describes it. */
public record PodIdentity(String containerId, String ifname, Path netns, Optional<String> podNamespace,
                          Optional<String> podName) {

    public PodIdentity {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(podNamespace, "podNamespace");
        Objects.requireNonNull(podName, "podName");
    }

    /**
     * The client identifier (option 61) the pod uses unless overridden: stable across pod re-creation when
     * the pod's name is known, so servers that key on it hand the pod its address again.
     */
    public String defaultClientId() {
        if (podNamespace.isPresent() && podName.isPresent()) {
            return "terway/" + podNamespace.get() + "/" + podName.get() + "/" + ifname;
        }
        return "terway/" + containerId + "/" + ifname;
    }

    /** The host name (option 12) sent unless overridden: the pod's name, when known. */
    public Optional<String> defaultHostname() {
        return podName;
    }

    /** The interface as failure reports name it: {@code eth0 in netns /run/netns/x (pod default/web)}. */
    public String interfaceDescription() {
        return ifname + " in netns " + netns
                + (podNamespace.isPresent() && podName.isPresent() ? " (pod " + podNamespace.get() + "/" + podName.get() + ")"
                : " (container " + containerId + ")");
    }

    /** How log lines name the pod: namespace/name when known, else the short container id. */
    public String describe() {
        String who = podNamespace.isPresent() && podName.isPresent()
                ? podNamespace.get() + "/" + podName.get()
                : "container " + (containerId.length() > 12 ? containerId.substring(0, 12) : containerId);
        return who + " " + ifname;
    }

    /** The keys a log line about this pod interface carries. */
    public LogPod logPod() {
        return new LogPod(containerId, podNamespace, podName, ifname);
    }
}
