package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

class PlanRunnerTest {

    private static CommandResult ok(List<String> argv) {
        return new CommandResult(argv, 0, "", "", Duration.ZERO);
    }

    private static CommandResult fail(List<String> argv, String stderr) {
        return new CommandResult(argv, 2, "", stderr, Duration.ZERO);
    }

    private final Plan plan = Plan.builder()
            .add(Step.undoable("one", List.of("do", "1"), List.of("undo", "1")))
            .add(Step.of("two has no undo", List.of("do", "2")))
            .add(Step.undoable("three", List.of("do", "3"), List.of("undo", "3")))
            .add(Step.undoable("four", List.of("do", "4"), List.of("undo", "4")))
            .build();

    @Test
    void runsEveryStepInOrder() throws Exception {
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> ok(i.getArgument(0)));
        List<Step> done = new PlanRunner(runner).run(plan);
        assertEquals(plan.steps(), done);
        InOrder order = inOrder(runner);
        for (String n : List.of("1", "2", "3", "4")) {
            order.verify(runner).run(List.of("do", n));
        }
        verify(runner, never()).run(List.of("undo", "1"));
    }

    @Test
    void failedStepUndoesCompletedStepsInReverse() {
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            return argv.equals(List.of("do", "4")) ? fail(argv, "RTNETLINK answers: File exists") : ok(argv);
        });
        PlanFailedException e = assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
        InOrder order = inOrder(runner);
        order.verify(runner).run(List.of("do", "4"));
        order.verify(runner).run(List.of("undo", "3"));
        order.verify(runner).run(List.of("undo", "1"));
        verify(runner, never()).run(List.of("undo", "4"));
        assertEquals(List.of("do", "4"), e.step().argv());
        assertTrue(e.getMessage().contains("do 4 exited 2: RTNETLINK answers: File exists"), e.getMessage());
        assertTrue(e.getMessage().contains("every completed step was undone"), e.getMessage());
    }

    @Test
    void everyUndoIsAttemptedAndFailedUndosAreReported() {
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            if (argv.equals(List.of("do", "4"))) {
                return fail(argv, "boom");
            }
            return argv.equals(List.of("undo", "3")) ? fail(argv, "cannot") : ok(argv);
        });
        PlanFailedException e = assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
        verify(runner).run(List.of("undo", "1"));
        assertEquals(1, e.failedUndos().size());
        assertTrue(e.getMessage().contains("undo failed: undo 3 exited 2: cannot"), e.getMessage());
    }

    @Test
    void aStepTheRunnerRefusesUndoesTheCompletedStepsAndTheRefusalGoesOn() {
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            if (argv.equals(List.of("do", "3"))) {
                throw new IllegalArgumentException("`do` is not registered");
            }
            return argv.equals(List.of("undo", "1")) ? fail(argv, "cannot") : ok(argv);
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PlanRunner(runner).run(plan));
        assertEquals("`do` is not registered", e.getMessage());
        verify(runner).run(List.of("undo", "1"));
        verify(runner, never()).run(List.of("do", "4"));
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0].getMessage().contains("undo failed: undo 1 exited 2: cannot"),
                e.getSuppressed()[0].getMessage());
    }

    @Test
    void aRefusedUndoIsReportedAndTheOtherUndosStillRun() {
        CommandRunner runner = mock(CommandRunner.class);
        when(runner.run(any())).thenAnswer(i -> {
            List<String> argv = i.getArgument(0);
            if (argv.equals(List.of("undo", "3"))) {
                throw new IllegalArgumentException("`undo` is not registered");
            }
            return argv.equals(List.of("do", "4")) ? fail(argv, "boom") : ok(argv);
        });
        PlanFailedException e = assertThrows(PlanFailedException.class, () -> new PlanRunner(runner).run(plan));
        verify(runner).run(List.of("undo", "1"));
        assertEquals(-1, e.failedUndos().get(0).exitCode());
        assertTrue(e.getMessage().contains("undo failed: undo 3 exited -1: `undo` is not registered"), e.getMessage());
    }

    @Test
    void dryRunRenderingQuotesArgvAndCommentsReasons() {
        Plan p = Plan.builder()
                .add(Step.of("create the bridge\nwith a newline", List.of("ip", "link", "add", "my br", "type", "bridge")))
                .build();
        assertEquals("# create the bridge with a newline\nip link add 'my br' type bridge\n", PlanPrinter.render(p));
        assertEquals("# nothing to do: the desired state is already in place\n", PlanPrinter.render(Plan.empty()));
    }
}
