package dev.terway.cli;

import dev.terway.cli.dhcp.SocketOption;
import dev.terway.cni.spec.CniVersion;
import dev.terway.migration.BridgeMigration;
import dev.terway.ship.InstallExecutor;
import dev.terway.ship.InstallPlan;
import dev.terway.ship.InstallPlanner;
import dev.terway.ship.InstallTarget;
import dev.terway.ship.InstalledState;
import dev.terway.ship.NetworkSettings;
import dev.terway.ship.PortmapMode;
import dev.terway.ship.RuntimeImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code terway install}: puts the plugin, its self-contained runtime and the network config on a node. */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Copies the self-contained terway runtime (jlink-ed Java, application, class-data archive)"
                + " to <cni-bin-dir>/terway-runtime/<id>/, the cni-terway launcher to <cni-bin-dir>, and writes"
                + " <cni-conf-dir>/10-terway.conflist, each atomically (temporary name, then rename).",
                "A re-install with a new runtime switches the launcher in one rename; the runtime it replaced is"
                        + " kept until the next install, so plugin calls running during the upgrade complete."})
public final class InstallCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--cni-bin-dir", paramLabel = "DIR", defaultValue = InstallTarget.DEFAULT_CNI_BIN_DIR,
            description = "Where the container runtime looks for CNI plugins (default: ${DEFAULT-VALUE}).")
    private Path cniBinDir;

    @Option(names = "--cni-conf-dir", paramLabel = "DIR", defaultValue = InstallTarget.DEFAULT_CNI_CONF_DIR,
            description = "Where the container runtime reads network configurations (default: ${DEFAULT-VALUE}).")
    private Path cniConfDir;

    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = BridgeMigration.DEFAULT_BRIDGE,
            description = "The bridge `terway setup` made, which pods join (default: ${DEFAULT-VALUE}).")
    private String bridge;

    @Option(names = "--service-cidr", paramLabel = "CIDR", split = ",",
            description = "The cluster's service network, e.g. 10.96.0.0/12, routed via the node's bridge address of"
                    + " its family; a dual-stack cluster gives one per family (repeated, or"
                    + " 10.96.0.0/12,fd00:96::/108); empty or absent: none.")
    private List<String> serviceCidrs = new ArrayList<>();

    @Option(names = "--ipv6-mode", paramLabel = "MODE",
            description = "How pods get IPv6 from the LAN, written to the conflist as \"ipv6\": {\"mode\": …}: auto"
                    + " (SLAAC and DHCPv6, whatever arrives; IPv4-only when nothing does), slaac, dhcpv6 or off;"
                    + " absent: not written, the plugin's default (auto).")
    private String ipv6Mode;

    @Option(names = "--dhcp-socket", paramLabel = "PATH", defaultValue = SocketOption.DEFAULT,
            description = "The terway daemon's socket the plugin talks to (default: ${DEFAULT-VALUE}).")
    private Path dhcpSocket;

    @Option(names = "--network-name", paramLabel = "NAME", defaultValue = NetworkSettings.DEFAULT_NAME,
            description = "The network's name in the conflist (default: ${DEFAULT-VALUE}).")
    private String networkName;

    @Option(names = "--cni-version", paramLabel = "V", defaultValue = NetworkSettings.DEFAULT_CNI_VERSION,
            completionCandidates = SupportedVersions.class,
            description = "The conflist's cniVersion, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE},"
                    + " the newest every maintained container runtime parses; runtimes on libcni 1.1, e.g."
                    + " containerd 1.6/1.7, refuse 1.1.0 results).")
    private String cniVersion;

    @Option(names = "--portmap", paramLabel = "MODE", defaultValue = "auto", converter = PortmapConverter.class,
            completionCandidates = PortmapModes.class,
            description = "Chain the reference portmap plugin after cni-terway, for Kubernetes hostPort: auto (when"
                    + " an executable portmap is in the CNI bin dir at install time), on or off"
                    + " (default: ${DEFAULT-VALUE}).")
    private PortmapMode portmap;

    @Option(names = "--runtime", paramLabel = "DIR",
            description = "The runtime to install (default: the runtime this terway runs from, e.g. /opt/terway in"
                    + " the image; from a source checkout's bin/terway, its target/terway-runtime, which `mvn package`"
                    + " builds).")
    private Path runtime;

    @Option(names = "--force", description = "Replace a cni-terway in the CNI bin dir that install did not write.")
    private boolean force;

    @Option(names = "--dry-run", description = "Print the plan as a shell script and change nothing.")
    private boolean dryRun;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!dhcpSocket.isAbsolute()) {
            throw new ParameterException(spec.commandLine(), "--dhcp-socket must be an absolute path, got "
                    + dhcpSocket);
        }
        if (!CniVersion.isSupported(cniVersion)) {
            throw new ParameterException(spec.commandLine(), "--cni-version must be one cni-terway supports ("
                    + String.join(", ", CniVersion.SUPPORTED) + "), got '" + cniVersion + "'");
        }
        RuntimeImage image = RuntimeImage.read(runtimeRoot());
        InstallTarget target = new InstallTarget(cniBinDir, cniConfDir);
        List<String> services = serviceCidrs.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        Path portmapFile = target.cniBinDir().resolve(PortmapMode.PLUGIN_TYPE);
        // Followed if a symlink: distributions link the reference plugins into the CNI bin dir.
        boolean portmapInstalled = Files.isRegularFile(portmapFile) && Files.isExecutable(portmapFile);
        boolean chainPortmap = portmap.chains(portmapInstalled);
        String conflist = new NetworkSettings(networkName, bridge, services, dhcpSocket, cniVersion, chainPortmap,
                Optional.ofNullable(ipv6Mode)).conflist();
        if (!portmapInstalled && portmap == PortmapMode.AUTO) {
            err.println("terway: no executable " + portmapFile + ", so the conflist does not chain portmap and"
                    + " hostPort does not work; install the CNI reference plugins there and install again,"
                    + " or pass --portmap on");
        } else if (!portmapInstalled && portmap == PortmapMode.ON) {
            err.println("terway: warning: --portmap on, but there is no executable " + portmapFile + ": the"
                    + " container runtime fails every pod's ADD until there is");
        }
        err.flush();
        InstallPlan plan = InstallPlanner.install(InstalledState.read(target), image, target, conflist, force);
        if (dryRun) {
            out.print(plan.render());
        } else if (plan.isEmpty()) {
            out.println("nothing to do: runtime " + image.id() + " and the network configuration are installed");
        } else {
            new InstallExecutor(step -> {
                out.println(step);
                out.flush();
            }).run(plan);
            out.println("installed runtime " + image.id() + ": " + target.launcher() + ", " + target.conflist());
        }
        out.flush();
        return 0;
    }

    private Path runtimeRoot() {
        if (runtime != null) {
            return runtime;
        }
        Optional<String> checkout = Optional.ofNullable(System.getProperty(RuntimeImage.CHECKOUT_PROPERTY))
                .filter(c -> !c.isBlank());
        return RuntimeImage.defaultRoot(Optional.ofNullable(System.getProperty(RuntimeImage.SELF_PROPERTY)), checkout)
                .orElseThrow(() -> new ParameterException(spec.commandLine(), checkout
                        .map(dir -> "this terway runs from the source checkout " + dir + ", which has no built"
                                + " runtime (" + Path.of(dir).resolve(RuntimeImage.CHECKOUT_RUNTIME) + "): run"
                                + " `mvn package` there, or pass --runtime DIR")
                        .orElse("this terway does not run from a terway runtime; pass --runtime DIR (after"
                                + " `mvn package`: target/terway-runtime)")));
    }

    /** --portmap's values as written on the command line: auto, on, off. */
    static final class PortmapConverter implements ITypeConverter<PortmapMode> {
        @Override
        public PortmapMode convert(String value) {
            try {
                return PortmapMode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The values --portmap accepts, for completion. */
    static final class PortmapModes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return java.util.Arrays.stream(PortmapMode.values()).map(PortmapMode::toString).iterator();
        }
    }

    /** The versions --cni-version accepts, for its help text. */
    static final class SupportedVersions implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return CniVersion.SUPPORTED.iterator();
        }
    }
}
