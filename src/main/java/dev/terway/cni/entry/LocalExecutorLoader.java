package dev.terway.cni.entry;

import dev.terway.cni.spec.CniExecutor;

/** Supplies the in-process executor, only when the daemon cannot be used. */
public interface LocalExecutorLoader {

    CniExecutor load() throws ReflectiveOperationException;
}
