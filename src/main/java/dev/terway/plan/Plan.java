package dev.terway.plan;

import java.util.ArrayList;
import java.util.List;

/** An ordered list of steps computed from observed and desired state; running it is someone else's job. */
public record Plan(List<Step> steps) {

    public Plan {
        steps = List.copyOf(steps);
    }

    public static Plan empty() {
        return new Plan(List.of());
    }

    public boolean isEmpty() {
        return steps.isEmpty();
    }

    public Plan then(Plan next) {
        List<Step> all = new ArrayList<>(steps);
        all.addAll(next.steps);
        return new Plan(all);
    }

    /** Collects steps in order; plan builders use it so the order of calls is the order of commands. */
    public static final class Builder {
        private final List<Step> steps = new ArrayList<>();

        public Builder add(Step step) {
            steps.add(step);
            return this;
        }

        public Builder addAll(Plan plan) {
            steps.addAll(plan.steps());
            return this;
        }

        public Plan build() {
            return new Plan(steps);
        }
    }

    public static Builder builder() {
        return new Builder();
    }
}
