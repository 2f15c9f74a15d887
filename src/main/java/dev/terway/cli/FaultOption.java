package dev.terway.cli;

import dev.terway.plan.FaultInjection;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --inject-fault}, hidden: the one way a test injects faults into setup, the daemon and `terway run`
 * (see {@link FaultInjection}). Parsed here, once, and passed down.
 */
public final class FaultOption {

    @Option(names = "--inject-fault", paramLabel = "FAULT=VALUE", hidden = true, converter = Converter.class,
            description = "Test hook, not for operators: pause-after-link=DURATION (the daemon's ADD pauses with"
                    + " the veth in place), fail-after-step=N (setup undoes its plan after N steps as if step N+1"
                    + " had failed). Repeatable; a process ignores the faults that are not its own.")
    List<FaultInjection> given = new ArrayList<>();

    /** Every --inject-fault given, merged (a later one wins where two set the same fault). */
    public FaultInjection faults() {
        return given.stream().reduce(FaultInjection.NONE, FaultInjection::and);
    }

    static final class Converter implements ITypeConverter<FaultInjection> {
        @Override
        public FaultInjection convert(String value) {
            try {
                return FaultInjection.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
