package dev.terway.cni.pod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Tells whether CNI_NETNS names a network namespace before any plan touches it. The runtimes pass either
 * a bind mount of the namespace ({@code /run/netns/…}, {@code /var/run/netns/…}: a file on nsfs) or a
 * process's namespace link ({@code /proc/<pid>/ns/net}, a magic link reading {@code net:[<inode>]}).
 * Anything else — a regular file, a directory, a device, a relative path or one with {@code ..} — is
 * refused here, so no veth is created for a path `ip` and `nsenter` would then trip over.
 *
 * <p>java.base cannot ask nsfs which kind of namespace a bind mount holds, so a bind-mounted namespace of
 * another kind (mount, uts, …) passes this check; the first `ip link add … netns` then fails (setns gives
 * EINVAL) and the plan undoes itself.
 */
@FunctionalInterface
public interface NetnsProbe {

    /** Why {@code netns} is not a network namespace, or empty when it is one. */
    Optional<String> problem(Path netns);

    /** The real file system. */
    NetnsProbe SYSTEM = NetnsProbe::onFileSystem;

    /** The checks that need no file system: absolute, and nothing like {@code ..} to climb out with. */
    static Optional<String> pathProblem(Path netns) {
        if (!netns.isAbsolute()) {
            return Optional.of("it is not an absolute path");
        }
        if (!netns.normalize().equals(netns) || netns.toString().contains("/./")) {
            return Optional.of("it contains '.' or '..' components");
        }
        return Optional.empty();
    }

    private static Optional<String> onFileSystem(Path netns) {
        Optional<String> pathProblem = pathProblem(netns);
        if (pathProblem.isPresent()) {
            return pathProblem;
        }
        try {
            BasicFileAttributes own = Files.readAttributes(netns, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (own.isSymbolicLink()) {
                String target = Files.readSymbolicLink(netns).toString();
                if (ProcLink.NET.matcher(target).matches()) {
                    return Optional.empty();
                }
                if (ProcLink.ANY_NAMESPACE.matcher(target).matches()) {
                    return Optional.of("it is a " + target.substring(0, target.indexOf(':')) + " namespace, not a network namespace");
                }
            }
            BasicFileAttributes target = Files.readAttributes(netns, BasicFileAttributes.class);
            if (!target.isRegularFile()) {
                return Optional.of("it is " + (target.isDirectory() ? "a directory" : "not a regular file")
                        + ", not a network namespace");
            }
            String store = Files.getFileStore(netns).type();
            if (!"nsfs".equals(store)) {
                // The usual cause on a real node: the runtime bind-mounted the namespace after terway started
                // and the mount did not propagate into terway's mount namespace.
                return Optional.of("it is a file on " + store + ", not a network namespace (nsfs); if the runtime"
                        + " created it, its mount has not reached terway's mount namespace (mount "
                        + netns.getParent() + " into terway with mountPropagation: HostToContainer)");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("it cannot be inspected (" + e + ")");
        }
    }

    /** The text of {@code /proc/<pid>/ns/*} links. */
    final class ProcLink {
        static final Pattern NET = Pattern.compile("net:\\[[0-9]+\\]");
        static final Pattern ANY_NAMESPACE = Pattern.compile("[a-z_]+:\\[[0-9]+\\]");

        private ProcLink() {
        }
    }
}
