package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A step whose command reads its input on stdin (`ip -batch -`): run, audited and printed as such. */
class FedStepTest {

    @Test
    void theProcessRunnerFeedsTheInputAndTheAuditLogRecordsIt(@TempDir Path dir) throws Exception {
        AuditLog audit = new AuditLog(dir.resolve("audit.log"), Clock.systemUTC());
        CommandRunner runner = AuditedCommands.recording(audit, new ExecCommandRunner(Duration.ofSeconds(10)),
                warning -> { throw new AssertionError(warning); });
        Step fed = Step.fed("count the lines", List.of("wc", "-l"), "addr add 10.0.0.2/24 dev eth0\nroute replace default\n");
        new PlanRunner(runner).run(Plan.builder().add(fed).build());
        CommandResult direct = runner.run(List.of("wc", "-l"), "a\nb\nc\n");
        assertEquals("3", direct.stdout().strip());
        List<String> lines = Files.readAllLines(audit.file());
        assertEquals(2, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("addr add 10.0.0.2/24 dev eth0\nroute replace default\n", first.path("stdin").asText());
        assertEquals(0, first.path("exitCode").asInt());
        JsonNode plain = new ObjectMapper().readTree(lines.get(1));
        assertEquals("a\nb\nc\n", plain.path("stdin").asText());
        runner.run(List.of("true"));
        JsonNode unfed = new ObjectMapper().readTree(Files.readAllLines(audit.file()).get(2));
        assertTrue(unfed.path("stdin").isMissingNode(), "a command without input has no stdin field");
    }

    @Test
    void aFailingFedStepUndoesTheStepsBeforeIt() {
        List<String> ran = new java.util.ArrayList<>();
        CommandRunner runner = failingBatch(ran, "Command failed -:2");
        Plan plan = Plan.builder()
                .add(Step.undoable("make", List.of("make", "it"), List.of("unmake", "it")))
                .add(Step.fed("batch", List.of("ip", "-batch", "-"), "one\ntwo\n"))
                .build();
        PlanFailedException e = assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
        assertEquals("batch", e.step().reason());
        assertEquals(List.of("make it", "ip -batch - <<< one\ntwo", "unmake it"), ran);
    }

    @Test
    void aFedStepThatFailedPastItsFirstLineIsUndoneItself() {
        for (String stderr : List.of("RTNETLINK answers: Operation not supported\nCommand failed -:2",
                "timed out after 10000 ms", "Command failed -:99999999999999999999")) {
            List<String> ran = new java.util.ArrayList<>();
            CommandRunner runner = failingBatch(ran, stderr);
            Plan plan = Plan.builder()
                    .add(Step.fed("create and label", List.of("ip", "-batch", "-"), "link add x\nlink set x\n",
                            List.of("ip", "link", "del", "x")))
                    .build();
            PlanFailedException e = assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
            assertEquals(List.of("ip -batch - <<< link add x\nlink set x", "ip link del x"), ran, stderr);
            assertTrue(e.getMessage().contains("every completed step was undone"), e.getMessage());
        }
    }

    @Test
    void aFedStepThatFailedAtItsFirstLineChangedNothingAndIsNotUndone() {
        List<String> ran = new java.util.ArrayList<>();
        CommandRunner runner = failingBatch(ran, "RTNETLINK answers: File exists\nCommand failed -:1");
        Plan plan = Plan.builder()
                .add(Step.fed("create and label", List.of("ip", "-batch", "-"), "link add x\nlink set x\n",
                        List.of("ip", "link", "del", "x")))
                .build();
        assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
        assertEquals(List.of("ip -batch - <<< link add x\nlink set x"), ran,
                "the existing x is not ours to delete");
    }

    private static CommandRunner failingBatch(List<String> ran, String stderr) {
        return new CommandRunner() {
            @Override
            public CommandResult run(List<String> argv) {
                ran.add(String.join(" ", argv));
                return new CommandResult(argv, 0, "", "", Duration.ZERO);
            }

            @Override
            public CommandResult run(List<String> argv, String input) {
                ran.add(String.join(" ", argv) + " <<< " + input.strip());
                return new CommandResult(argv, 1, "", stderr, Duration.ZERO);
            }
        };
    }

    @Test
    void aRunnerThatCannotFeedInputSaysSo() {
        CommandRunner plain = argv -> new CommandResult(argv, 0, "", "", Duration.ZERO);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> plain.run(List.of("ip", "-batch", "-"), "x\n"));
        assertTrue(e.getMessage().contains("standard input"), e.getMessage());
    }

    @Test
    void thePrinterShowsTheInputAsAQuotedHereDocumentWhoseEndMarkerItCannotContain() {
        String printed = PlanPrinter.render(Plan.builder()
                .add(Step.fed("why", List.of("ip", "-batch", "-"), "route add $HOME `x`\nEOF\n"))
                .add(Step.of("next", List.of("true")))
                .build());
        assertEquals("# why\nip -batch - <<'EOF_'\nroute add $HOME `x`\nEOF\nEOF_\n# next\ntrue\n", printed);
    }
}
