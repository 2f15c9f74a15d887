package dev.terway.cni.handler;

import java.time.Duration;

/**
 * Where the daemon reports every CNI call it answered: the daemon's metrics. Plain Java, so the verbs do not
 * depend on the metrics library.
 */
@FunctionalInterface
public interface CniCalls {

    /** No one listens. */
    CniCalls NONE = (verb, code, took) -> {
    };

    /**
     * @param verb {@code CNI_COMMAND} as the runtime sent it (not validated: an unknown one is answered too)
     * @param code 0 for success, else the CNI error code of the reply ({@code code} of its error JSON; -1 when the
     *             reply carries none)
     * @param took from the request's arrival at the handler to its reply
     */
    void answered(String verb, int code, Duration took);
}
