package dev.terway.cni.spec;

/**
 * A failure that becomes a CNI error result: a well-known or terway code, a short message and optional
 * details. Thrown anywhere on the way from the environment to the plan and turned into JSON at the edge.
 */
public final class CniException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int code;
    private final String details;

    public CniException(int code, String message) {
        this(code, message, "");
    }

    public CniException(int code, String message, String details) {
        super(message);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public CniException(int code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.details = "";
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }

    /** The error result the specification prescribes, in the given version. */
    public CniReply toReply(String cniVersion) {
        return CniReply.error(cniVersion, code, getMessage(), details);
    }
}
