package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class InstallPlannerTest {

    private static final InstallTarget TARGET = new InstallTarget(Path.of("/host/opt/cni/bin"),
            Path.of("/host/etc/cni/net.d"));
    private static final RuntimeImage NEW = new RuntimeImage(Path.of("/opt/terway"), "0.2.0-bbbb", "0.2.0",
            "25.0.3", "aot");
    private static final String CONFLIST = "{\"cniVersion\":\"1.1.0\",\"name\":\"terway\",\"plugins\":[{\"type\":\"cni-terway\"}]}\n";

    private static InstalledState state(Optional<String> launcher, Optional<String> conflist, Set<String> ids,
                                        List<Path> leftovers) {
        return new InstalledState(launcher, false, conflist, new TreeSet<>(ids), leftovers, !ids.isEmpty());
    }

    private static String launcherFor(String id) {
        return InstallPlanner.launcher(TARGET.runtime(id), id);
    }

    @Test
    void freshInstallCopiesTheRuntimeThenSwitchesTheLauncherThenWritesTheConfig() throws Exception {
        InstallPlan plan = InstallPlanner.install(InstalledState.empty(), NEW, TARGET, CONFLIST, false);
        assertEquals(3, plan.actions().size(), plan.render());
        var copy = assertInstanceOf(InstallAction.CopyRuntime.class, plan.actions().get(0));
        assertEquals(Path.of("/host/opt/cni/bin/terway-runtime/0.2.0-bbbb"), copy.destination());
        assertEquals(Path.of("/host/opt/cni/bin/terway-runtime/.staging-0.2.0-bbbb"), copy.staging());
        var launcher = assertInstanceOf(InstallAction.WriteFile.class, plan.actions().get(1));
        assertEquals(TARGET.launcher(), launcher.path());
        assertEquals("755", launcher.mode());
        assertTrue(launcher.content().contains("exec /host/opt/cni/bin/terway-runtime/0.2.0-bbbb/bin/cni-terway \"$@\""),
                launcher.content());
        var conf = assertInstanceOf(InstallAction.WriteFile.class, plan.actions().get(2));
        assertEquals(TARGET.conflist(), conf.path());
        assertEquals(CONFLIST, conf.content());
    }

    @Test
    void reinstallOfTheSameRuntimeAndConfigIsANoOp() throws Exception {
        InstalledState installed = state(Optional.of(launcherFor(NEW.id())), Optional.of(CONFLIST), Set.of(NEW.id()),
                List.of());
        InstallPlan plan = InstallPlanner.install(installed, NEW, TARGET, CONFLIST, false);
        assertTrue(plan.isEmpty(), plan.render());
        assertTrue(plan.render().startsWith("# nothing to do"));
    }

    @Test
    void reinstallThatChangesOnlyTheConflistRewritesOnlyTheConflist() throws Exception {
        InstalledState installed = state(Optional.of(launcherFor(NEW.id())), Optional.of(CONFLIST), Set.of(NEW.id()),
                List.of());
        String chained = "{\"cniVersion\":\"1.0.0\",\"name\":\"terway\",\"plugins\":[{\"type\":\"cni-terway\"},"
                + "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},\"snat\":true}]}\n";
        InstallPlan plan = InstallPlanner.install(installed, NEW, TARGET, chained, false);
        assertEquals(1, plan.actions().size(), plan.render());
        var conf = assertInstanceOf(InstallAction.WriteFile.class, plan.actions().get(0));
        assertEquals(TARGET.conflist(), conf.path());
        assertEquals(chained, conf.content());
    }

    @Test
    void upgradeKeepsTheReplacedRuntimeAndRemovesOlderOnesOnlyAfterTheSwitch() throws Exception {
        InstalledState installed = state(Optional.of(launcherFor("0.1.0-aaaa")), Optional.of(CONFLIST),
                Set.of("0.0.9-zzzz", "0.1.0-aaaa"), List.of());
        InstallPlan plan = InstallPlanner.install(installed, NEW, TARGET, CONFLIST, false);
        List<InstallAction> a = plan.actions();
        assertEquals(3, a.size(), plan.render());
        assertInstanceOf(InstallAction.CopyRuntime.class, a.get(0));
        var launcher = assertInstanceOf(InstallAction.WriteFile.class, a.get(1));
        assertTrue(launcher.reason().contains("from runtime 0.1.0-aaaa to 0.2.0-bbbb"), launcher.reason());
        var remove = assertInstanceOf(InstallAction.RemoveTree.class, a.get(2));
        assertEquals(TARGET.runtime("0.0.9-zzzz"), remove.path());
    }

    @Test
    void leftoversOfAnInterruptedInstallGoFirst() throws Exception {
        Path leftover = TARGET.staging("0.2.0-bbbb");
        InstallPlan plan = InstallPlanner.install(state(Optional.empty(), Optional.empty(), Set.of(),
                List.of(leftover)), NEW, TARGET, CONFLIST, false);
        var remove = assertInstanceOf(InstallAction.RemoveTree.class, plan.actions().get(0));
        assertEquals(leftover, remove.path());
    }

    @Test
    void aForeignLauncherIsReplacedOnlyWithForce() throws Exception {
        InstalledState installed = state(Optional.of("#!/bin/sh\nexec /usr/local/bin/something-else\n"),
                Optional.empty(), Set.of(), List.of());
        InstallException e = assertThrows(InstallException.class,
                () -> InstallPlanner.install(installed, NEW, TARGET, CONFLIST, false));
        assertTrue(e.getMessage().contains(TARGET.launcher().toString()) && e.getMessage().contains("--force"),
                e.getMessage());
        InstallPlan forced = InstallPlanner.install(installed, NEW, TARGET, CONFLIST, true);
        assertTrue(forced.actions().stream().anyMatch(x -> x instanceof InstallAction.WriteFile w
                && w.path().equals(TARGET.launcher())));
    }

    @Test
    void aLauncherThatIsNotARegularFileIsRefused() {
        InstalledState installed = new InstalledState(Optional.empty(), true, Optional.empty(), new TreeSet<>(),
                List.of(), false);
        InstallException e = assertThrows(InstallException.class,
                () -> InstallPlanner.install(installed, NEW, TARGET, CONFLIST, true));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void theLauncherNamesItsRuntimeAndQuotesOddPaths() {
        String text = InstallPlanner.launcher(Path.of("/opt/my cni/terway-runtime/0.1.0-aaaa"), "0.1.0-aaaa");
        assertEquals(Optional.of("0.1.0-aaaa"), InstallPlanner.runtimeOf(text));
        assertTrue(text.contains("exec '/opt/my cni/terway-runtime/0.1.0-aaaa/bin/cni-terway' \"$@\""), text);
        assertTrue(text.startsWith("#!/bin/sh\n"));
        assertEquals(Optional.empty(), InstallPlanner.runtimeOf("#!/bin/sh\nexec true\n"));
    }

    @Test
    void uninstallRemovesConfigFirstThenLauncherThenRuntimes() throws Exception {
        InstalledState installed = state(Optional.of(launcherFor("0.1.0-aaaa")), Optional.of(CONFLIST),
                Set.of("0.1.0-aaaa", "0.2.0-bbbb"), List.of());
        List<String> warnings = new ArrayList<>();
        List<InstallAction> a = InstallPlanner.uninstall(installed, TARGET, Optional.empty(), false, warnings)
                .actions();
        assertEquals(List.of(), warnings);
        assertEquals(3, a.size());
        assertEquals(TARGET.conflist(), assertInstanceOf(InstallAction.RemoveFile.class, a.get(0)).path());
        assertEquals(TARGET.launcher(), assertInstanceOf(InstallAction.RemoveFile.class, a.get(1)).path());
        assertEquals(TARGET.runtimes(), assertInstanceOf(InstallAction.RemoveTree.class, a.get(2)).path());
    }

    private static final BridgedNode BRIDGED = new BridgedNode(Path.of("/var/lib/terway"),
            "eth0 is bridged into mybr0 (record /var/lib/terway/setup.json)");

    @Test
    void uninstallIsRefusedWhileTheNodeIsBridgedNamingTheTeardownOfThisRuntime() {
        InstalledState installed = state(Optional.of(launcherFor("0.2.0-bbbb")), Optional.of(CONFLIST),
                Set.of("0.1.0-aaaa", "0.2.0-bbbb"), List.of());
        InstallException e = assertThrows(InstallException.class, () -> InstallPlanner.uninstall(installed, TARGET,
                Optional.of(BRIDGED), false, new ArrayList<>()));
        assertEquals("cannot uninstall: the node is still bridged by terway (eth0 is bridged into mybr0 (record"
                + " /var/lib/terway/setup.json)), and `terway teardown` runs from the runtime uninstall would remove."
                + " Run `/host/opt/cni/bin/terway-runtime/0.2.0-bbbb/bin/terway teardown` first (from this same"
                + " runtime, or `terway teardown` from the image), then uninstall; or pass --keep-bridge to uninstall"
                + " anyway and leave the node bridged", e.getMessage());
    }

    @Test
    void theRefusalNamesANonDefaultStateDirAndAPlainTerwayWhenNoRuntimeIsKnown() {
        InstalledState installed = state(Optional.empty(), Optional.of(CONFLIST), Set.of(), List.of());
        BridgedNode node = new BridgedNode(Path.of("/srv/terway state"), "eth0 is bridged into mybr0");
        InstallException e = assertThrows(InstallException.class, () -> InstallPlanner.uninstall(installed, TARGET,
                Optional.of(node), false, new ArrayList<>()));
        assertTrue(e.getMessage().contains("Run `terway teardown --state-dir '/srv/terway state'` first"),
                e.getMessage());
    }

    @Test
    void keepBridgeUninstallsAnywayAndSaysTheNodeStaysBridged() throws Exception {
        InstalledState installed = state(Optional.of(launcherFor("0.1.0-aaaa")), Optional.of(CONFLIST),
                Set.of("0.1.0-aaaa"), List.of());
        List<String> warnings = new ArrayList<>();
        InstallPlan kept = InstallPlanner.uninstall(installed, TARGET, Optional.of(BRIDGED), true, warnings);
        assertEquals(InstallPlanner.uninstall(installed, TARGET, Optional.empty(), false, new ArrayList<>()).actions(),
                kept.actions());
        assertEquals(List.of("the node stays bridged (eth0 is bridged into mybr0 (record /var/lib/terway/setup.json)):"
                + " --keep-bridge; to undo it later, run `terway teardown` from the image or a source checkout"),
                warnings);
    }

    @Test
    void aBridgedNodeWithNothingInstalledIsNothingToDo() throws Exception {
        InstallPlan plan = InstallPlanner.uninstall(InstalledState.empty(), TARGET, Optional.of(BRIDGED), false,
                new ArrayList<>());
        assertTrue(plan.isEmpty(), plan.render());
    }

    @Test
    void uninstallKeepsFilesItDidNotWriteAndSaysSo() throws Exception {
        InstalledState installed = state(Optional.of("#!/bin/sh\nexec other\n"),
                Optional.of("{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"bridge\"}]}"), Set.of(),
                List.of());
        List<String> warnings = new ArrayList<>();
        InstallPlan plan = InstallPlanner.uninstall(installed, TARGET, Optional.empty(), false, warnings);
        assertTrue(plan.isEmpty(), plan.render());
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(TARGET.conflist().toString()), warnings.toString());
        assertTrue(warnings.get(1).contains(TARGET.launcher().toString()), warnings.toString());
    }

    @Test
    void dryRunTextIsAShellScriptWithReasonsAsComments() throws Exception {
        String text = InstallPlanner.install(InstalledState.empty(), NEW, TARGET, CONFLIST, false).render();
        assertTrue(text.startsWith("# install runtime 0.2.0-bbbb"), text);
        assertTrue(text.contains("mv -T /host/opt/cni/bin/.cni-terway.tmp /host/opt/cni/bin/cni-terway\n"), text);
        assertTrue(text.contains("cat > /host/etc/cni/net.d/.10-terway.conflist.tmp <<'TERWAY_EOF'\n" + CONFLIST
                + "TERWAY_EOF\n"), text);
    }
}
