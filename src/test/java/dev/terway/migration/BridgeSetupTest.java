package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.FaultInjection;
import dev.terway.plan.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

class BridgeSetupTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final GatewayProbe.Result ANSWERED = new GatewayProbe.Result(true, "answered ping", Duration.ZERO);
    private static final GatewayProbe.Result SILENT = new GatewayProbe.Result(false, "no ping reply", TIMEOUT);

    @TempDir
    Path dir;

    private final FakeTime time = new FakeTime();
    private final GatewayProbe probe = mock(GatewayProbe.class);
    private final List<String> told = new ArrayList<>();

    /** A host in the state of {@code fixture} that accepts every change, except the argv in {@code failing}. */
    private CommandRunner host(String fixture, List<String> failing) {
        return host(fixture, Set.of(failing));
    }

    private CommandRunner host(String fixture, Set<List<String>> failing) {
        Fixture f = Fixture.of(fixture);
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            return failing.contains(argv) ? new CommandResult(argv, 2, "", "RTNETLINK answers: Invalid argument",
                    Duration.ZERO) : f.answer(argv);
        });
        return runner;
    }

    private BridgeSetup setup(CommandRunner runner) {
        return new BridgeSetup(new Host(runner, time, time), probe);
    }

    private BridgeSetup.Request request(boolean dryRun, OptionalInt failAfterStep) {
        return new BridgeSetup.Request(Optional.empty(), "mybr0", dir, dryRun, TIMEOUT,
                new FaultInjection(Duration.ZERO, failAfterStep));
    }

    private static List<Step> plannedSteps(String fixture) throws MigrationException {
        return BridgeMigrationTest.plan(fixture).plan().steps();
    }

    /** The commands that changed something: everything but `ip -j` reads and pings. */
    private static List<List<String>> changes(CommandRunner runner) {
        return mockingDetails(runner).getInvocations().stream()
                .map(i -> i.<List<String>>getArgument(0))
                .filter(argv -> !argv.get(0).equals("ping") && !Fixture.isRead(argv))
                .toList();
    }

    private List<List<String>> auditedArgv() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<List<String>> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("audit.log"))) {
            List<String> argv = new ArrayList<>();
            json.readTree(line).path("argv").forEach(a -> argv.add(a.asText()));
            out.add(argv);
        }
        return out;
    }

    private static List<List<String>> undosInReverse(List<Step> steps) {
        List<List<String>> undos = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            steps.get(i).undo().ifPresent(undos::add);
        }
        return undos;
    }

    @Test
    void theRecordSaysWhichNamespaceWasBridged() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        SetupRecord.BridgedNamespace bridged = new SetupRecord.BridgedNamespace(
                new dev.terway.cni.pod.NetnsIdentity(4, 4026532001L), "boot-1");
        Host scripted = new Host(host("static-routes", List.of()), time, time);
        BridgeSetup.Report report = new BridgeSetup(new Host(scripted.commands(), time, time, scripted.programs(),
                () -> Optional.of(bridged)), probe).run(request(false, OptionalInt.empty()), told::add);
        assertEquals(BridgeSetup.Outcome.APPLIED, report.outcome());
        SetupRecord stored = new SetupRecordStore(dir.resolve("setup.json")).load().orElseThrow();
        assertEquals(Optional.of(bridged), stored.netns());
        assertEquals(Optional.of(bridged.identity()), stored.bridgedNamespace("boot-1"));
    }

    @Test
    void aSuccessfulSetupRunsThePlanRecordsTheNodeAndChecksTheGateways() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        CommandRunner runner = host("static-routes", List.of());
        BridgeSetup.Report report = setup(runner).run(request(false, OptionalInt.empty()), told::add);

        List<Step> steps = plannedSteps("static-routes");
        assertEquals(BridgeSetup.Outcome.APPLIED, report.outcome());
        assertEquals(steps.stream().map(Step::argv).toList(), changes(runner));
        assertEquals(changes(runner), auditedArgv(), "every change is in the audit log, reads are not");
        assertEquals(Optional.of(report.migration().record()), new SetupRecordStore(dir.resolve("setup.json")).load());
        // each gateway checked on the NIC before and on the bridge after
        InOrder order = inOrder(probe, runner);
        order.verify(probe).probe(new Gateway(Family.INET, "10.99.0.1", "eth0"), "eth0", TIMEOUT);
        order.verify(runner).run(steps.get(0).argv());
        order.verify(probe).probe(new Gateway(Family.INET, "10.99.0.1", "eth0"), "mybr0", TIMEOUT);
        verify(probe).probe(new Gateway(Family.INET6, "2001:db8::1", "eth0"), "mybr0", TIMEOUT);
        assertEquals(List.of("gateway 10.99.0.1 answered on mybr0 (answered ping, 0 ms)",
                "gateway 2001:db8::1 answered on mybr0 (answered ping, 0 ms)"), report.notes());
        assertEquals(List.of(), told);
    }

    @Test
    void aGatewaySilentAfterSetupRollsEverythingBack() throws Exception {
        Gateway v4 = new Gateway(Family.INET, "10.99.0.1", "eth0");
        when(probe.probe(any(), eq("eth0"), any())).thenReturn(ANSWERED);
        when(probe.probe(eq(v4), eq("mybr0"), any())).thenReturn(SILENT);
        CommandRunner runner = host("static-routes", List.of());

        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.empty()), told::add));

        assertEquals("setup of mybr0 on eth0 failed: gateway 10.99.0.1 did not answer on mybr0 within 5000 ms"
                + " (no ping reply); before setup it answered on eth0 (answered ping); every completed step was"
                + " undone", e.getMessage());
        List<Step> steps = plannedSteps("static-routes");
        List<List<String>> expected = new ArrayList<>(steps.stream().map(Step::argv).toList());
        expected.addAll(undosInReverse(steps));
        assertEquals(expected, changes(runner), "every step, then every undo in reverse order");
        assertEquals(expected, auditedArgv(), "the undos are audited too");
        assertFalse(Files.exists(dir.resolve("setup.json")), "no record of a setup that was rolled back");
    }

    @Test
    void aGatewaySilentBeforeAndAfterAlsoRollsBackAndSaysSo() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(SILENT);
        CommandRunner runner = host("default-route", List.of());
        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.empty()), told::add));
        assertTrue(e.getMessage().contains("before setup it did not answer on eth0 either, so the gateway itself"
                + " may be down; every completed step was undone"), e.getMessage());
        List<Step> steps = plannedSteps("default-route");
        assertEquals(undosInReverse(steps), changes(runner).subList(steps.size(), changes(runner).size()));
    }

    @Test
    void aFailingStepIsRolledBackAndNamed() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        List<Step> steps = plannedSteps("static-routes");
        Step moveDefault = steps.get(8);
        assertEquals(List.of("ip", "-4", "route", "replace", "default"), moveDefault.argv().subList(0, 5));
        CommandRunner runner = host("static-routes", moveDefault.argv());

        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.empty()), told::add));

        assertTrue(e.getMessage().startsWith("setup of mybr0 on eth0 failed: step failed (move route default via"
                + " 10.99.0.1 dev eth0 metric 100 to mybr0"), e.getMessage());
        assertTrue(e.getMessage().contains("exited 2: RTNETLINK answers: Invalid argument; every completed step"
                + " was undone"), e.getMessage());
        List<List<String>> expected = new ArrayList<>(steps.subList(0, 9).stream().map(Step::argv).toList());
        expected.addAll(undosInReverse(steps.subList(0, 8)));
        assertEquals(expected, changes(runner));
        assertFalse(Files.exists(dir.resolve("setup.json")));
        verify(probe, never()).probe(any(), eq("mybr0"), any());
    }

    @Test
    void whenAnUndoFailsTooTheNewRecordStaysForTeardown() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        List<Step> steps = plannedSteps("static-routes");
        List<String> moveDefault = steps.get(8).argv();
        List<String> unenslave = steps.get(3).undo().orElseThrow();
        CommandRunner runner = host("static-routes", Set.of(moveDefault, unenslave));

        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.empty()), told::add));

        assertTrue(e.getMessage().contains("; undo failed: ip link set dev eth0 nomaster exited 2: RTNETLINK answers:"
                + " Invalid argument; the record " + dir.resolve("setup.json") + " is kept, so that `terway teardown`"
                + " can restore the rest"), e.getMessage());
        assertEquals(Optional.of(BridgeMigrationTest.staticRoutesRecord()),
                new SetupRecordStore(dir.resolve("setup.json")).load());
    }

    @Test
    void theTestHookStopsAfterNStepsAndRollsThemBack() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        CommandRunner runner = host("static-routes", List.of());
        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.of(3)), told::add));
        assertEquals("setup of mybr0 on eth0 failed on purpose after 3 of 20 steps (--inject-fault fail-after-step"
                + " test hook); every completed step was undone", e.getMessage());
        List<Step> steps = plannedSteps("static-routes");
        List<List<String>> expected = new ArrayList<>(steps.subList(0, 3).stream().map(Step::argv).toList());
        expected.addAll(undosInReverse(steps.subList(0, 3)));
        assertEquals(expected, changes(runner));
        assertFalse(Files.exists(dir.resolve("setup.json")));

        // after the last step, the whole plan is undone
        CommandRunner again = host("static-routes", List.of());
        MigrationException all = assertThrows(MigrationException.class,
                () -> setup(again).run(request(false, OptionalInt.of(99)), told::add));
        assertTrue(all.getMessage().contains("after 20 of 20 steps"), all.getMessage());
        assertEquals(2 * steps.size() - 1, changes(again).size(), "20 steps and 19 undos (up has none)");
    }

    @Test
    void aMigratedNodeIsANoOpThatChangesNothing() throws Exception {
        SetupRecord record = BridgeMigrationTest.staticRoutesRecord();
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        store.save(record);
        CommandRunner runner = host("migrated", List.of());
        BridgeSetup.Report report = setup(runner).run(request(false, OptionalInt.empty()), told::add);
        assertEquals(BridgeSetup.Outcome.NOTHING_TO_DO, report.outcome());
        assertEquals("eth0", report.migration().iface(), "found through the record");
        assertEquals(List.of(), changes(runner));
        assertFalse(Files.exists(dir.resolve("audit.log")));
        assertEquals(Optional.of(record), store.load());
        verify(probe, never()).probe(any(), any(), any());
    }

    @Test
    void aDryRunOnlyReads() throws Exception {
        Path stateDir = dir.resolve("never-created");
        CommandRunner runner = host("static-routes", List.of());
        BridgeSetup.Report report = setup(runner).run(new BridgeSetup.Request(Optional.of("eth0"), "mybr0", stateDir,
                true, TIMEOUT, FaultInjection.NONE), told::add);
        assertEquals(BridgeSetup.Outcome.PLANNED, report.outcome());
        assertEquals(plannedSteps("static-routes"), report.migration().plan().steps());
        assertEquals(List.of(), changes(runner));
        assertFalse(Files.exists(stateDir));
        verify(probe, never()).probe(any(), any(), any());
    }

    @Test
    void aRollbackPutsTheEarlierRecordBack() throws Exception {
        // After a reboot the bridge is gone; setup records the NIC anew, and if it then fails, the record
        // from before must be back, not the new one and not none.
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        SetupRecord earlier = new SetupRecord("eth0", "mybr0", 1500, "02:00:0a:63:00:05", List.of(new IpAddress(
                "eth0", Family.INET, "10.99.0.9", 24, "global", false, Optional.empty(), Optional.of("eth0"),
                IpAddress.FOREVER, IpAddress.FOREVER)), List.of());
        store.save(earlier);
        when(probe.probe(any(), any(), any())).thenReturn(SILENT);
        assertThrows(MigrationException.class,
                () -> setup(host("default-route", List.of())).run(request(false, OptionalInt.empty()), told::add));
        assertEquals(Optional.of(earlier), store.load());
    }

    @Test
    void anUnwritableAuditLogIsReportedButNeverStrandsTheNode() throws Exception {
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        Files.createDirectories(dir.resolve("audit.log")); // a directory where the log file should be
        CommandRunner runner = host("default-route", List.of());
        BridgeSetup.Report report = setup(runner).run(request(false, OptionalInt.empty()), told::add);
        assertEquals(BridgeSetup.Outcome.APPLIED, report.outcome());
        assertEquals(plannedSteps("default-route").size(), changes(runner).size());
        assertEquals(1, told.size(), told::toString);
        assertTrue(told.get(0).startsWith("warning: cannot write the audit log"), told::toString);
    }

    // ---- issue 13, item 4: `ip link del mybr0` on a set-up node ----

    private SetupRecordStore recordStore() {
        return new SetupRecordStore(dir.resolve("setup.json"));
    }

    @Test
    void aDeletedBridgeIsRepairedFromTheRecordAndTheGatewaysAreChecked() throws Exception {
        recordStore().save(BridgeMigrationTest.staticRoutesRecord());
        byte[] recordBefore = Files.readAllBytes(dir.resolve("setup.json"));
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        CommandRunner runner = host("bridge-deleted", List.of());

        BridgeSetup.Report report = setup(runner).run(request(false, OptionalInt.empty()), told::add);

        assertEquals(BridgeSetup.Outcome.REPAIRED, report.outcome());
        List<Step> steps = BridgeRepairTest.repair().plan().steps();
        assertEquals(steps.stream().map(Step::argv).toList(), changes(runner));
        assertEquals(changes(runner), auditedArgv(), "every change is in the audit log");
        verify(probe, never()).probe(any(), eq("eth0"), any());
        verify(probe).probe(new Gateway(Family.INET, "10.99.0.1", "mybr0"), "mybr0", TIMEOUT);
        verify(probe).probe(new Gateway(Family.INET6, "2001:db8::1", "mybr0"), "mybr0", TIMEOUT);
        assertEquals(List.of("gateway 10.99.0.1 answered on mybr0 (answered ping, 0 ms)",
                "gateway 2001:db8::1 answered on mybr0 (answered ping, 0 ms)"), report.notes());
        assertTrue(told.get(0).startsWith("bridge mybr0 is gone and eth0 has no address of its own"), told.toString());
        assertEquals(new String(recordBefore), Files.readString(dir.resolve("setup.json")),
                "the record is what teardown needs, untouched");
    }

    @Test
    void aRepairWhoseGatewayStaysSilentIsRolledBackAndTheRecordKept() throws Exception {
        recordStore().save(BridgeMigrationTest.staticRoutesRecord());
        when(probe.probe(any(), any(), any())).thenReturn(SILENT);
        CommandRunner runner = host("bridge-deleted", List.of());

        MigrationException e = assertThrows(MigrationException.class,
                () -> setup(runner).run(request(false, OptionalInt.empty()), told::add));

        assertEquals("repair of mybr0 on eth0 failed: gateway 10.99.0.1 did not answer on mybr0 within 5000 ms (no"
                + " ping reply); before the repair the node had no route to it (the bridge was gone), so whether it"
                + " answers at all is unknown; every completed step was undone", e.getMessage());
        List<Step> steps = BridgeRepairTest.repair().plan().steps();
        List<List<String>> expected = new ArrayList<>(steps.stream().map(Step::argv).toList());
        expected.addAll(undosInReverse(steps));
        assertEquals(expected, changes(runner), "every step, then every undo in reverse order");
        assertEquals(List.of("ip", "link", "del", "dev", "mybr0"), expected.get(expected.size() - 1));
        assertEquals(Optional.of(BridgeMigrationTest.staticRoutesRecord()), recordStore().load());
    }

    @Test
    void aRepairOnAHostThatKnowsItsNamespaceStaysARepairAndRecordsTheNamespace() throws Exception {
        recordStore().save(BridgeMigrationTest.staticRoutesRecord());
        when(probe.probe(any(), any(), any())).thenReturn(ANSWERED);
        CommandRunner runner = host("bridge-deleted", List.of());
        SetupRecord.BridgedNamespace here = new SetupRecord.BridgedNamespace(
                new dev.terway.cni.pod.NetnsIdentity(4, 4026531840L), "boot-a");
        Host host = new Host(runner, time, time, command -> Optional.of(Path.of("/scripted", command)),
                () -> Optional.of(here));
        BridgeSetup.Report report = new BridgeSetup(host, probe).run(request(false, OptionalInt.empty()), told::add);
        assertEquals(BridgeSetup.Outcome.REPAIRED, report.outcome());
        assertEquals(Optional.of(here), recordStore().load().orElseThrow().netns());
        assertEquals(BridgeRepairTest.repair().plan(), report.migration().plan());
    }

    @Test
    void aDryRunOfARepairShowsThePlanAndChangesNothing() throws Exception {
        recordStore().save(BridgeMigrationTest.staticRoutesRecord());
        CommandRunner runner = host("bridge-deleted", List.of());
        BridgeSetup.Report report = setup(runner).run(request(true, OptionalInt.empty()), told::add);
        assertEquals(BridgeSetup.Outcome.PLANNED, report.outcome());
        assertTrue(report.migration().repair().isPresent());
        assertEquals(BridgeRepairTest.repair().plan(), report.migration().plan());
        assertEquals(List.of(), changes(runner));
        verify(probe, never()).probe(any(), any(), any());
    }
}
