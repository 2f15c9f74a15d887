package dev.terway.cni.config;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CNI_ARGS, `K=V;K=V`: the pod identity kubelet and the CRI runtimes pass (K8S_POD_NAMESPACE,
 * K8S_POD_NAME, …) and {@code IP=} to pin the pod's address. As with the reference plugins, an unknown
 * key is an error unless {@code IgnoreUnknown} is true (runtimes always set it).
 *
 * @param ip the pinned address: with a prefix it is configured as is (no DHCP); without one it is the
 *           address asked for in the DHCP DISCOVER
 */
public record CniArgs(Optional<String> podNamespace, Optional<String> podName, Optional<String> podUid,
                      Optional<String> infraContainerId, Optional<RequestedAddress> ip, Map<String, String> all) {

    private static final Set<String> KNOWN = Set.of("IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME",
            "K8S_POD_UID", "K8S_POD_INFRA_CONTAINER_ID", "IP");

    public CniArgs {
        all = Map.copyOf(all);
    }

    public static CniArgs none() {
        return new CniArgs(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Map.of());
    }

    public static CniArgs parse(String text) throws CniException {
        Map<String, String> pairs = new LinkedHashMap<>();
        if (!text.isEmpty()) {
            for (String pair : text.split(";", -1)) {
                if (pair.isEmpty()) {
                    continue; // "A=1;" — a trailing separator is common and harmless
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw invalid("\"" + pair + "\" is not KEY=VALUE");
                }
                String key = pair.substring(0, eq);
                if (pairs.put(key, pair.substring(eq + 1)) != null) {
                    throw invalid("key " + key + " appears twice");
                }
            }
        }
        boolean ignoreUnknown = false;
        String ignore = pairs.get("IgnoreUnknown");
        if (ignore != null) {
            ignoreUnknown = switch (ignore.toLowerCase(java.util.Locale.ROOT)) {
                case "1", "true", "t" -> true;
                case "0", "false", "f", "" -> false;
                default -> throw invalid("IgnoreUnknown=" + ignore + " is not a boolean");
            };
        }
        if (!ignoreUnknown) {
            for (String key : pairs.keySet()) {
                if (!KNOWN.contains(key)) {
                    throw invalid("unknown key " + key + " (set IgnoreUnknown=1 to allow it)");
                }
            }
        }
        Optional<RequestedAddress> ip = Optional.empty();
        String ipText = pairs.get("IP");
        if (ipText != null && !ipText.isEmpty()) {
            ip = Optional.of(RequestedAddress.parse(ipText, "CNI_ARGS IP")
                    .orElseThrow(() -> invalid("IP=" + ipText + " is not an IPv4 address or address/prefix")));
        }
        return new CniArgs(nonEmpty(pairs.get("K8S_POD_NAMESPACE")), nonEmpty(pairs.get("K8S_POD_NAME")),
                nonEmpty(pairs.get("K8S_POD_UID")), nonEmpty(pairs.get("K8S_POD_INFRA_CONTAINER_ID")), ip, pairs);
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    private static CniException invalid(String why) {
        return new CniException(CniErrorCode.INVALID_ENVIRONMENT, "invalid CNI_ARGS: " + why);
    }

    /** An address an operator pins: exact (with prefix, no DHCP) or a preference for DHCP (no prefix). */
    public record RequestedAddress(Ipv4 address, Optional<Ipv4Cidr> staticCidr) {

        public static Optional<RequestedAddress> parse(String text, String source) {
            Ipv4Cidr cidr = Ipv4Cidr.parseOrNull(text);
            if (cidr != null) {
                return Optional.of(new RequestedAddress(cidr.address(), Optional.of(cidr)));
            }
            Ipv4 plain = Ipv4.parseOrNull(text);
            return plain == null ? Optional.empty() : Optional.of(new RequestedAddress(plain, Optional.empty()));
        }

        public boolean isStatic() {
            return staticCidr.isPresent();
        }
    }
}
