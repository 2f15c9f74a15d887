package dev.terway.cni.handler;

import dev.terway.log.LogPod;
import dev.terway.log.EventLog;
import dev.terway.cni.ipam.LeaseGateway;
import dev.terway.cni.ipam.PendingReleases;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The slow half of the daemon's DELs, run after the reply: the deletion of the veth pair, on which the kernel
 * spends 10-40 ms waiting for RCU grace periods while it unregisters the devices, and then the DHCP release
 * (a datagram from the node). kubelet waits for every DEL it starts; the pod is gone for it either
 * way, and the runtime deletes the netns next, which takes the pod end with it.
 *
 * <p>What makes the early reply safe:
 * <ul>
 *   <li>the attachment stays held ({@link Attachments.Permit}) until the tail has run, so an ADD of the same
 *       attachment waits rather than meeting the old veth;</li>
 *   <li>every accepted DEL is recorded in {@code <socket dir>/del-in-progress/} before the reply and the
 *       record is removed only when its tail succeeded; a daemon killed in between finishes the DELs it
 *       finds there at its next start ({@link CniService#finishInterruptedDeletes()});</li>
 *   <li>a daemon that stops on SIGTERM lets running tails finish ({@link #close}).</li>
 * </ul>
 * The in-process fallback of `cni-terway` never defers: its process ends with the reply.
 */
public final class DeferredDeletes implements AutoCloseable {

    public static final String DIR_NAME = "del-in-progress";
    /** Tails are short and mostly wait for the kernel; a few threads keep a burst of DELs moving. */
    static final int THREADS = 4;

    private final PendingReleases inProgress;
    private final ExecutorService tails;

    DeferredDeletes(PendingReleases inProgress, ExecutorService tails) {
        this.inProgress = inProgress;
        this.tails = tails;
    }

    /** The daemon's: records beside {@code socket}, a small pool of daemon threads that retire when idle. */
    public static DeferredDeletes besideSocket(Path socket) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 5, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(null, r, "terway-del-" + n.incrementAndGet(), 256 * 1024);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return new DeferredDeletes(new PendingReleases(socket.toAbsolutePath().getParent().resolve(DIR_NAME)), pool);
    }

    /**
     * Records the DEL and starts its tail, which closes {@code permit} when done. Returns false, with nothing
     * recorded or started, when the DEL cannot be deferred (the record cannot be written, or the daemon is
     * stopping): the caller then runs the tail itself.
     */
    boolean defer(String containerId, String ifname, LogPod pod, Attachments.Permit permit, Tail tail, EventLog log) {
        LeaseGateway.Attachment attachment = new LeaseGateway.Attachment(containerId, ifname);
        String name = containerId + "/" + ifname;
        try {
            inProgress.mark(containerId, ifname);
        } catch (UncheckedIOException e) {
            log.warn("cni.del_not_deferred", pod, "DEL " + name + " runs before the reply: "
                    + e.getMessage());
            return false;
        }
        long accepted = System.nanoTime();
        try {
            tails.execute(() -> {
                try (permit) {
                    String outcome = tail.run();
                    inProgress.done(attachment);
                    long millis = (System.nanoTime() - accepted) / 1_000_000;
                    log.info("cni.del_finished", pod, "DEL " + name + " finished " + millis
                            + " ms after the reply: " + outcome, "ms", Long.toString(millis));
                } catch (Exception e) {
                    // The record stays: the next daemon start runs this DEL again (DEL is idempotent).
                    log.error("cni.del_unfinished", pod, "DEL " + name + " could not finish"
                            + " after the reply; retried at the next daemon start: " + e.getMessage());
                }
            });
            return true;
        } catch (RejectedExecutionException stopping) {
            inProgress.done(attachment);
            return false;
        }
    }

    /** DELs that were accepted but whose tail never finished (the daemon died first). */
    List<LeaseGateway.Attachment> unfinished(Consumer<String> warn) {
        return inProgress.pending(warn);
    }

    void finished(LeaseGateway.Attachment attachment) {
        inProgress.done(attachment);
    }

    /** Lets the tails already accepted run to their end (at most {@code wait}); no new ones are taken. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    public boolean close(Duration wait) {
        tails.shutdown();
        try {
            return tails.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The part of a DEL that may run after the reply; returns what it did, for the log. */
    @FunctionalInterface
    interface Tail {
        String run() throws Exception;
    }
}
