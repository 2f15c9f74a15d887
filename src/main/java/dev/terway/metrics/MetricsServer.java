package dev.terway.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Serves {@code /metrics} of a {@link DaemonMetrics} over HTTP on one address. One small thread answers the
 * scrapes (a Prometheus server scrapes every 15 to 60 s; more scrapers queue), a daemon thread, so that it never
 * keeps the daemon's JVM alive.
 */
public final class MetricsServer implements AutoCloseable {

    /**
     * Scrapes that may wait for the thread; past that the HTTP server's own dispatcher thread answers the next one
     * itself (and accepts nothing meanwhile): a flood of scrapes is slowed down, never queued without bound, and
     * never rejected in a way that would stop the dispatcher.
     */
    private static final int QUEUED_SCRAPES = 16;

    private final HTTPServer server;
    private final MetricsAddress address;

    private MetricsServer(HTTPServer server, MetricsAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Listens on {@code address} now; an address that cannot be bound fails here, naming it. */
    public static MetricsServer start(DaemonMetrics metrics, MetricsAddress address) throws IOException {
        ExecutorService scrapes = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(QUEUED_SCRAPES), r -> {
                    Thread t = new Thread(null, r, "terway-metrics", 256 * 1024);
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(InetAddress.getByName(address.host()))
                    .port(address.port()).registry(metrics.registry()).executorService(scrapes).buildAndStart();
            return new MetricsServer(server, address);
        } catch (IOException | RuntimeException e) {
            scrapes.shutdownNow();
            throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
    }

    public MetricsAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.close();
    }
}
