package dev.terway.ship;

import java.util.Locale;

/**
 * {@code terway install --portmap}: whether the conflist chains the reference {@code portmap} plugin after
 * cni-terway, which makes Kubernetes {@code hostPort} work (cni-terway itself maps no ports).
 */
public enum PortmapMode {
    /** Chained when an executable {@code portmap} is in the CNI bin dir at install time. */
    AUTO,
    /** Always chained; the container runtime fails every ADD while {@code portmap} is missing. */
    ON,
    /** Never chained. */
    OFF;

    /** The reference plugin's type, which is also its executable's name in the CNI bin dir. */
    public static final String PLUGIN_TYPE = "portmap";

    /** Whether the conflist chains portmap, given whether an executable portmap is in the CNI bin dir. */
    public boolean chains(boolean portmapInstalled) {
        return switch (this) {
            case AUTO -> portmapInstalled;
            case ON -> true;
            case OFF -> false;
        };
    }

    /** {@code auto}, {@code on} or {@code off}, as the option takes it. */
    public static PortmapMode parse(String text) {
        for (PortmapMode mode : values()) {
            if (mode.toString().equals(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("expected auto, on or off, got '" + text + "'");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
