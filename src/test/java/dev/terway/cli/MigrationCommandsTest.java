package dev.terway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.migration.Fixture;
import dev.terway.migration.Host;
import dev.terway.migration.Sleeper;
import dev.terway.migration.StateDirectory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `terway setup` and `terway teardown` as operators call them, on hosts scripted from captured fixtures. */
class MigrationCommandsTest {

    @TempDir
    Path dir;

    private final List<List<String>> ran = new ArrayList<>();

    record Run(int exit, String out, String err) {
    }

    private Run terway(String fixture, String... args) {
        Fixture f = Fixture.of(fixture);
        Host host = new Host(argv -> {
            ran.add(argv);
            return f.answer(argv);
        }, Clock.systemUTC(), Sleeper.REAL);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = TerwayCli.create(new PrintWriter(out), new PrintWriter(err), host).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private String state() {
        return dir.resolve("state").toString();
    }

    private List<List<String>> changes() {
        return ran.stream().filter(a -> !a.get(0).equals("ping") && !a.get(1).equals("-j") && !a.get(1).equals("-n"))
                .toList();
    }

    @Test
    void setupAndTeardownAreSubcommands() {
        CommandLine cli = TerwayCli.create(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertTrue(cli.getSubcommands().containsKey("setup"));
        assertTrue(cli.getSubcommands().containsKey("teardown"));
        assertEquals(StateDirectory.DEFAULT_PATH, cli.getSubcommands().get("setup").getCommandSpec()
                .findOption("--state-dir").defaultValue());
        assertEquals("mybr0", cli.getSubcommands().get("setup").getCommandSpec().findOption("--bridge")
                .defaultValue());
    }

    @Test
    void aDryRunPrintsThePlanOfTheDetectedInterfaceAndWritesNothing() {
        Run r = terway("default-route", "setup", "--dry-run", "--state-dir", state());
        assertEquals(new Run(0, Fixture.of("default-route").golden("setup-plan.txt"), ""), r);
        assertEquals(List.of(), changes());
        assertFalse(Files.exists(dir.resolve("state")), "a dry run does not even create the state directory");
    }

    @Test
    void aMissingInterfaceIsAOneLineError() {
        Run r = terway("default-route", "setup", "--iface", "nope0", "--dry-run", "--state-dir", state());
        assertEquals(new Run(1, "", "terway: cannot bridge nope0: no such interface\n"), r);
    }

    @Test
    void setupRunsThePlanAndReportsTheGateway() throws Exception {
        Run r = terway("default-route", "setup", "--state-dir", state(), "--verify-timeout", "2s");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("bridged eth0 into mybr0: 7 steps in "), r.out());
        assertTrue(r.out().contains("the record for teardown is " + dir.resolve("state/setup.json")), r.out());
        assertTrue(r.out().contains("gateway 10.99.0.1 answered on mybr0 (answered ping"), r.out());
        assertEquals("", r.err());
        assertEquals(7, changes().size());
        assertEquals(7, Files.readAllLines(dir.resolve("state/audit.log")).size());
        assertTrue(Files.exists(dir.resolve("state/setup.json")));
        assertTrue(ran.contains(List.of("ping", "-4", "-n", "-q", "-c", "1", "-W", "1", "-I", "mybr0", "10.99.0.1")));
    }

    @Test
    void aMigratedNodeHasNothingToDo() {
        assertEquals(0, terway("static-routes", "setup", "--state-dir", state()).exit()); // writes the record
        ran.clear();
        Run again = terway("migrated", "setup", "--state-dir", state());
        assertEquals(new Run(0, "nothing to do: eth0 is already bridged into mybr0\n", ""), again);
        Run dry = terway("migrated", "setup", "--dry-run", "--state-dir", state());
        assertEquals(new Run(0, "# nothing to do: the desired state is already in place\n", ""), dry);
        assertEquals(List.of(), changes());
    }

    @Test
    void aNodeWhoseBridgeWasDeletedIsRepairedAndItsDryRunSaysSo() throws Exception {
        assertEquals(0, terway("static-routes", "setup", "--state-dir", state()).exit()); // writes the record
        ran.clear();
        // no default route any more: the interface comes from the record
        Run dry = terway("bridge-deleted", "setup", "--dry-run", "--state-dir", state());
        assertEquals(new Run(0, "# repair: bridge mybr0 is gone and eth0 has no address of its own: the bridge was"
                + " deleted, and the node's addresses and routes with it; re-creating it from the setup record\n"
                + Fixture.of("bridge-deleted").golden("setup-plan.txt"), ""), dry);
        assertEquals(List.of(), changes());

        Run r = terway("bridge-deleted", "setup", "--state-dir", state(), "--verify-timeout", "2s");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("repaired bridge mybr0 on eth0 from the record " + dir.resolve("state/setup.json")
                + ": 15 steps in "), r.out());
        assertTrue(r.out().contains("gateway 10.99.0.1 answered on mybr0"), r.out());
        assertTrue(r.err().startsWith("terway: bridge mybr0 is gone"), r.err());
        assertEquals(15, changes().size());
    }

    @Test
    void theTestHookFailsTheRunAfterNStepsAndIsHidden() {
        Run r = terway("default-route", "setup", "--state-dir", state(), "--inject-fault", "fail-after-step=2");
        assertEquals(1, r.exit());
        assertEquals("terway: setup of mybr0 on eth0 failed on purpose after 2 of 7 steps (--inject-fault"
                + " fail-after-step test hook); every completed step was undone\n", r.err());
        assertEquals(List.of(List.of("ip", "link", "add", "mybr0", "address", "02:00:0a:63:00:05", "mtu", "1500",
                        "type", "bridge", "stp_state", "0", "forward_delay", "0"),
                List.of("ip", "link", "set", "dev", "mybr0", "up"),
                List.of("ip", "link", "del", "dev", "mybr0")), changes());
        assertFalse(terway("default-route", "setup", "--help").out().contains("inject-fault"));
        Run negative = terway("default-route", "setup", "--inject-fault", "fail-after-step=-1", "--state-dir", state());
        assertEquals(2, negative.exit());
        assertTrue(negative.err().contains("fail-after-step must be 0 or more, got -1"), negative.err());
        Run unknown = terway("default-route", "setup", "--inject-fault", "explode=1", "--state-dir", state());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("no fault 'explode'"), unknown.err());
    }

    @Test
    void badDurationsAreUsageErrors() {
        Run r = terway("default-route", "setup", "--verify-timeout", "5x", "--state-dir", state());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("'5x' is not a duration"), r.err());
    }

    @Test
    void teardownWithoutASetupIsHarmless() {
        Run r = terway("static-routes", "teardown", "--state-dir", state());
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("not set up: there is no record " + dir.resolve("state/setup.json")), r.out());
        assertEquals("", r.err());
        assertEquals(List.of(), ran);
    }

    @Test
    void teardownDryRunPrintsThePlan() {
        assertEquals(0, terway("static-routes", "setup", "--state-dir", state()).exit());
        ran.clear();
        Run r = terway("migrated", "teardown", "--dry-run", "--state-dir", state());
        assertEquals(new Run(0, Fixture.of("migrated").golden("teardown-plan.txt"), ""), r);
        assertEquals(List.of(), changes());
    }
}
