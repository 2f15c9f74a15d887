package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry of programs terway runs, and the runner that runs nothing else. */
class ProgramTest {

    private final ExecCommandRunner terway = ExecCommandRunner.registeredOnly(Duration.ofSeconds(10));

    @Test
    void theRegistryNamesEachProgramOnceWithItsPackage() {
        List<String> commands = Arrays.stream(Program.values()).map(Program::command).toList();
        assertEquals(commands.size(), commands.stream().distinct().count(), commands.toString());
        for (Program p : Program.values()) {
            assertEquals(p, Program.named(p.command()).orElseThrow());
            assertTrue(p.debianPackage().matches("[a-z0-9][a-z0-9.+-]+"), p.debianPackage());
        }
        assertEquals(List.of("ip", "link", "show"), Program.IP.argv("link", "show"));
        assertEquals(List.of("ip", "-batch", "-"), Program.IP.argv(List.of("-batch", "-")));
    }

    @Test
    void aRegisteredProgramIsRun() {
        CommandResult r = assertDoesNotThrow(() -> terway.run(List.of("ip", "-V")));
        assertEquals(List.of("ip", "-V"), r.argv());
        assertDoesNotThrow(() -> Program.requireRegistered(List.of("sysctl", "-n", "net.ipv6.conf.lo.mtu")));
        assertDoesNotThrow(() -> Program.requireRegistered(List.of("ip", "-batch", "-")));
    }

    @Test
    void anUnregisteredProgramIsRefusedBeforeItStarts(@TempDir Path dir) {
        Path made = dir.resolve("made");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> terway.run(List.of("touch", made.toString())));
        assertTrue(e.getMessage().contains("`touch`"), e.getMessage());
        assertTrue(e.getMessage().contains("dev.terway.plan.Program"), e.getMessage());
        assertFalse(Files.exists(made), "refused, not started");
        assertThrows(IllegalArgumentException.class, () -> terway.run(List.of("wc", "-l"), "fed\n"));
        // The registry names programs, found on PATH; a path would go around both the registry and the check.
        assertThrows(IllegalArgumentException.class, () -> terway.run(List.of("/usr/sbin/ip", "-V")));
    }

    @Test
    void theProgramNsenterRunsIsCheckedToo() {
        assertEquals(List.of("nsenter", "ip"), Program.programsOf(List.of("nsenter", "--net=/run/netns/a", "ip",
                "-j", "addr", "show")));
        assertEquals(List.of("nsenter", "ip"), Program.programsOf(List.of("nsenter", "-t", "1", "-n", "ip", "-V")));
        assertEquals(List.of("nsenter", "ip"), Program.programsOf(List.of("nsenter", "-n/proc/1/ns/net", "--", "ip")));
        assertEquals(List.of("nsenter", "nsenter", "wc"), Program.programsOf(List.of("nsenter", "--net=/a",
                "nsenter", "--mount=/b", "wc", "-l")));
        assertDoesNotThrow(() -> Program.requireRegistered(List.of("nsenter", "--net=/proc/1/ns/net", "ip", "-V")));
        IllegalArgumentException inner = assertThrows(IllegalArgumentException.class,
                () -> terway.run(List.of("nsenter", "--net=/proc/1/ns/net", "sh", "-c", "true")));
        assertTrue(inner.getMessage().contains("`sh`"), inner.getMessage());
        IllegalArgumentException byTarget = assertThrows(IllegalArgumentException.class,
                () -> terway.run(List.of("nsenter", "-t", "1", "-n", "wc")));
        assertTrue(byTarget.getMessage().contains("`wc`"), byTarget.getMessage());
        IllegalArgumentException shell = assertThrows(IllegalArgumentException.class,
                () -> terway.run(List.of("nsenter", "--net=/proc/1/ns/net")));
        assertTrue(shell.getMessage().contains("shell"), shell.getMessage());
    }
}
