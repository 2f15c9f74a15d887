package dev.terway.cni.spec;

/**
 * The CNI_COMMAND values of specification 1.1.0, with the environment each one requires and the first
 * specification version that defines it.
 */
public enum Verb {
    ADD(true, true, true, CniVersion.V0_3_0),
    DEL(true, false, true, CniVersion.V0_3_0),
    CHECK(true, true, true, CniVersion.V0_4_0),
    VERSION(false, false, false, CniVersion.V0_3_0),
    GC(false, false, false, CniVersion.V1_1_0),
    STATUS(false, false, false, CniVersion.V1_1_0);

    private final boolean needsContainerId;
    private final boolean needsNetns;
    private final boolean needsIfname;
    private final String since;

    Verb(boolean needsContainerId, boolean needsNetns, boolean needsIfname, String since) {
        this.needsContainerId = needsContainerId;
        this.needsNetns = needsNetns;
        this.needsIfname = needsIfname;
        this.since = since;
    }

    public boolean needsContainerId() {
        return needsContainerId;
    }

    /** DEL works without CNI_NETNS: the netns may be gone already and DEL must still clean up. */
    public boolean needsNetns() {
        return needsNetns;
    }

    public boolean needsIfname() {
        return needsIfname;
    }

    /** The first specification version with this verb; a configuration of an older version cannot use it. */
    public String since() {
        return since;
    }

    /** The verb named exactly {@code command}, or null; CNI_COMMAND is case-sensitive. */
    public static Verb parse(String command) {
        for (Verb v : values()) {
            if (v.name().equals(command)) {
                return v;
            }
        }
        return null;
    }
}
