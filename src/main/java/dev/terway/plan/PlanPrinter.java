package dev.terway.plan;

/** Renders a plan as a shell script an operator can read, audit and paste. */
public final class PlanPrinter {

    private PlanPrinter() {
    }

    public static String render(Plan plan) {
        if (plan.isEmpty()) {
            return "# nothing to do: the desired state is already in place\n";
        }
        StringBuilder out = new StringBuilder();
        for (Step step : plan.steps()) {
            // A newline in a reason would end the comment and turn the rest into a command.
            out.append("# ").append(step.reason().replaceAll("[\\r\\n]+", " ")).append('\n');
            out.append(ShellQuote.join(step.argv()));
            if (step.input().isPresent()) {
                // A quoted here-document: the shell expands nothing in it, so it reaches the command as is.
                String text = step.input().get();
                String end = "EOF";
                while (text.lines().anyMatch(end::equals)) {
                    end += "_";
                }
                out.append(" <<'").append(end).append("'\n").append(text);
                if (!text.endsWith("\n")) {
                    out.append('\n');
                }
                out.append(end);
            }
            out.append('\n');
        }
        return out.toString();
    }
}
