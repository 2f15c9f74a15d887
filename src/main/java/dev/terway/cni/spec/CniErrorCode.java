package dev.terway.cni.spec;

/**
 * The error codes of the CNI specification (0–99 well-known) and terway's own (100+), as plain ints
 * because they are what the runtime reads from the result.
 */
public final class CniErrorCode {

    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENVIRONMENT = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODING_FAILURE = 6;
    public static final int INVALID_NETWORK_CONFIG = 7;
    public static final int TRY_AGAIN_LATER = 11;
    public static final int PLUGIN_NOT_AVAILABLE = 50;
    public static final int PLUGIN_NOT_AVAILABLE_LIMITED = 51;

    /** A command of the ADD plan failed; every step before it was undone. */
    public static final int SETUP_FAILED = 100;
    /** CHECK found the attachment different from its prevResult. */
    public static final int CHECK_FAILED = 101;
    /** The node is not prepared: the bridge `terway setup` creates is missing. */
    public static final int NODE_NOT_SET_UP = 102;
    /** DEL or GC could not remove something that is still there. */
    public static final int TEARDOWN_FAILED = 103;
    /** An unexpected failure inside terway (a bug); the details carry the cause. */
    public static final int INTERNAL = 999;

    private CniErrorCode() {
    }
}
