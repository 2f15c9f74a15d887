/**
 * {@code terway status}: is this node healthy? The daemon's {@code status} answer ({@link
 * dev.terway.status.DaemonStatus}, made by {@link dev.terway.status.StatusOp}), the node as observed
 * ({@link dev.terway.status.NodeObservation}, read by {@link dev.terway.status.NodeReader}), and the pure
 * judgement of both ({@link dev.terway.status.NodeHealth}) into a report with a verdict and exit code
 * ({@link dev.terway.status.StatusReport}).
 */
package dev.terway.status;
