package dev.terway.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version recorded in the jar manifest, or "development" when run from classes. */
public final class TerwayVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"terway " + version()};
    }

    /** The version alone: {@code 0.1.0-SNAPSHOT}, or {@code development}. */
    public static String version() {
        String v = TerwayVersion.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
