/**
 * The daemon's event log: one line per event with stable keys ({@link dev.terway.log.LogEvent}), written by
 * one sink ({@link dev.terway.log.DaemonLog}) in the text ({@code key=value}) or JSON format
 * ({@link dev.terway.log.LogFormat}), which also keeps the last warnings and errors for {@code terway status}.
 * Call sites say what happened through {@link dev.terway.log.EventLog}; they do no I/O of their own.
 */
package dev.terway.log;
