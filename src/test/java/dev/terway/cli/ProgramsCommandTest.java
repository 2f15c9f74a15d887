package dev.terway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.migration.Host;
import dev.terway.plan.CommandResult;
import dev.terway.plan.Program;
import dev.terway.plan.ProgramLookup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `terway programs [--check]`, and the same check at the start of `terway run` and `terway setup`, on a fake PATH. */
class ProgramsCommandTest {

    @TempDir
    Path dir;

    private final List<List<String>> ran = new ArrayList<>();

    record Run(int exit, String out, String err) {
    }

    /** A host whose PATH is one temporary directory holding {@code installed}; its commands only record. */
    private Run terway(List<Program> installed, String... args) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (Program p : installed) {
            Path file = bin.resolve(p.command());
            Files.writeString(file, "#!/bin/sh\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Host host = new Host(argv -> {
            ran.add(argv);
            return new CommandResult(argv, 1, "", "scripted", Duration.ZERO);
        }, Clock.systemUTC(), d -> { }, ProgramLookup.onPath(bin.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = TerwayCli.create(new PrintWriter(out), new PrintWriter(err), host).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static List<Program> allBut(Program... absent) {
        return List.of(Program.values()).stream().filter(p -> !List.of(absent).contains(p)).toList();
    }

    @Test
    void listsEveryProgramWithItsPackage() throws IOException {
        Run r = terway(List.of(), "programs");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(Program.values().length + 1, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("PROGRAM"), r.out());
        for (Program p : Program.values()) {
            assertTrue(lines.contains(String.format("%-8s %-14s", p.command(), p.debianPackage())), r.out());
        }
    }

    @Test
    void theCheckPassesWhenPathHasThemAll() throws IOException {
        Run r = terway(List.of(Program.values()), "programs", "--check");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(dir.resolve("bin/sysctl").toString()), r.out());
        assertFalse(r.out().contains("MISSING"), r.out());
    }

    @Test
    void theCheckFailsNamingTheMissingProgramsAndTheirPackages() throws IOException {
        Run r = terway(allBut(Program.SYSCTL, Program.PING), "programs", "--check");
        assertEquals(TerwayCli.EXIT_FAILED, r.exit(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("sysctl") && l.endsWith("MISSING")), r.out());
        assertTrue(r.err().startsWith("terway: missing programs: sysctl (Debian package procps), ping (Debian package"
                + " iputils-ping)"), r.err());
    }

    @Test
    void setupChecksFirstAndRunsNothingWhenAProgramIsMissing() throws IOException {
        Run r = terway(allBut(Program.SYSCTL), "setup", "--state-dir", dir.resolve("state").toString());
        assertEquals(TerwayCli.EXIT_FAILED, r.exit(), r.out());
        assertTrue(r.err().startsWith("terway: missing programs: sysctl (Debian package procps);"), r.err());
        assertEquals(List.of(), ran, "nothing ran");
        assertFalse(Files.exists(dir.resolve("state")));
    }

    @Test
    void runChecksBeforeSetupAndTheDaemon() throws IOException {
        Run r = terway(allBut(Program.NSENTER), "run", "--state-dir", dir.resolve("state").toString());
        assertEquals(TerwayCli.EXIT_FAILED, r.exit(), r.out());
        assertEquals(1, r.err().lines().count(), "one message: " + r.err());
        assertTrue(r.err().startsWith("terway: missing programs: nsenter (Debian package util-linux);"), r.err());
        assertEquals(List.of(), ran, "nothing ran");
    }

    @Test
    void withEveryProgramSetupGoesOnToReadTheHost() throws IOException {
        Run r = terway(List.of(Program.values()), "setup", "--state-dir", dir.resolve("state").toString());
        assertEquals(TerwayCli.EXIT_FAILED, r.exit(), "the scripted host fails every command");
        assertEquals("ip", ran.get(0).get(0), r.err());
    }
}
