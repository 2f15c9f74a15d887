package dev.terway.cni.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One execution of the plugin exactly as the runtime made it: the CNI_* environment and the bytes of
 * stdin (decoded as UTF-8). It is what the thin client forwards to the daemon, unchanged.
 */
public final class CniInvocation {

    public static final String CNI_COMMAND = "CNI_COMMAND";
    public static final String CNI_CONTAINERID = "CNI_CONTAINERID";
    public static final String CNI_NETNS = "CNI_NETNS";
    public static final String CNI_IFNAME = "CNI_IFNAME";
    public static final String CNI_ARGS = "CNI_ARGS";
    public static final String CNI_PATH = "CNI_PATH";
    /** Not CNI: asks for the plan to be printed instead of run. */
    public static final String TERWAY_DRY_RUN = "TERWAY_DRY_RUN";

    /** The variables forwarded from the process environment; everything else stays behind. */
    public static final List<String> FORWARDED = List.of(CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
            CNI_ARGS, CNI_PATH, TERWAY_DRY_RUN);

    private final Map<String, String> env;
    private final String stdin;

    public CniInvocation(Map<String, String> env, String stdin) {
        Map<String, String> copy = new LinkedHashMap<>();
        for (String name : FORWARDED) {
            String value = env.get(name);
            if (value != null) {
                copy.put(name, value);
            }
        }
        this.env = Collections.unmodifiableMap(copy);
        this.stdin = stdin;
    }

    /** The forwarded environment variables that are set. */
    public Map<String, String> env() {
        return env;
    }

    /** The variable's value, or "" when unset: the specification treats unset and empty alike. */
    public String env(String name) {
        String v = env.get(name);
        return v == null ? "" : v;
    }

    public String stdin() {
        return stdin;
    }

    public boolean dryRun() {
        String v = env(TERWAY_DRY_RUN);
        return v.equals("1") || v.equalsIgnoreCase("true");
    }
}
