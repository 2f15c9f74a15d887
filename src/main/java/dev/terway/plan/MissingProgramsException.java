package dev.terway.plan;

import java.util.List;
import java.util.stream.Collectors;

/** Programs terway runs ({@link Program}) are not installed where it looks for them. */
public final class MissingProgramsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<Program> missing;

    public MissingProgramsException(List<Program> missing, String where) {
        super(describe(missing, where));
        this.missing = List.copyOf(missing);
    }

    public List<Program> missing() {
        return missing;
    }

    private static String describe(List<Program> missing, String where) {
        return "missing programs: " + missing.stream()
                .map(p -> p.command() + " (Debian package " + p.debianPackage() + ")")
                .collect(Collectors.joining(", "))
                + "; not found on " + where + ". The terway image carries every program terway runs; elsewhere"
                + " install " + missing.stream().map(Program::debianPackage).distinct()
                        .collect(Collectors.joining(" ")) + " (`terway programs --check` lists them all)";
    }
}
