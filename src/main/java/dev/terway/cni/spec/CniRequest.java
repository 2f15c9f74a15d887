package dev.terway.cni.spec;

import java.util.Map;

/**
 * An invocation that passed the checks every verb shares: a known verb, the environment it needs, names
 * that follow the specification, a configuration that is a JSON object with a supported cniVersion and
 * a valid network name. Verb-specific configuration is read later by whoever handles the verb.
 *
 * @param netns      CNI_NETNS, or "" (allowed for DEL, GC and STATUS)
 * @param containerId CNI_CONTAINERID, or "" for GC and STATUS
 * @param ifname     CNI_IFNAME, or "" for GC and STATUS
 */
public record CniRequest(Verb verb, String cniVersion, String networkName, Map<String, Object> config,
                         String containerId, String netns, String ifname, String cniArgs, String cniPath,
                         boolean dryRun, CniInvocation invocation) {
}
