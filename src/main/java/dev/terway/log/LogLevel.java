package dev.terway.log;

import java.util.Locale;

/** How much an event needs an operator: {@code warn} and {@code error} are kept for {@code terway status}. */
public enum LogLevel {
    /** Something happened as it should (a lease acquired, a pod repaired). */
    INFO,
    /** Something went wrong and terway coped (a conflict declined, a release not sent, an address changed). */
    WARN,
    /** Something is broken until someone or a later retry fixes it (a bridge not re-created, an upkeep failed). */
    ERROR;

    /** The level as the log writes it: {@code info}, {@code warn}, {@code error}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LogLevel parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
