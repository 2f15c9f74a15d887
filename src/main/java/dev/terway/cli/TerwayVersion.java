package dev.terway.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version recorded in the jar manifest, or "development" when run from classes. */
public final class TerwayVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = TerwayVersion.class.getPackage().getImplementationVersion();
        return new String[] {"terway " + (v == null ? "development" : v)};
    }
}
