package dev.terway.ship;

import java.nio.file.Path;

/**
 * Where `terway install` writes on a node: the runtimes under {@code <cni-bin-dir>/terway-runtime/<id>/},
 * the {@code cni-terway} launcher the container runtime executes, and the network configuration list.
 */
public record InstallTarget(Path cniBinDir, Path cniConfDir) {

    public static final String DEFAULT_CNI_BIN_DIR = "/opt/cni/bin";
    public static final String DEFAULT_CNI_CONF_DIR = "/etc/cni/net.d";
    public static final String LAUNCHER = "cni-terway";
    public static final String RUNTIMES = "terway-runtime";
    /** "10-" sorts before most other plugins' files: runtimes use the first configuration in name order. */
    public static final String CONFLIST = "10-terway.conflist";
    /** Prefix of directories being copied; never a runtime id (ids start with a letter or digit). */
    public static final String STAGING_PREFIX = ".staging-";

    public InstallTarget {
        cniBinDir = cniBinDir.toAbsolutePath().normalize();
        cniConfDir = cniConfDir.toAbsolutePath().normalize();
    }

    public Path launcher() {
        return cniBinDir.resolve(LAUNCHER);
    }

    public Path runtimes() {
        return cniBinDir.resolve(RUNTIMES);
    }

    public Path runtime(String id) {
        return runtimes().resolve(id);
    }

    public Path staging(String id) {
        return runtimes().resolve(STAGING_PREFIX + id);
    }

    public Path conflist() {
        return cniConfDir.resolve(CONFLIST);
    }
}
