package dev.terway.migration;

import java.time.Duration;

/** Finds out whether a gateway answers through a given device. */
public interface GatewayProbe {

    /**
     * @param answered whether the gateway answered
     * @param evidence how it answered, or how it was tried, for the operator
     */
    record Result(boolean answered, String evidence, Duration elapsed) {
    }

    /** Tries until the gateway answers or {@code timeout} has passed. */
    Result probe(Gateway gateway, String device, Duration timeout);
}
