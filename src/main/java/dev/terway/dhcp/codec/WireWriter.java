package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.util.Arrays;

/** Appends big-endian fields to a growing byte array. */
public final class WireWriter {

    private byte[] buffer = new byte[512];
    private int size;

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    public int size() {
        return size;
    }

    public WireWriter u8(int value) {
        ensure(1);
        buffer[size++] = (byte) value;
        return this;
    }

    public WireWriter u16(int value) {
        ensure(2);
        buffer[size++] = (byte) (value >>> 8);
        buffer[size++] = (byte) value;
        return this;
    }

    public WireWriter u32(int value) {
        ensure(4);
        buffer[size++] = (byte) (value >>> 24);
        buffer[size++] = (byte) (value >>> 16);
        buffer[size++] = (byte) (value >>> 8);
        buffer[size++] = (byte) value;
        return this;
    }

    public WireWriter ipv4(Ipv4 address) {
        return u32(address.bits());
    }

    public WireWriter bytes(byte[] value) {
        return bytes(value, 0, value.length);
    }

    public WireWriter bytes(byte[] value, int offset, int length) {
        ensure(length);
        System.arraycopy(value, offset, buffer, size, length);
        size += length;
        return this;
    }

    /** Appends {@code count} zero bytes. */
    public WireWriter zeros(int count) {
        ensure(count);
        Arrays.fill(buffer, size, size + count, (byte) 0);
        size += count;
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }
}
