package dev.terway.cni.json;

/** Text that is not the JSON {@link MiniJson} accepts; the message names the position and the cause. */
public final class JsonSyntaxException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int offset;

    public JsonSyntaxException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    /** Character offset in the text where reading stopped. */
    public int offset() {
        return offset;
    }
}
