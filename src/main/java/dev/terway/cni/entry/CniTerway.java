package dev.terway.cni.entry;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.CniVersion;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.daemon.DaemonProtocol;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * `cni-terway`, the executable the container runtime runs: environment and stdin in, a result or an error
 * on stdout, the exit code. Everything it does before the daemon answers uses java.base only.
 */
public final class CniTerway {

    private CniTerway() {
    }

    public static void main(String[] args) {
        Map<String, String> env = new HashMap<>(System.getenv());
        for (String arg : args) {
            if (arg.equals("--dry-run")) {
                env.put(CniInvocation.TERWAY_DRY_RUN, "1");
            } else {
                System.err.println("cni-terway: unknown argument " + arg
                        + " (the only option is --dry-run; CNI parameters come from the environment)");
                System.exit(2);
            }
        }
        String command = env.getOrDefault(CniInvocation.CNI_COMMAND, "");
        if (command.isEmpty()) {
            System.err.println("cni-terway: terway CNI plugin; CNI protocol versions supported: "
                    + String.join(", ", CniVersion.SUPPORTED));
        }
        CniReply reply;
        String stdin;
        try {
            // VERSION takes no input; a terminal on stdin must not make it wait.
            boolean readStdin = !command.equals("VERSION") || System.console() == null;
            stdin = readStdin ? readStdin(System.in) : "";
            CniInvocation inv = new CniInvocation(env, stdin);
            reply = new CniEntry(new LazyTransport(), CniEntry.reflectiveLoader(), System.err).run(inv);
        } catch (CharacterCodingException e) {
            reply = command.equals("VERSION")
                    ? InvocationValidator.version(new CniInvocation(env, ""))
                    : CniReply.error(CniVersion.LATEST, CniErrorCode.DECODING_FAILURE,
                            "failed to decode the network configuration on stdin: it is not valid UTF-8", "");
        } catch (StdinTooLargeException e) {
            reply = CniReply.error(CniVersion.LATEST, CniErrorCode.INVALID_NETWORK_CONFIG, e.getMessage(), "");
        } catch (IOException e) {
            reply = CniReply.error(CniVersion.LATEST, CniErrorCode.IO_FAILURE,
                    "failed to read the network configuration from stdin: " + e.getMessage(), "");
        }
        try {
            FileOutputStream out = new FileOutputStream(FileDescriptor.out);
            out.write(reply.stdout().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            System.err.println("cni-terway: cannot write the result to stdout: " + e.getMessage());
            System.exit(1);
        }
        System.exit(reply.exitCode());
    }

    /**
     * The C transport when its library loads (it halves the client's CPU time), else java.nio's; either waits
     * the protocol's exchange timeout for the daemon.
     */
    static DaemonTransport transport() {
        DaemonTransport fast = NativeSocketTransport.loadOrNull((int) DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS);
        return fast != null ? fast : new UnixSocketTransport(DaemonProtocol.EXCHANGE_TIMEOUT_MILLIS);
    }

    /** All of stdin as strict UTF-8, refusing more than the configuration limit allows. */
    static String readStdin(InputStream in) throws IOException {
        int limit = InvocationValidator.MAX_CONFIG_CHARS * 4;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[16384];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (bytes.size() + n > limit) {
                throw new StdinTooLargeException("network configuration on stdin is larger than " + limit
                        + " bytes");
            }
            bytes.write(buffer, 0, n);
        }
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes.toByteArray()));
        return chars.toString();
    }

    /** Loads the transport at the first exchange, so VERSION and invalid input never load a library. */
    public static final class LazyTransport implements DaemonTransport {
        private DaemonTransport transport;

        public LazyTransport() {
        }

        @Override
        public CniReply exchange(java.nio.file.Path socket, String requestJson) throws IOException {
            if (transport == null) {
                transport = transport();
            }
            return transport.exchange(socket, requestJson);
        }
    }

    static final class StdinTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        StdinTooLargeException(String message) {
            super(message);
        }
    }
}
