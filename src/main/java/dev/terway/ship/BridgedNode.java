package dev.terway.ship;

import dev.terway.migration.MigrationException;
import dev.terway.migration.SetupRecordStore;
import dev.terway.migration.StateDirectory;
import dev.terway.plan.ShellQuote;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A node that terway still bridges: `terway setup` left its record in {@code stateDir} and no `terway
 * teardown` has removed it yet. Uninstall must not take away the runtime that teardown runs from.
 *
 * @param stateDir where the setup record is (teardown needs the same --state-dir)
 * @param what     what the record says, e.g. "eth0 is bridged into mybr0 (record /var/lib/terway/setup.json)",
 *                 or why it could not be read
 */
public record BridgedNode(Path stateDir, String what) {

    /** The node's bridge as the setup record in {@code stateDir} tells it; empty when there is no record. */
    public static Optional<BridgedNode> read(Path stateDir) {
        SetupRecordStore store = new StateDirectory(stateDir).records();
        try {
            return store.load().map(r -> new BridgedNode(stateDir, r.iface() + " is bridged into " + r.bridge()
                    + " (record " + store.file() + ")"));
        } catch (MigrationException e) {
            // A record that is there but unreadable still says setup ran: treat the node as bridged.
            return Optional.of(new BridgedNode(stateDir, e.getMessage()));
        }
    }

    /** The teardown command line for this node, run by {@code terway} (a path or the plain name). */
    String teardown(String terway) {
        return terway + " teardown" + (stateDir.equals(Path.of(StateDirectory.DEFAULT_PATH)) ? ""
                : " --state-dir " + ShellQuote.quote(stateDir.toString()));
    }
}
