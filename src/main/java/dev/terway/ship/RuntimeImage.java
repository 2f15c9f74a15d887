package dev.terway.ship;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A terway runtime directory as bin/build-runtime writes it: a jlink-ed JRE, the application, the
 * cni-terway class-data archive and POSIX sh launchers, described by {@code runtime.properties}.
 *
 * @param id      version and content hash; the installed copy is named after it
 * @param archive {@code aot} (JDK 25+ AOT cache) or {@code appcds} (JDK 17 static AppCDS archive)
 */
public record RuntimeImage(Path root, String id, String version, String javaVersion, String archive) {

    public static final String PROPERTIES = "runtime.properties";
    /** The system property the runtime's bin/terway sets to the runtime it runs from. */
    public static final String SELF_PROPERTY = "terway.runtime";
    /** The system property bin/terway sets to the source checkout it runs from (target/classes). */
    public static final String CHECKOUT_PROPERTY = "terway.checkout";
    /** Where `mvn package` (bin/build-runtime) builds the runtime in a source checkout. */
    public static final String CHECKOUT_RUNTIME = "target/terway-runtime";
    /** Files every runtime has; a directory without them is not one. */
    public static final List<String> REQUIRED = List.of("jre/bin/java", "bin/cni-terway", "bin/terway",
            "bin/terway-probe", "app/terway.jar", "app/native/libterwaynet.so");

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** The runtime at {@code root}, checked: properties readable, id a safe directory name, files present. */
    public static RuntimeImage read(Path root) throws InstallException {
        Path file = root.resolve(PROPERTIES);
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new InstallException("cannot read the terway runtime at " + root + ": " + file
                    + " is not readable (" + e.getMessage() + "); build one with `mvn package` (bin/build-runtime)");
        }
        String id = p.getProperty("id", "");
        if (!ID.matcher(id).matches()) {
            throw new InstallException("cannot use the terway runtime at " + root + ": id '" + id + "' in " + file
                    + " is not a plain directory name");
        }
        for (String required : REQUIRED) {
            if (!Files.exists(root.resolve(required))) {
                throw new InstallException("cannot use the terway runtime at " + root + ": " + required
                        + " is missing");
            }
        }
        return new RuntimeImage(root, id, p.getProperty("version", "unknown"),
                p.getProperty("java.version", "unknown"), p.getProperty("archive", "none"));
    }

    /**
     * The runtime `terway install` copies when no --runtime is given: the runtime this terway runs from
     * ({@code self}, the {@value #SELF_PROPERTY} property), else the runtime `mvn package` built in the source
     * checkout this terway runs from ({@code checkout}, the {@value #CHECKOUT_PROPERTY} property), when that
     * directory exists. Empty when neither applies.
     */
    public static Optional<Path> defaultRoot(Optional<String> self, Optional<String> checkout) {
        Optional<String> runningFrom = self.filter(s -> !s.isBlank());
        if (runningFrom.isPresent()) {
            return runningFrom.map(Path::of);
        }
        return checkout.filter(c -> !c.isBlank()).map(c -> Path.of(c).resolve(CHECKOUT_RUNTIME))
                .filter(Files::isDirectory);
    }

    /** True when {@code name} could be a runtime id (installed runtime directories are named so). */
    public static boolean isId(String name) {
        return ID.matcher(name).matches();
    }
}
