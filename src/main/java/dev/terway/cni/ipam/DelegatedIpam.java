package dev.terway.cni.ipam;

import dev.terway.cni.json.JsonNumber;
import dev.terway.cni.json.JsonSyntaxException;
import dev.terway.cni.json.MiniJson;
import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.ResultReader;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs another CNI IPAM plugin (host-local, static, …) found on CNI_PATH, as the specification's
 * delegation works: the same environment with the verb set, the same configuration on stdin. Its error
 * results are passed on with their code.
 */
public final class DelegatedIpam {

    /** Runs a plugin binary; an interface so tests can stand in for real plugins. */
    public interface PluginExec {
        Outcome run(Path binary, Map<String, String> env, String stdin, Duration timeout) throws IOException;
    }

    /** A finished plugin run. */
    public record Outcome(int exitCode, String stdout, String stderr) {
    }

    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PluginExec exec;

    public DelegatedIpam(PluginExec exec) {
        this.exec = exec;
    }

    public static DelegatedIpam processes() {
        return new DelegatedIpam(DelegatedIpam::runProcess);
    }

    /** ADD: the plugin's result (addresses, routes, DNS). */
    public CniResult add(CniRequest request, String type) throws CniException {
        String out = call("ADD", request, type);
        try {
            return ResultReader.read(MiniJson.parseObject(out), "ipam result");
        } catch (JsonSyntaxException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE,
                    "IPAM plugin " + type + " printed an unreadable result: " + e.getMessage(), out);
        }
    }

    public void del(CniRequest request, String type) throws CniException {
        call("DEL", request, type);
    }

    public void check(CniRequest request, String type) throws CniException {
        call("CHECK", request, type);
    }

    public void gc(CniRequest request, String type) throws CniException {
        call("GC", request, type);
    }

    /** The plugin's executable: the first match on CNI_PATH. */
    public static Path find(String type, String cniPath) throws CniException {
        if (cniPath.isEmpty()) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "CNI_PATH is empty, so IPAM plugin " + type + " cannot be found");
        }
        List<String> searched = new ArrayList<>();
        for (String dir : cniPath.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, type);
            searched.add(dir);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "IPAM plugin \"" + type + "\" (ipam.type) is not on CNI_PATH", "searched " + String.join(":", searched));
    }

    private String call(String verb, CniRequest request, String type) throws CniException {
        Path binary = find(type, request.cniPath());
        Map<String, String> env = new java.util.HashMap<>(request.invocation().env());
        env.remove(CniInvocation.TERWAY_DRY_RUN);
        env.put(CniInvocation.CNI_COMMAND, verb);
        Outcome outcome;
        try {
            outcome = exec.run(binary, env, request.invocation().stdin(), TIMEOUT);
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot run IPAM plugin " + binary + " for " + verb
                    + ": " + e.getMessage());
        }
        if (outcome.exitCode() == 0) {
            return outcome.stdout();
        }
        // Pass the plugin's own error on, code included, as the reference plugins do.
        try {
            Map<String, Object> error = MiniJson.parseObject(outcome.stdout());
            int code = error.get("code") instanceof JsonNumber n && n.isIntegral()
                    ? (int) Math.min(Integer.MAX_VALUE, Math.max(0, n.longValueExact())) : CniErrorCode.INTERNAL;
            String msg = error.get("msg") instanceof String s ? s : "failed";
            String details = error.get("details") instanceof String d ? d : "";
            throw new CniException(code, "IPAM plugin " + type + " " + verb + ": " + msg, details);
        } catch (JsonSyntaxException | NumberFormatException e) {
            throw new CniException(CniErrorCode.INTERNAL, "IPAM plugin " + type + " " + verb + " exited "
                    + outcome.exitCode(), (outcome.stdout() + "\n" + outcome.stderr()).strip());
        }
    }

    private static Outcome runProcess(Path binary, Map<String, String> env, String stdin, Duration timeout)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(binary.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // a plugin that exits without reading stdin is judged by its exit code
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(binary + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Outcome(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + binary, e);
        }
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
