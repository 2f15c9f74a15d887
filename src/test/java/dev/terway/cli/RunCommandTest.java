package dev.terway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.migration.Host;
import dev.terway.plan.CommandResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunCommandTest {

    private static RunCommand parse(String... args) {
        CommandLine cli = TerwayCli.create(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        return (RunCommand) parsed.subcommand().commandSpec().userObject();
    }

    @Test
    void passesItsOptionsToSetupAndTheDaemon() {
        RunCommand run = parse("run", "--iface", "eth1", "--bridge", "br-lan", "--state-dir", "/srv/terway",
                "--socket", "/run/t/d.sock", "--verify-timeout", "2s", "--dhcp-timeout", "15s", "--arp-probe", "0",
                "--decline-wait", "3s", "--log-format", "json");
        assertEquals(List.of("setup", "--bridge", "br-lan", "--state-dir", "/srv/terway", "--verify-timeout",
                "2000ms", "--iface", "eth1"), run.setupArgs());
        assertEquals(List.of("dhcp", "daemon", "--socket", "/run/t/d.sock", "--state-dir", "/srv/terway",
                "--timeout", "15000ms", "--arp-probe", "0ms", "--decline-wait", "3000ms", "--repair-bridge", "br-lan",
                "--repair-verify-timeout", "2000ms", "--log-format", "json", "--repair-iface", "eth1"), run.daemonArgs());
    }

    @Test
    void passesTheFaultsOfATestToBothHalvesAndNoneOtherwise() {
        RunCommand run = parse("run", "--inject-fault", "pause-after-link=4s", "--inject-fault", "fail-after-step=3");
        assertEquals(List.of("--inject-fault", "pause-after-link=4000ms,fail-after-step=3"),
                run.setupArgs().subList(run.setupArgs().size() - 2, run.setupArgs().size()));
        assertEquals(List.of("--inject-fault", "pause-after-link=4000ms,fail-after-step=3"),
                run.daemonArgs().subList(run.daemonArgs().size() - 2, run.daemonArgs().size()));
        assertTrue(!parse("run").setupArgs().contains("--inject-fault") && !parse("run").daemonArgs()
                .contains("--inject-fault"));
    }

    @Test
    void theDerivedCommandsParseAndKeepTheDefaultsOfSetupAndTheDaemon() {
        RunCommand run = parse("run");
        assertSameValues(run.setupArgs(), List.of("setup"), List.of("--bridge", "--state-dir", "--verify-timeout"));
        assertSameValues(run.daemonArgs(), List.of("dhcp", "daemon"), List.of("--socket", "--state-dir", "--timeout",
                "--arp-probe", "--decline-wait", "--repair-verify-timeout", "--log-format"));
        assertEquals((Object) innermost(List.of("setup")).findOption("--verify-timeout").getValue(),
                innermost(run.daemonArgs()).findOption("--repair-verify-timeout").getValue(),
                "the daemon's repair waits for the gateway as long as setup does");
        assertEquals(run.setupArgs().get(run.setupArgs().indexOf("--bridge") + 1),
                run.daemonArgs().get(run.daemonArgs().indexOf("--repair-bridge") + 1), "the daemon repairs setup's bridge");
    }

    /** Parses both command lines and compares the named options' values in the innermost subcommand. */
    private static void assertSameValues(List<String> derived, List<String> bare, List<String> options) {
        CommandLine.Model.CommandSpec a = innermost(derived);
        CommandLine.Model.CommandSpec b = innermost(bare);
        for (String option : options) {
            assertEquals((Object) b.findOption(option).getValue(), a.findOption(option).getValue(),
                    "terway run's default for " + option + " is " + String.join(" ", bare) + "'s own");
        }
    }

    private static CommandLine.Model.CommandSpec innermost(List<String> args) {
        CommandLine.ParseResult r = TerwayCli.create(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())).parseArgs(args.toArray(String[]::new));
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.commandSpec();
    }

    @Test
    void aFailedSetupStopsTheRunBeforeTheDaemonStarts() {
        List<List<String>> ran = new ArrayList<>();
        Host broken = new Host(argv -> {
            ran.add(argv);
            return new CommandResult(argv, 1, "", "Cannot open netlink socket: Operation not permitted",
                    Duration.ZERO);
        }, Clock.systemUTC(), d -> { });
        StringWriter err = new StringWriter();
        int code = TerwayCli.create(new PrintWriter(new StringWriter()), new PrintWriter(err), broken)
                .execute("run", "--state-dir", System.getProperty("java.io.tmpdir") + "/terway-run-test-none");
        assertEquals(TerwayCli.EXIT_FAILED, code, err.toString());
        assertTrue(err.toString().contains("the daemon was not started"), err.toString());
        assertTrue(!ran.isEmpty() && ran.get(0).get(0).equals("ip"), "setup read the host first: " + ran);
    }
}
