package dev.terway.cni;

import java.nio.file.Files;
import java.nio.file.Path;
import dev.terway.it.FedCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the real `bin/cni-terway` the way a container runtime does: inside the node's network namespace,
 * a clean environment holding only CNI_* (and PATH), the network configuration on stdin.
 */
final class CniRuntime {

    private CniRuntime() {
    }

    static Path home() {
        Path home = Path.of(System.getProperty("terway.home", System.getProperty("user.dir")));
        if (!Files.isDirectory(home.resolve("target/classes")) || !Files.isDirectory(home.resolve("target/lib"))) {
            throw new IllegalStateException("terway is not built in " + home + ": run `mvn -B -DskipTests package`");
        }
        return home;
    }

    /** One invocation's environment; null values are left out (a runtime that does not set them). */
    static Map<String, String> env(String command, String containerId, String netns, String ifname, String args) {
        Map<String, String> env = new LinkedHashMap<>();
        put(env, "CNI_COMMAND", command);
        put(env, "CNI_CONTAINERID", containerId);
        put(env, "CNI_NETNS", netns);
        put(env, "CNI_IFNAME", ifname);
        put(env, "CNI_ARGS", args);
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) {
            env.put(key, value);
        }
    }

    static Result invoke(String nodeNs, Map<String, String> cniEnv, String stdin) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", nodeNs,
                home().resolve("bin/cni-terway").toString()));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.putAll(cniEnv);
        FedCommand.Outcome o = FedCommand.run(argv, Optional.of(env), stdin, Duration.ofSeconds(120));
        return new Result(cniEnv, o.exit(), o.stdout(), o.stderr(), o.millis());
    }

    record Result(Map<String, String> env, int exit, String stdout, String stderr, long millis) {
        String describe() {
            return env + "\n  exit " + exit + " in " + millis + " ms\n  stdout: " + stdout.strip() + "\n  stderr: "
                    + stderr.strip();
        }
    }
}
