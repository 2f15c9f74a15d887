package dev.terway.jni;

import dev.terway.netstate.IpJson;
import dev.terway.netstate.Link;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ExecCommandRunner;
import dev.terway.plan.ShellQuote;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Throwaway network namespaces for one test, all named with a run-unique prefix. Every command runs
 * inside one of them (`ip -n NS ...`), so nothing here touches the root namespace; closing deletes
 * every namespace made, which also deletes the veths and bridges inside them.
 */
final class TestNamespaces implements AutoCloseable {

    private static final CommandRunner RUNNER = new ExecCommandRunner(Duration.ofSeconds(20));

    private final String prefix;
    private final List<String> made = new ArrayList<>();

    /** @param prefix at most 10 characters, so that prefix + a few characters is a valid ifname */
    TestNamespaces(String prefix) {
        if (prefix.length() > 10) {
            throw new IllegalArgumentException("prefix too long for interface names: " + prefix);
        }
        this.prefix = prefix;
    }

    /** A name unique to this run: prefix + suffix (also usable as an interface name when short). */
    String name(String suffix) {
        return prefix + suffix;
    }

    /** Creates namespace prefix+suffix and returns its name. */
    String add(String suffix) {
        String ns = name(suffix);
        run(List.of("ip", "netns", "add", ns));
        made.add(ns);
        return ns;
    }

    static Path path(String ns) {
        return Path.of("/var/run/netns", ns);
    }

    /** Runs `ip -n NS args...` and fails the test with the command and its stderr if it fails. */
    String ip(String ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", ns));
        argv.addAll(List.of(args));
        return run(argv).stdout();
    }

    /**
     * A veth pair with one end in each namespace, both up and passing traffic; addresses are added
     * only when given.
     */
    void veth(String nsA, String ifA, String addrA, String nsB, String ifB, String addrB) {
        ip(nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        up(nsA, ifA, addrA);
        up(nsB, ifB, addrB);
        awaitOperUp(nsA, ifA);
        awaitOperUp(nsB, ifB);
    }

    /**
     * Waits until the kernel reports the link's operstate UP. Until then (up to a second after
     * `link set up`, as the kernel's link watcher batches events) the device still has its no-op
     * queue, which silently drops whatever is sent.
     */
    void awaitOperUp(String ns, String ifname) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String state;
        while (!(state = link(ns, ifname).operstate()).equals("UP")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(ifname + " in " + ns + " is still " + state + " after 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + ifname + " in " + ns);
            }
        }
    }

    void up(String ns, String ifname, String cidrOrNull) {
        if (cidrOrNull != null) {
            ip(ns, "addr", "add", cidrOrNull, "dev", ifname);
        }
        ip(ns, "link", "set", ifname, "up");
    }

    Link link(String ns, String ifname) {
        return IpJson.links(ip(ns, "-j", "link", "show", "dev", ifname)).get(0);
    }

    /** The links of the namespace this JVM runs in (the root one), read without changing anything. */
    static List<Link> rootLinks() {
        return IpJson.links(run(List.of("ip", "-j", "link", "show")).stdout());
    }

    static List<String> netnsNames() {
        String out = run(List.of("ip", "netns", "list")).stdout();
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                names.add(line.strip().split("\\s+")[0]);
            }
        }
        return names;
    }

    @Override
    public void close() {
        List<String> failures = new ArrayList<>();
        for (int i = made.size() - 1; i >= 0; i--) {
            CommandResult r = RUNNER.run(List.of("ip", "netns", "del", made.get(i)));
            if (!r.succeeded()) {
                failures.add(made.get(i) + ": " + r.stderr().strip());
            }
        }
        made.clear();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("could not delete test namespaces: " + failures);
        }
    }

    private static CommandResult run(List<String> argv) {
        CommandResult r = RUNNER.run(argv);
        if (!r.succeeded()) {
            throw new IllegalStateException(ShellQuote.join(argv) + " exited " + r.exitCode() + ": "
                    + r.stderr().strip());
        }
        return r;
    }
}
