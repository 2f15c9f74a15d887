package dev.terway.cni.handler;

import java.nio.charset.StandardCharsets;
import java.io.PrintWriter;
import dev.terway.log.DaemonLog;
import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.entry.CniEntry;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.ipam.PendingReleases;
import dev.terway.cni.ipam.QueuedReleaseGateway;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniExecutor;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.plan.ExecCommandRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The verbs run inside `cni-terway` itself, when the daemon is unreachable (DEL) or for a dry run. Loaded
 * by name from {@link CniEntry}, so the forwarding path never loads these classes. Lease releases are
 * queued beside the configured daemon socket for the daemon to carry out when it is back; DEL removes the
 * attachment record kept there too.
 */
public final class LocalCniExecutor implements CniExecutor {

    /**
     * Entry for {@link CniEntry} when it loads this class in a class loader of its own: only java.base
     * types cross, the reply comes back as {exit code, stdout}.
     */
    public static String[] run(Map<String, String> env, String stdin) {
        CniReply reply = new LocalCniExecutor().execute(new CniInvocation(env, stdin));
        return new String[] {Integer.toString(reply.exitCode()), reply.stdout()};
    }

    @Override
    public CniReply execute(CniInvocation invocation) {
        Path socket;
        try {
            socket = CniEntry.daemonSocket(InvocationValidator.parseConfig(invocation.stdin()));
        } catch (CniException e) {
            return e.toReply(InvocationValidator.errorVersion(invocation));
        }
        CniService service = new CniService(ExecCommandRunner.registeredOnly(Duration.ofSeconds(30)),
                new QueuedReleaseGateway(PendingReleases.besideSocket(socket)), DelegatedIpam.processes(),
                Clock.systemUTC(),
                new DaemonLog(new PrintWriter(System.err, true, StandardCharsets.UTF_8), Clock.systemUTC()),
                () -> { },
                AttachmentRecords.besideSocket(socket));
        CniReply reply = service.execute(invocation);
        if (reply.exitCode() != 0 && reply.stdout().isEmpty()) {
            return CniReply.error(InvocationValidator.errorVersion(invocation), CniErrorCode.INTERNAL,
                    "in-process run failed without a result", "");
        }
        return reply;
    }
}
