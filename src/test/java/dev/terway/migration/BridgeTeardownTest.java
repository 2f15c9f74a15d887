package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.when;

import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeTeardownTest {

    @TempDir
    Path dir;

    private final FakeTime time = new FakeTime();
    private final List<String> told = new ArrayList<>();
    private SetupRecordStore store;
    private SetupRecord record;

    @BeforeEach
    void recordASetup() throws MigrationException {
        store = new SetupRecordStore(dir.resolve("setup.json"));
        record = BridgeMigrationTest.staticRoutesRecord();
        store.save(record);
    }

    /**
     * A host that reads as {@code before} until the first change and as {@code after} from then on (the
     * state the plan produced), failing the one argv {@code failing}.
     */
    private static CommandRunner host(String before, String after, List<String> failing) {
        boolean[] changed = {false};
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            boolean read = Fixture.isRead(argv);
            if (argv.equals(failing)) {
                return new CommandResult(argv, 2, "", "RTNETLINK answers: No such process", Duration.ZERO);
            }
            changed[0] |= !read;
            return Fixture.of(changed[0] ? after : before).answer(argv);
        });
        return runner;
    }

    private static List<List<String>> changes(CommandRunner runner) {
        return mockingDetails(runner).getInvocations().stream().map(i -> i.<List<String>>getArgument(0))
                .filter(argv -> !Fixture.isRead(argv)).toList();
    }

    private BridgeTeardown.Report teardown(CommandRunner runner, boolean dryRun) throws MigrationException {
        return new BridgeTeardown(new Host(runner, time, time)).run(new BridgeTeardown.Request(dir, dryRun), told::add);
    }

    private Plan expectedPlan() throws MigrationException {
        Fixture migrated = Fixture.of("migrated");
        return BridgeRestoration.plan(record, migrated.state(), migrated.ipv6("eth0"), migrated.neighbours());
    }

    @Test
    void teardownRestoresTheNicChecksItAndForgetsTheRecord() throws Exception {
        CommandRunner runner = host("migrated", "static-routes", List.of());
        BridgeTeardown.Report report = teardown(runner, false);
        assertEquals(BridgeTeardown.Outcome.RESTORED, report.outcome());
        assertEquals(expectedPlan().steps().stream().map(Step::argv).toList(), changes(runner));
        assertEquals(expectedPlan().steps().size(), Files.readAllLines(dir.resolve("audit.log")).size());
        assertFalse(Files.exists(store.file()));
        assertEquals(List.of(), told);
    }

    @Test
    void aDryRunPrintsThePlanAndKeepsEverything() throws Exception {
        CommandRunner runner = host("migrated", "static-routes", List.of());
        BridgeTeardown.Report report = teardown(runner, true);
        assertEquals(BridgeTeardown.Outcome.PLANNED, report.outcome());
        assertEquals(Fixture.of("migrated").golden("teardown-plan.txt"), PlanPrinter.render(report.plan()));
        assertEquals(List.of(), changes(runner));
        assertEquals(Optional.of(record), store.load());
        assertFalse(Files.exists(dir.resolve("audit.log")));
    }

    @Test
    void withoutARecordThereIsNothingToTearDown() throws Exception {
        store.delete();
        CommandRunner runner = host("static-routes", "static-routes", List.of());
        assertEquals(BridgeTeardown.Outcome.NOT_SET_UP, teardown(runner, false).outcome());
        assertEquals(BridgeTeardown.Outcome.NOT_SET_UP, teardown(runner, true).outcome());
        assertEquals(List.of(), mockingDetails(runner).getInvocations().stream().toList(), "not even a read");

        Path never = dir.resolve("never-set-up");
        BridgeTeardown.Report r = new BridgeTeardown(new Host(runner, time, time))
                .run(new BridgeTeardown.Request(never, false), told::add);
        assertEquals(BridgeTeardown.Outcome.NOT_SET_UP, r.outcome());
        assertFalse(Files.exists(never), "no state directory is created just to say so");
    }

    @Test
    void aFailingStepIsRolledBackAndTheRecordKept() throws Exception {
        List<Step> steps = expectedPlan().steps();
        Step release = steps.stream().filter(s -> s.argv().contains("nomaster")).findFirst().orElseThrow();
        CommandRunner runner = host("migrated", "static-routes", release.argv());
        MigrationException e = assertThrows(MigrationException.class, () -> teardown(runner, false));
        assertTrue(e.getMessage().startsWith("teardown of mybr0 on eth0 failed: step failed (release eth0 from"
                + " mybr0): ip link set dev eth0 nomaster exited 2"), e.getMessage());
        assertTrue(e.getMessage().endsWith("every completed step was undone; the record " + store.file()
                + " is kept"), e.getMessage());
        int failed = steps.indexOf(release);
        List<List<String>> expected = new ArrayList<>(steps.subList(0, failed + 1).stream().map(Step::argv).toList());
        for (int i = failed - 1; i >= 0; i--) {
            steps.get(i).undo().ifPresent(expected::add);
        }
        assertEquals(expected, changes(runner));
        assertEquals(Optional.of(record), store.load());
    }

    @Test
    void aNicThatDoesNotMatchTheRecordAfterwardsFailsTheTeardown() throws Exception {
        // the commands "succeed" but the node still looks migrated
        CommandRunner runner = host("migrated", "migrated", List.of());
        MigrationException e = assertThrows(MigrationException.class, () -> teardown(runner, false));
        assertTrue(e.getMessage().startsWith("teardown of mybr0 on eth0 ran, but eth0 does not match the record "
                + store.file() + ": eth0 is still a port of mybr0; bridge mybr0 still exists;"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; the record is kept"), e.getMessage());
        assertEquals(Optional.of(record), store.load());
    }
}
