package dev.terway.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A full and then read-only state directory: the daemon's state dir is a 16 KiB tmpfs mounted in a
 * private mount namespace (the machine's mounts are untouched), filled by pods' leases, then remounted
 * read-only. Errors are clear, pods keep their leases, and what was persisted stays intact.
 */
class StateDirFaultsIT {

    @Test
    void aFullThenReadOnlyStateDirectoryCorruptsNothing() {
        assumeTrue(NetnsLab.isRoot(), "needs root (namespaces, mounts)");
        try (NetnsLab lab = NetnsLab.create(); FaultNode node = new FaultNode(lab, "n1")) {
            lab.startDhcpServer();
            node.setup();
            String state = node.stateDir().toString();
            FaultNode.check("mkdir", "-p", state);
            // unshare: a mount namespace of its own (slave: pod namespaces mounted later still show up in it,
            // its own mounts go nowhere); the tmpfs exists only there.
            node.startDaemon(Map.of(), List.of("unshare", "--mount", "--propagation", "slave", "sh", "-c",
                    "mount -t tmpfs -o size=16k,mode=0700 terway-test \"$0\" && exec \"$@\"", state));
            String pid = Long.toString(node.daemonPid());

            Map<String, String> pods = new LinkedHashMap<>();
            // until both the lease store and the audit log have hit the full disk (which comes first depends
            // on how many bytes an ADD appends to each)
            for (int i = 0; i < 10 && !(node.log().contains("could not save the lease")
                    && node.log().contains("cannot write the audit log")); i++) {
                String id = "s" + i;
                pods.put(id, node.newPod(id));
                FaultNode.Result add = node.cni("ADD", id, pods.get(id));
                assertEquals(0, add.exit(), add::describe); // the lease is held even when it cannot be stored
            }
            String log = node.log();
            assertTrue(log.lines().anyMatch(l -> l.contains("could not save the lease")
                    && l.contains("No space left on device")), "a clear error when the disk is full:\n" + log);
            assertTrue(log.contains("cannot write the audit log"), "the audit log's failure is reported:\n" + log);
            assertEquals(pods.size(), node.leases().size(), "every pod holds its lease");
            Map<String, String> stored = storedFiles(pid, state);
            assertTrue(!stored.isEmpty() && stored.size() < pods.size(), "some stored, not all: " + stored.keySet());
            stored.forEach((name, text) -> assertIntactLease(name, text));

            CommandResult ro = FaultNode.run("nsenter", "-t", pid, "-m", "mount", "-o", "remount,ro", state);
            assertEquals(0, ro.exitCode(), ro.stderr());
            int warningsBefore = countSaveFailures(node.log(), "Read-only file system");
            // renewals at T1 (10 s) try to store the extended leases
            assertTrue(FaultNode.eventually(40, () -> countSaveFailures(node.log(), "Read-only file system")
                    > warningsBefore), "renewal on a read-only state dir is reported:\n" + node.log());
            assertEquals(stored, storedFiles(pid, state), "nothing already persisted changed");
            assertTrue(node.log().contains("renewed"), "renewals themselves go on");

            for (Map.Entry<String, String> pod : pods.entrySet()) {
                FaultNode.Result del = node.cni("DEL", pod.getKey(), pod.getValue());
                assertEquals(0, del.exit(), del::describe);
            }
            assertTrue(FaultNode.eventually(5, () -> node.leases().isEmpty()),
                    "every lease released despite the read-only directory");
            assertTrue(node.log().contains("could not delete the stored lease"), node.log());
            assertEquals(stored, storedFiles(pid, state), "the read-only files are as they were");
        }
    }

    private static int countSaveFailures(String log, String cause) {
        return (int) log.lines().filter(l -> l.contains("could not save the lease") && l.contains(cause)).count();
    }

    /** File name → contents of everything in the daemon's lease directory, seen from its mount namespace. */
    private static Map<String, String> storedFiles(String pid, String state) {
        String dir = state + "/leases";
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : FaultNode.check("nsenter", "-t", pid, "-m", "ls", "-A", dir).lines().toList()) {
            out.put(name, FaultNode.check("nsenter", "-t", pid, "-m", "cat", dir + "/" + name));
        }
        return out;
    }

    private static void assertIntactLease(String name, String text) {
        assertTrue(name.endsWith(".json"), "only lease files, no temp file left: " + name);
        try {
            JsonNode lease = FaultNode.JSON.readTree(text);
            assertTrue(lease.path("containerId").isTextual() && lease.path("address").isTextual(), text);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt lease file " + name + ": " + text, e);
        }
    }
}
