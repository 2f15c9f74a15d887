package dev.terway.cni.entry;

import dev.terway.cni.json.JsonText;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniExecutor;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniRequest;
import dev.terway.cni.spec.ConfigFields;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.cni.spec.Verb;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What `cni-terway` does with one invocation: validate it, answer VERSION itself, forward everything else
 * to the warm daemon and relay its answer. When the daemon cannot be reached, only the verbs that must
 * work without it run in this process (DEL, and any dry run); ADD asks the runtime to retry, STATUS
 * reports the plugin unavailable.
 *
 * <p>This class and everything it touches on the forwarding path use java.base only: a JVM that loads
 * nothing else starts several times faster, and the runtime starts this once per pod event.
 */
public final class CniEntry {

    public static final String DEFAULT_SOCKET = DaemonProtocol.DEFAULT_SOCKET;
    /** The in-process executor; named, not referenced, so its classes load only on the fallback path. */
    public static final String LOCAL_EXECUTOR_CLASS = "dev.terway.cni.handler.LocalCniExecutor";

    private final DaemonTransport transport;
    private final LocalExecutorLoader localExecutor;
    private final PrintStream log;
    private final NodeNamespaces nodeNamespaces;

    /** Refuses the namespace this process runs in (the runtime's: the node's) as a pod's. */
    public CniEntry(DaemonTransport transport, LocalExecutorLoader localExecutor, PrintStream log) {
        this(transport, localExecutor, log, null);
    }

    /**
     * @param nodeNamespaces the namespaces no pod may have; null: the one this process runs in, read when an
     *                       invocation names a netns
     */
    public CniEntry(DaemonTransport transport, LocalExecutorLoader localExecutor, PrintStream log,
                    NodeNamespaces nodeNamespaces) {
        this.transport = transport;
        this.localExecutor = localExecutor;
        this.log = log;
        this.nodeNamespaces = nodeNamespaces;
    }

    /**
     * The loader used in production: reflection on {@link #LOCAL_EXECUTOR_CLASS}. When the launcher keeps
     * the libraries off the class path (system property {@code terway.lib} names their directory; listing
     * them costs every start), the executor is loaded in a class loader of its own over terway's code and
     * those libraries, and called through java.base types only.
     */
    public static LocalExecutorLoader reflectiveLoader() {
        return new LocalExecutorLoader() {
            @Override
            public CniExecutor load() throws ReflectiveOperationException {
                String lib = System.getProperty("terway.lib", "");
                if (lib.isEmpty()) {
                    return Class.forName(LOCAL_EXECUTOR_CLASS).asSubclass(CniExecutor.class)
                            .getDeclaredConstructor().newInstance();
                }
                return isolated(Path.of(lib));
            }
        };
    }

    private static CniExecutor isolated(Path lib) throws ReflectiveOperationException {
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(CniEntry.class.getProtectionDomain().getCodeSource().getLocation());
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(lib, "*.jar")) {
                for (Path jar : jars) {
                    urls.add(jar.toUri().toURL());
                }
            }
        } catch (IOException e) {
            throw new ClassNotFoundException("cannot list terway's libraries in " + lib + ": " + e.getMessage(), e);
        }
        URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        final Method run = loader.loadClass(LOCAL_EXECUTOR_CLASS).getMethod("run", Map.class, String.class);
        return new CniExecutor() {
            @Override
            public CniReply execute(CniInvocation inv) {
                try {
                    String[] reply = (String[]) run.invoke(null, inv.env(), inv.stdin());
                    return new CniReply(Integer.parseInt(reply[0]), reply[1]);
                } catch (ReflectiveOperationException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    return CniReply.error(InvocationValidator.errorVersion(inv), CniErrorCode.INTERNAL,
                            "in-process " + inv.env(CniInvocation.CNI_COMMAND) + " failed: " + cause, "");
                }
            }
        };
    }

    public CniReply run(CniInvocation inv) {
        Verb verb;
        try {
            verb = InvocationValidator.verb(inv);
        } catch (CniException e) {
            return e.toReply(InvocationValidator.errorVersion(inv));
        }
        if (verb == Verb.VERSION) {
            return InvocationValidator.version(inv);
        }
        CniRequest request;
        Path socket;
        try {
            request = InvocationValidator.validate(inv);
            socket = daemonSocket(request.config());
        } catch (CniException e) {
            return e.toReply(InvocationValidator.errorVersion(inv));
        }
        CniReply refused = refuseNodeNamespace(request);
        if (refused != null) {
            return refused;
        }
        if (request.dryRun()) {
            // Printing a plan changes nothing, so it need not wait for the daemon.
            return runLocally(request, "dry run");
        }
        try {
            return transport.exchange(socket, requestJson(inv));
        } catch (DaemonUnreachableException e) {
            return whenUnreachable(request, socket, e);
        } catch (IOException e) {
            if (verb == Verb.DEL) {
                // The daemon may or may not have finished; DEL is idempotent, so finish it here.
                log.println("cni-terway: " + e.getMessage() + "; finishing DEL in-process");
                return runLocally(request, "daemon failed during DEL");
            }
            return new CniException(CniErrorCode.IO_FAILURE, "exchange with the terway daemon failed: "
                    + e.getMessage()).toReply(request.cniVersion());
        }
    }

    /**
     * A CNI_NETNS that is the node's own namespace (the one this process, started by the runtime, runs in)
     * never reaches the daemon: ADD and CHECK get an error, DEL succeeds having done nothing, since terway
     * attaches no pod there and so has nothing to clean up. Null: the invocation may go on. The daemon checks
     * again, also against the namespaces it knows of.
     */
    private CniReply refuseNodeNamespace(CniRequest request) {
        Verb verb = request.verb();
        if (verb != Verb.ADD && verb != Verb.CHECK && verb != Verb.DEL) {
            return null;
        }
        NodeNamespaces node = nodeNamespaces != null ? nodeNamespaces
                : NodeNamespaces.own("the namespace the container runtime runs cni-terway in");
        Optional<String> problem = node.problem(request.netns());
        if (problem.isEmpty()) {
            return null;
        }
        String why = "CNI_NETNS " + request.netns() + ": " + problem.get();
        if (verb == Verb.DEL) {
            log.println("cni-terway: DEL of " + request.containerId() + "/" + request.ifname() + " does nothing: "
                    + why);
            return CniReply.empty();
        }
        return CniReply.error(request.cniVersion(), CniErrorCode.INVALID_ENVIRONMENT, "invalid " + why, "");
    }

    private CniReply whenUnreachable(CniRequest request, Path socket, DaemonUnreachableException e) {
        switch (request.verb()) {
            case DEL:
                log.println("cni-terway: " + e.getMessage() + "; running DEL in-process, the lease is released"
                        + " when the daemon is back");
                return runLocally(request, "daemon unreachable");
            case STATUS:
                return CniReply.error(request.cniVersion(), CniErrorCode.PLUGIN_NOT_AVAILABLE,
                        "plugin not available: the terway daemon is not reachable at " + socket,
                        e.getMessage() + "; start it with `terway dhcp daemon`");
            default:
                return CniReply.error(request.cniVersion(), CniErrorCode.TRY_AGAIN_LATER,
                        request.verb() + " needs the terway daemon, which is not reachable at " + socket
                                + "; try again later",
                        e.getMessage() + "; start it with `terway dhcp daemon`");
        }
    }

    private CniReply runLocally(CniRequest request, String why) {
        CniExecutor executor;
        try {
            executor = localExecutor.load();
        } catch (ReflectiveOperationException | LinkageError e) {
            return CniReply.error(request.cniVersion(), CniErrorCode.INTERNAL,
                    "cannot run " + request.verb() + " in-process (" + why + "): terway's classes are not loadable",
                    String.valueOf(e));
        }
        return executor.execute(request.invocation());
    }

    /** The socket named by the configuration's `dhcpSocket`, which must be an absolute path. */
    public static Path daemonSocket(Map<String, Object> config) throws CniException {
        String path = ConfigFields.string(config, "dhcpSocket", "").orElse(DEFAULT_SOCKET);
        if (!path.startsWith("/")) {
            throw ConfigFields.invalidValue("dhcpSocket", path, "must be an absolute path");
        }
        return Path.of(path);
    }

    /** {@code {"op":"cni","env":{…},"stdin":"…"}}: the cni request of docs/protocol.md. */
    public static String requestJson(CniInvocation inv) {
        StringBuilder json = new StringBuilder(inv.stdin().length() + 512);
        json.append("{\"op\":\"cni\",\"env\":");
        JsonText.append(json, inv.env());
        json.append(",\"stdin\":");
        JsonText.append(json, inv.stdin());
        json.append('}');
        return json.toString();
    }
}
