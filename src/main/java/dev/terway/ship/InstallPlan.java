package dev.terway.ship;

import java.util.List;

/** The ordered changes an install or uninstall makes; empty when the node is already as desired. */
public record InstallPlan(List<InstallAction> actions) {

    public InstallPlan {
        actions = List.copyOf(actions);
    }

    public boolean isEmpty() {
        return actions.isEmpty();
    }

    /** The plan as a shell script: each action's reason as a comment, then its commands. */
    public String render() {
        if (actions.isEmpty()) {
            return "# nothing to do: the desired state is already in place\n";
        }
        StringBuilder out = new StringBuilder();
        for (InstallAction action : actions) {
            // A newline in a reason would end the comment and turn the rest into a command.
            out.append("# ").append(action.reason().replaceAll("[\\r\\n]+", " ")).append('\n');
            action.shell().forEach(line -> out.append(line).append('\n'));
        }
        return out.toString();
    }
}
