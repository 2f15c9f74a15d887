package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.util.Arrays;

/**
 * Reads big-endian fields from a window of a byte array. Every read is checked against the window's
 * end, so a short or lying packet becomes a {@link DhcpParseException} naming what was being read,
 * never an index exception.
 */
public final class WireReader {

    private final byte[] data;
    private final int start;
    private final int end;
    private int position;

    public WireReader(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IllegalArgumentException("window " + offset + "+" + length + " outside an array of "
                    + data.length + " bytes");
        }
        this.data = data;
        this.start = offset;
        this.end = offset + length;
        this.position = offset;
    }

    public WireReader(byte[] data) {
        this(data, 0, data.length);
    }

    /** Position relative to the start of the window. */
    public int position() {
        return position - start;
    }

    public int remaining() {
        return end - position;
    }

    public boolean hasRemaining() {
        return position < end;
    }

    private void require(int count, String what) throws DhcpParseException {
        if (count > end - position) {
            throw new DhcpParseException("truncated " + what + ": need " + count + " bytes at offset " + position()
                    + ", only " + remaining() + " left");
        }
    }

    public int u8(String what) throws DhcpParseException {
        require(1, what);
        return data[position++] & 0xff;
    }

    public int u16(String what) throws DhcpParseException {
        require(2, what);
        int value = (data[position] & 0xff) << 8 | data[position + 1] & 0xff;
        position += 2;
        return value;
    }

    public int u32(String what) throws DhcpParseException {
        require(4, what);
        int value = (data[position] & 0xff) << 24 | (data[position + 1] & 0xff) << 16
                | (data[position + 2] & 0xff) << 8 | data[position + 3] & 0xff;
        position += 4;
        return value;
    }

    public Ipv4 ipv4(String what) throws DhcpParseException {
        return new Ipv4(u32(what));
    }

    public byte[] bytes(int count, String what) throws DhcpParseException {
        require(count, what);
        byte[] out = Arrays.copyOfRange(data, position, position + count);
        position += count;
        return out;
    }

    public void skip(int count, String what) throws DhcpParseException {
        require(count, what);
        position += count;
    }

    /** Fails unless the whole window has been read; values with trailing junk are malformed. */
    public void requireEnd(String what) throws DhcpParseException {
        if (hasRemaining()) {
            throw new DhcpParseException(what + " has " + remaining() + " unexpected trailing bytes");
        }
    }
}
