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
            out.append(ShellQuote.join(step.argv())).append('\n');
        }
        return out.toString();
    }
}
