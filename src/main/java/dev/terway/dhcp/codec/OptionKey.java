package dev.terway.dhcp.codec;

/**
 * A registered option: its code, a human name for error messages and the codec of its value. The
 * instances live in {@link DhcpOptions}; every key there is checked when a message is decoded or built,
 * so reading one from a message cannot fail.
 */
public final class OptionKey<T> {

    private final int code;
    private final String name;
    private final OptionCodec<T> codec;

    OptionKey(int code, String name, OptionCodec<T> codec) {
        this.code = code;
        this.name = name;
        this.codec = codec;
    }

    public int code() {
        return code;
    }

    public String name() {
        return name;
    }

    public T decode(byte[] value) throws DhcpParseException {
        WireReader reader = new WireReader(value);
        T decoded;
        try {
            decoded = codec.decode(reader);
        } catch (DhcpParseException e) {
            throw new DhcpParseException(describe() + ": " + e.getMessage());
        }
        reader.requireEnd(describe());
        return decoded;
    }

    public byte[] encode(T value) {
        WireWriter out = new WireWriter();
        try {
            codec.encode(value, out);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** "option 121 (classless static routes)". */
    public String describe() {
        return "option " + code + " (" + name + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
