package dev.terway.jni;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads libterwaynet.so, the C half of {@link NetnsUdpSocket}, once per JVM.
 *
 * <p>Looks on {@code java.library.path} first (the launchers and the test runs set it to the build's
 * target/native), then in the directory named by the {@code terway.native.dir} system property, then
 * by the {@code TERWAY_NATIVE_DIR} environment variable. Failing all three it throws an
 * {@link UnsatisfiedLinkError} that lists every place it looked and why each failed.
 */
public final class NativeLibrary {

    public static final String NAME = "terwaynet";
    public static final String DIR_PROPERTY = "terway.native.dir";
    public static final String DIR_ENV = "TERWAY_NATIVE_DIR";

    private static final Object LOCK = new Object();
    private static String loadedFrom;

    private NativeLibrary() {
    }

    /**
     * Loads the library unless it already is.
     *
     * @throws UnsatisfiedLinkError naming every location tried, when none worked
     */
    public static void ensureLoaded() {
        synchronized (LOCK) {
            if (loadedFrom == null) {
                loadedFrom = load(NAME, System.getProperty(DIR_PROPERTY), System.getenv(DIR_ENV));
            }
        }
    }

    /** Where the library was loaded from, if it has been. */
    public static Optional<String> loadedFrom() {
        synchronized (LOCK) {
            return Optional.ofNullable(loadedFrom);
        }
    }

    /** Loads library {@code name} from the three places in order; returns where it was found. */
    static String load(String name, String propertyDir, String envDir) {
        List<String> failures = new ArrayList<>();
        try {
            System.loadLibrary(name);
            return "java.library.path=" + System.getProperty("java.library.path");
        } catch (UnsatisfiedLinkError e) {
            failures.add("java.library.path=" + System.getProperty("java.library.path") + ": " + e.getMessage());
        }
        for (String[] candidate : new String[][] {{"-D" + DIR_PROPERTY, propertyDir}, {"$" + DIR_ENV, envDir}}) {
            String dir = candidate[1];
            if (dir == null || dir.isBlank()) {
                failures.add(candidate[0] + ": not set");
                continue;
            }
            Path file = Path.of(dir).toAbsolutePath().resolve(System.mapLibraryName(name));
            if (!Files.isRegularFile(file)) {
                failures.add(candidate[0] + ": " + file + " does not exist");
                continue;
            }
            try {
                System.load(file.toString());
                return file.toString();
            } catch (UnsatisfiedLinkError e) {
                failures.add(candidate[0] + ": " + e.getMessage());
            }
        }
        throw new UnsatisfiedLinkError("cannot load the terway native library " + System.mapLibraryName(name)
                + " (build it with `mvn package`, which compiles src/main/c into target/native): tried "
                + String.join("; ", failures));
    }
}
