package dev.terway.cni.spec;

import java.util.List;

/** The CNI specification versions terway speaks, and comparisons between version strings. */
public final class CniVersion {

    public static final String V0_3_0 = "0.3.0";
    public static final String V0_3_1 = "0.3.1";
    public static final String V0_4_0 = "0.4.0";
    public static final String V1_0_0 = "1.0.0";
    public static final String V1_1_0 = "1.1.0";

    /** What VERSION reports, oldest first. 0.1.0/0.2.0 results (ip4/ip6) are not produced. */
    public static final List<String> SUPPORTED = List.of(V0_3_0, V0_3_1, V0_4_0, V1_0_0, V1_1_0);

    /** Used where no configuration says which version to speak (e.g. it could not be read). */
    public static final String LATEST = V1_1_0;

    private CniVersion() {
    }

    public static boolean isSupported(String version) {
        return SUPPORTED.contains(version);
    }

    /**
     * Compares two supported version strings. Only versions in {@link #SUPPORTED} are ordered; the list
     * order is the version order.
     */
    public static boolean atLeast(String version, String minimum) {
        int v = SUPPORTED.indexOf(version);
        int m = SUPPORTED.indexOf(minimum);
        if (v < 0 || m < 0) {
            throw new IllegalArgumentException("unsupported CNI version " + (v < 0 ? version : minimum));
        }
        return v >= m;
    }
}
