package dev.terway.migration;

import dev.terway.log.LogLevel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.terway.plan.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import dev.terway.plan.FaultInjection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 4, under `terway run`: the daemon's watch re-creates a deleted bridge from the record, and
 * never sets up a node whose bridge is missing for another reason (a teardown above all).
 */
class BridgeWatchTest {

    private static final GatewayProbe.Result ANSWERED = new GatewayProbe.Result(true, "answered ping", Duration.ZERO);
    private static final GatewayProbe.Result SILENT = new GatewayProbe.Result(false, "no ping reply",
            Duration.ofSeconds(5));
    private static final List<String> LOOK = List.of("ip", "-j", "link", "show", "dev", "mybr0");

    @TempDir
    Path dir;

    private final FakeTime time = new FakeTime();
    private final GatewayProbe probe = mock(GatewayProbe.class);
    private final List<String> info = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<List<String>> changes = new ArrayList<>();

    /** A host in the state of {@code fixture}, whose bridge exists when the fixture has it. */
    private BridgeWatch watch(String fixture) {
        Fixture f = Fixture.of(fixture);
        boolean bridge = f.state().link("mybr0").isPresent();
        Host host = new Host(argv -> {
            if (argv.equals(LOOK)) {
                return bridge ? new CommandResult(argv, 0, "[{}]", "", Duration.ZERO)
                        : new CommandResult(argv, 1, "", "Device \"mybr0\" does not exist.\n", Duration.ZERO);
            }
            if (!Fixture.isRead(argv) && !argv.get(0).equals("ping")) {
                changes.add(argv);
            }
            return f.answer(argv);
        }, time, time);
        BridgeSetup.Request request = new BridgeSetup.Request(Optional.empty(), "mybr0", dir, false,
                Duration.ofSeconds(5), FaultInjection.NONE);
        return new BridgeWatch(host, new BridgeSetup(host, probe), request,
                e -> (e.level() == LogLevel.INFO ? info : warnings).add(e.message()));
    }

    private void recordSetup() throws MigrationException {
        new SetupRecordStore(dir.resolve("setup.json")).save(BridgeMigrationTest.staticRoutesRecord());
    }

    @Test
    void aBridgeThatIsThereIsLeftAlone() throws Exception {
        recordSetup();
        assertEquals(BridgeWatch.Outcome.PRESENT, watch("migrated").check());
        assertEquals(List.of(), changes);
        assertEquals(List.of(), warnings);
    }

    @Test
    void aDeletedBridgeIsRecreatedFromTheRecord() throws Exception {
        recordSetup();
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        assertEquals(BridgeWatch.Outcome.REPAIRED, watch("bridge-deleted").check());
        assertEquals(BridgeRepairTest.repair().plan().steps().stream().map(dev.terway.plan.Step::argv).toList(),
                changes);
        assertTrue(info.stream().anyMatch(l -> l.startsWith("re-created bridge mybr0 on eth0 from the setup record: 15"
                + " steps in ")), info.toString());
        assertTrue(Files.readString(dir.resolve("audit.log")).contains("\"link\",\"add\",\"mybr0\""),
                "the repair is audited");
        assertEquals(List.of(), warnings);
    }

    @Test
    void aFailedRepairIsRolledBackReportedAndTriedAgain() throws Exception {
        recordSetup();
        when(probe.probe(any(), any(), any())).thenReturn(SILENT);
        BridgeWatch watch = watch("bridge-deleted");
        assertEquals(BridgeWatch.Outcome.FAILED, watch.check());
        assertEquals(List.of("ip", "link", "del", "dev", "mybr0"), changes.get(changes.size() - 1), "rolled back");
        assertTrue(warnings.get(0).startsWith("bridge mybr0 is missing and could not be re-created: repair of mybr0"
                + " on eth0 failed: gateway 10.99.0.1 did not answer"), warnings.toString());
        assertTrue(warnings.get(0).endsWith("; trying again at the next check"), warnings.toString());
        changes.clear();
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        assertEquals(BridgeWatch.Outcome.REPAIRED, watch.check());
    }

    @Test
    void aMissingBridgeWithoutARecordIsNeverSetUpAndReportedOnce() {
        // `terway teardown` deleted the bridge and the record on purpose, and gave the NIC its addresses back
        BridgeWatch watch = watch("default-route");
        assertEquals(BridgeWatch.Outcome.LEFT_ALONE, watch.check());
        assertEquals(BridgeWatch.Outcome.LEFT_ALONE, watch.check());
        assertEquals(List.of(), changes, "nothing set up behind the operator's back");
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("not re-created"), warnings.get(0));
    }

    @Test
    void aMissingBridgeWhileTheNicHasAddressesIsNoRepair() throws Exception {
        recordSetup();
        assertEquals(BridgeWatch.Outcome.LEFT_ALONE, watch("static-routes").check());
        assertEquals(List.of(), changes);
    }
}
