package dev.terway.cni.pod;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The network namespaces that are the node's own, which no pod may be given as CNI_NETNS. A pod's end of
 * the veth pair, its address and its default route would land in the node itself: ADD would replace the
 * node's default route by one through the "pod" interface, and DEL, deleting that interface, would leave
 * the node without any. {@link NetnsProbe} tells whether a path is a network namespace; this tells whether
 * it is one a pod may have, by {@link NetnsIdentity} (device and inode), never by path: {@code /proc/1/ns/net},
 * {@code /proc/self/ns/net}, {@code /proc/<any pid in it>/ns/net}, a bind mount or a symbolic link all name
 * the same namespace.
 *
 * <p>Which namespaces are the node's depends on who asks: `cni-terway` knows the one it runs in (the
 * runtime's, the host's); the daemon knows its own and the one `terway setup` bridged (from the setup
 * record). java.base only and no lambdas, so that the thin client's start stays cheap.
 */
public final class NodeNamespaces {

    /** One of the node's namespaces, and what it is, for the error message. */
    public record Known(NetnsIdentity identity, String what) {
    }

    /** Where the known namespaces come from; asked at every check, so it may follow a changing record. */
    @FunctionalInterface
    public interface Source {
        List<Known> known();
    }

    /** Knows no namespace: refuses nothing (for tests whose "namespaces" are plain files). */
    public static final NodeNamespaces NONE = fixed(List.of());

    private final Source source;

    private NodeNamespaces(Source source) {
        this.source = source;
    }

    public static NodeNamespaces of(Source source) {
        return new NodeNamespaces(source);
    }

    /** Exactly {@code known}. */
    public static NodeNamespaces fixed(List<Known> known) {
        return new NodeNamespaces(new Fixed(List.copyOf(known)));
    }

    /**
     * The namespace this process runs in, read now ({@code what} says whose it is). Empty without /proc,
     * where nothing can be compared either.
     */
    public static NodeNamespaces own(String what) {
        Optional<NetnsIdentity> own = NetnsIdentity.own();
        return fixed(own.isPresent() ? List.of(new Known(own.get(), what)) : List.of());
    }

    /** The namespaces known now. */
    public List<Known> known() {
        return source.known();
    }

    /**
     * Why {@code netns} must not be a pod's namespace (it is one of the node's), or empty. A path that cannot
     * be inspected is not judged here: the other checks of CNI_NETNS report it, and DEL must go on.
     */
    public Optional<String> problem(String netns) {
        List<Known> nodes = source.known();
        if (nodes.isEmpty() || netns.isEmpty()) {
            return Optional.empty();
        }
        Optional<NetnsIdentity> identity;
        try {
            identity = NetnsIdentity.of(Path.of(netns));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        if (identity.isEmpty()) {
            return Optional.empty();
        }
        for (Known node : nodes) {
            if (node.identity().sameAs(identity.get())) {
                return Optional.of("it is the node's own network namespace (" + node.what() + ", "
                        + identity.get() + "), not a pod's: terway would put the pod's interface, address and"
                        + " default route into the node itself");
            }
        }
        return Optional.empty();
    }

    private static final class Fixed implements Source {
        private final List<Known> known;

        Fixed(List<Known> known) {
            this.known = known;
        }

        @Override
        public List<Known> known() {
            return known;
        }
    }
}
