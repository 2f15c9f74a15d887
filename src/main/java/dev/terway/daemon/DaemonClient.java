package dev.terway.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Sends one request to the daemon socket and reads the response, as the CLI clients do. */
public final class DaemonClient {

    private final Path socket;

    public DaemonClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** Sends {@code request} (one JSON object) and returns the daemon's status and body. */
    public Response call(String request) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot reach the terway daemon: " + socket
                    + " does not exist (is `terway dhcp daemon` running?)");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("cannot reach the terway daemon at " + socket + ": " + e.getMessage()
                        + " (is `terway dhcp daemon` running?)", e);
            }
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            return parse(readAll(channel));
        }
    }

    private static byte[] readAll(SocketChannel channel) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer.clear()) >= 0) {
            bytes.write(buffer.array(), 0, buffer.position());
        }
        return bytes.toByteArray();
    }

    static Response parse(byte[] bytes) throws IOException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        if (newline < 0) {
            throw new IOException("the terway daemon sent a malformed response (no status line): '"
                    + abbreviate(text) + "'");
        }
        try {
            return new Response(Integer.parseInt(text.substring(0, newline)), text.substring(newline + 1));
        } catch (NumberFormatException e) {
            throw new IOException("the terway daemon sent a malformed status line: '"
                    + abbreviate(text.substring(0, newline)) + "'");
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }
}
