package dev.terway.cni;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        String javaHome = System.getProperty("java.home");
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().putAll(cniEnv);
        long start = System.nanoTime();
        try {
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // judged by the exit code
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("cni-terway did not finish within 120 s: " + cniEnv);
            }
            return new Result(cniEnv, p.exitValue(), out.join(), err.join(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    record Result(Map<String, String> env, int exit, String stdout, String stderr, long millis) {
        String describe() {
            return env + "\n  exit " + exit + " in " + millis + " ms\n  stdout: " + stdout.strip() + "\n  stderr: "
                    + stderr.strip();
        }
    }
}
