package dev.terway.cni.pod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Which network namespace a path names: the device and inode that stat(2) reports for it after following
 * links. Every way of naming one namespace — {@code /proc/<pid>/ns/net} of any process in it,
 * {@code /proc/self/ns/net}, a bind mount of either ({@code /run/netns/…}), a symbolic link to any of
 * those — gives the same pair, and two namespaces never share one while both exist (the kernel's
 * {@code ns_get_path}/{@code setns} rely on the same identity). Paths differ, identities do not: compare
 * these, never paths. java.base only: the thin client `cni-terway` uses it.
 */
public record NetnsIdentity(long dev, long ino) {

    /** The namespace of the process that reads it (its main thread's). */
    public static final Path OWN = Path.of("/proc/self/ns/net");

    /** The identity of what {@code path} names; empty when it cannot be stat-ed (missing, no permission). */
    public static Optional<NetnsIdentity> of(Path path) {
        try {
            Map<String, Object> attrs = Files.readAttributes(path, "unix:dev,ino");
            if (attrs.get("dev") instanceof Long dev && attrs.get("ino") instanceof Long ino) {
                return Optional.of(new NetnsIdentity(dev, ino));
            }
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The namespace this process runs in, read now; empty without /proc. */
    public static Optional<NetnsIdentity> own() {
        return of(OWN);
    }

    /**
     * Whether both name the same namespace. The same as {@code equals}, without the record's generated
     * {@code equals}, which the thin client would pay for with the start of java.lang.invoke.
     */
    public boolean sameAs(NetnsIdentity other) {
        return dev == other.dev && ino == other.ino;
    }

    /** As the kernel writes namespace links, {@code net:[<inode>]}, with the nsfs device. */
    @Override
    public String toString() {
        return "net:[" + ino + "] on device " + dev;
    }
}
