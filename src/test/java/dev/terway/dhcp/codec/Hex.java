package dev.terway.dhcp.codec;

import java.util.HexFormat;

/** Test helper: hex with spaces, newlines and "# comments" for readable packet listings. */
public final class Hex {

    private Hex() {
    }

    public static byte[] bytes(String... lines) {
        StringBuilder clean = new StringBuilder();
        for (String line : lines) {
            int hash = line.indexOf('#');
            clean.append((hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s+", ""));
        }
        return HexFormat.of().parseHex(clean.toString());
    }

    public static String zeros(int count) {
        return "00".repeat(count);
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
