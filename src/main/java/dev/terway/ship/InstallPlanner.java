package dev.terway.ship;

import dev.terway.plan.ShellQuote;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code plan = f(installed, desired)} for `terway install` and `terway uninstall`. Pure: reads nothing,
 * changes nothing.
 *
 * <p>Install order is what makes an upgrade safe for plugin calls in flight: (1) the new runtime appears
 * under its own versioned directory, (2) the launcher is renamed over the old one, so a call starts
 * either the whole old or the whole new runtime, (3) the conflist, (4) only then older runtimes go. The
 * runtime the launcher pointed to before this install is kept until the next one: a call that started
 * just before the switch may still be loading classes, libraries or, for an in-process DEL, jars from it.
 */
public final class InstallPlanner {

    /** First comment line of the launcher; it says which runtime the launcher runs. */
    static final String MARKER = "# cni-terway: the terway CNI plugin, written by `terway install` (runtime %s).";
    private static final Pattern MARKER_PATTERN = Pattern.compile(
            "(?m)^# cni-terway: the terway CNI plugin, written by `terway install` \\(runtime ([A-Za-z0-9._-]+)\\)\\.$");

    private InstallPlanner() {
    }

    /** What install changes to run {@code image} from {@code target} with {@code conflist} as the network config. */
    public static InstallPlan install(InstalledState installed, RuntimeImage image, InstallTarget target,
                                      String conflist, boolean force) throws InstallException {
        if (installed.launcherForeign()) {
            throw new InstallException("cannot install the cni-terway launcher: " + target.launcher()
                    + " exists and is not a regular file; remove it first");
        }
        Optional<String> previous = installed.launcher().flatMap(InstallPlanner::runtimeOf);
        if (installed.launcher().isPresent() && previous.isEmpty() && !force) {
            throw new InstallException("cannot install the cni-terway launcher: " + target.launcher()
                    + " exists and was not written by `terway install`; pass --force to replace it");
        }
        List<InstallAction> actions = new ArrayList<>();
        for (Path leftover : installed.leftovers()) {
            actions.add(new InstallAction.RemoveTree(leftover, "left over from an install that was interrupted"));
        }
        String id = image.id();
        if (!installed.runtimeIds().contains(id)) {
            actions.add(new InstallAction.CopyRuntime(image.root(), target.staging(id), target.runtime(id),
                    "install runtime " + id + " (Java " + image.javaVersion() + ", " + image.archive()
                            + " archive) beside the others, under its own name"));
        }
        String launcher = launcher(target.runtime(id), id);
        if (!installed.launcher().equals(Optional.of(launcher))) {
            actions.add(new InstallAction.WriteFile(target.launcher(), launcher, "755",
                    previous.isPresent() && !previous.get().equals(id)
                            ? "switch cni-terway from runtime " + previous.get() + " to " + id + " in one rename"
                            : "the cni-terway executable the container runtime runs, using runtime " + id));
        }
        if (!installed.conflist().equals(Optional.of(conflist))) {
            actions.add(new InstallAction.WriteFile(target.conflist(), conflist, "644",
                    "the network configuration the container runtime reads"));
        }
        for (String old : installed.runtimeIds()) {
            if (!old.equals(id) && !previous.equals(Optional.of(old))) {
                actions.add(new InstallAction.RemoveTree(target.runtime(old),
                        "runtime " + old + " is no longer used (neither the new nor the one just replaced)"));
            }
        }
        return new InstallPlan(actions);
    }

    /**
     * What uninstall removes: the conflist and launcher if install wrote them, and every runtime. Refused while
     * the node is still {@code bridged} (unless {@code keepBridge}): `terway teardown` runs from the runtimes
     * uninstall removes, so the order is teardown, then uninstall.
     */
    public static InstallPlan uninstall(InstalledState installed, InstallTarget target, Optional<BridgedNode> bridged,
                                        boolean keepBridge, List<String> warnings) throws InstallException {
        List<InstallAction> actions = new ArrayList<>();
        Optional<String> conflist = installed.conflist();
        if (conflist.isPresent()) {
            if (NetworkSettings.configuresTerway(conflist.get())) {
                actions.add(new InstallAction.RemoveFile(target.conflist(),
                        "first the network configuration, so the container runtime stops calling the plugin"));
            } else {
                warnings.add("kept " + target.conflist() + ": it does not configure " + NetworkSettings.PLUGIN_TYPE
                        + " as `terway install` writes it");
            }
        }
        if (installed.launcher().isPresent()) {
            if (runtimeOf(installed.launcher().get()).isPresent()) {
                actions.add(new InstallAction.RemoveFile(target.launcher(), "the cni-terway launcher"));
            } else {
                warnings.add("kept " + target.launcher() + ": it was not written by `terway install`");
            }
        } else if (installed.launcherForeign()) {
            warnings.add("kept " + target.launcher() + ": it is not a regular file, so not written by `terway install`");
        }
        if (installed.runtimesDirExists()) {
            actions.add(new InstallAction.RemoveTree(target.runtimes(),
                    installed.runtimeIds().isEmpty() ? "the runtimes directory"
                            : "the runtimes " + String.join(", ", installed.runtimeIds())));
        }
        if (bridged.isPresent() && !actions.isEmpty()) {
            BridgedNode node = bridged.get();
            if (!keepBridge) {
                String here = installed.launcher().flatMap(InstallPlanner::runtimeOf)
                        .filter(installed.runtimeIds()::contains)
                        .map(id -> ShellQuote.quote(target.runtime(id).resolve("bin/terway").toString()))
                        .orElse("terway");
                throw new InstallException("cannot uninstall: the node is still bridged by terway (" + node.what()
                        + "), and `terway teardown` runs from the runtime uninstall would remove. Run `"
                        + node.teardown(here) + "` first (from this same runtime, or `terway teardown` from the"
                        + " image), then uninstall; or pass --keep-bridge to uninstall anyway and leave the node"
                        + " bridged");
            }
            warnings.add("the node stays bridged (" + node.what() + "): --keep-bridge; to undo it later, run `"
                    + node.teardown("terway") + "` from the image or a source checkout");
        }
        return new InstallPlan(actions);
    }

    /** The launcher: a POSIX sh script that runs the versioned runtime's own cni-terway. */
    static String launcher(Path runtimeDir, String id) {
        return "#!/bin/sh\n"
                + String.format(MARKER, id) + "\n"
                + "# It runs the self-contained runtime below (no java needed on the host); `terway uninstall`\n"
                + "# removes this file and the runtimes.\n"
                + "exec " + ShellQuote.quote(runtimeDir.resolve("bin/cni-terway").toString()) + " \"$@\"\n";
    }

    /** The runtime id a launcher written by install runs, or empty for any other file. */
    static Optional<String> runtimeOf(String launcherText) {
        Matcher m = MARKER_PATTERN.matcher(launcherText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
