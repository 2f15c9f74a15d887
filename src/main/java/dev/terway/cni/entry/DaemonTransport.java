package dev.terway.cni.entry;

import dev.terway.cni.spec.CniReply;
import dev.terway.daemon.DaemonUnreachableException;
import java.io.IOException;
import java.nio.file.Path;

/** Sends one `cni` request to the daemon and returns its answer as a reply (docs/protocol.md). */
public interface DaemonTransport {

    /**
     * @throws DaemonUnreachableException when no connection could be made (the request was not sent)
     * @throws IOException                when the exchange broke after connecting, or the answer is malformed
     */
    CniReply exchange(Path socket, String requestJson) throws IOException;
}
