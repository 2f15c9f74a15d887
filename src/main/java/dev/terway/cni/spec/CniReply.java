package dev.terway.cni.spec;

import dev.terway.cni.json.JsonText;

/**
 * What `cni-terway` must do at the end: exit with {@code exitCode} after printing {@code stdout}. The same
 * pair travels over the daemon socket as the answer's status and body (docs/protocol.md).
 */
public final class CniReply {

    private final int exitCode;
    private final String stdout;

    public CniReply(int exitCode, String stdout) {
        this.exitCode = exitCode;
        this.stdout = stdout;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stdout() {
        return stdout;
    }

    public static CniReply success(String stdout) {
        return new CniReply(0, stdout);
    }

    /** Success with nothing on stdout, as DEL, CHECK, GC and STATUS answer. */
    public static CniReply empty() {
        return new CniReply(0, "");
    }

    /**
     * An error result: {@code {"cniVersion","code","msg","details"}} on stdout and a non-zero exit. The
     * exit code is 1 for every error, as the reference plugins do; the runtime reads the code from the JSON.
     */
    public static CniReply error(String cniVersion, int code, String msg, String details) {
        StringBuilder json = new StringBuilder(128);
        json.append("{\"cniVersion\":").append(JsonText.quote(cniVersion))
                .append(",\"code\":").append(code)
                .append(",\"msg\":").append(JsonText.quote(msg == null ? "" : msg));
        if (details != null && !details.isEmpty()) {
            json.append(",\"details\":").append(JsonText.quote(details));
        }
        json.append("}\n");
        return new CniReply(1, json.toString());
    }

    @Override
    public String toString() {
        return "CniReply[exitCode=" + exitCode + ", stdout=" + stdout + "]";
    }
}
