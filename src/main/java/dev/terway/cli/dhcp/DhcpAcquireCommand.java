package dev.terway.cli.dhcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.cli.DurationConverter;
import dev.terway.daemon.DaemonProtocol;
import dev.terway.dhcp.client.AddressChangePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "acquire", mixinStandardHelpOptions = true,
        description = "Asks the daemon for a lease for a pod interface and prints it as JSON.")
public final class DhcpAcquireCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    SocketOption socket;

    @Option(names = "--netns", required = true, paramLabel = "PATH", description = "The pod's network namespace.")
    Path netns;

    @Option(names = "--ifname", required = true, paramLabel = "IF", description = "The interface inside the pod.")
    String ifname;

    @Option(names = "--container-id", required = true, paramLabel = "ID")
    String containerId;

    /** A pod named on the command line. */
    record PodRef(String namespace, String name) {
    }

    /** {@code NAMESPACE/NAME}, both non-empty, exactly one slash. */
    static final class PodRefConverter implements ITypeConverter<PodRef> {
        @Override
        public PodRef convert(String value) {
            int slash = value.indexOf('/');
            if (slash <= 0 || slash == value.length() - 1 || value.indexOf('/', slash + 1) >= 0) {
                throw new TypeConversionException("--pod must be NAMESPACE/NAME, got '" + value + "'");
            }
            return new PodRef(value.substring(0, slash), value.substring(slash + 1));
        }
    }

    @Option(names = "--pod", paramLabel = "NAMESPACE/NAME", converter = PodRefConverter.class,
            description = "The pod: gives a stable client id and the host name.")
    PodRef pod;

    @Option(names = "--requested-address", paramLabel = "A.B.C.D", description = "Address to ask for.")
    String requestedAddress;

    @Option(names = "--client-id", paramLabel = "TEXT", description = "Overrides the client identifier.")
    String clientId;

    @Option(names = "--hostname", paramLabel = "NAME", description = "Overrides the host name sent.")
    String hostname;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait for a lease (default: the daemon's --timeout).")
    Duration timeout;

    @Option(names = "--on-address-change", paramLabel = "POLICY",
            description = "When the lease is lost later and the server grants another address: follow (take it,"
                    + " report it; the default) or remove (release it, leave the interface without an address).")
    String onAddressChange;

    @Override
    public Integer call() throws Exception {
        ObjectNode request = DaemonCall.JSON.createObjectNode();
        request.put("op", "acquire");
        request.put("containerId", containerId);
        request.put("netns", netns.toAbsolutePath().toString());
        request.put("ifname", ifname);
        if (pod != null) {
            request.put("podNamespace", pod.namespace());
            request.put("podName", pod.name());
        }
        if (requestedAddress != null) {
            request.put("requestedAddress", requestedAddress);
        }
        if (clientId != null) {
            request.put("clientId", clientId);
        }
        if (hostname != null) {
            request.put("hostname", hostname);
        }
        if (onAddressChange != null) {
            if (AddressChangePolicy.parse(onAddressChange).isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--on-address-change must be follow or remove");
            }
            request.put("onAddressChange", onAddressChange);
        }
        if (timeout != null) {
            if (timeout.isZero()) {
                throw new ParameterException(spec.commandLine(), "--timeout must be more than 0");
            }
            request.put("timeoutMs", timeout.toMillis());
        }
        // An acquire that asks for its own timeout gets the exchange timeout on top (docs/protocol.md).
        Duration wait = Duration.ofMillis(DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS);
        spec.commandLine().getOut().println(DaemonCall.pretty(DaemonCall.call(socket.socket(), request,
                "acquire a lease for " + ifname + " of container " + containerId,
                timeout == null ? wait : wait.plus(timeout))));
        return 0;
    }
}
