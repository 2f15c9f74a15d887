package dev.terway.migration;

import java.time.Duration;

/** Waits; a seam so that tests of polling code run without real waiting. */
@FunctionalInterface
public interface Sleeper {

    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
