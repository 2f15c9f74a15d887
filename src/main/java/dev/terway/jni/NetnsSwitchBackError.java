package dev.terway.jni;

/**
 * The calling thread entered a pod's network namespace to open a socket and could not switch back
 * to the namespace it came from. Anything this thread does next would act in the wrong namespace,
 * so this is an {@link Error}: the thread must not be used any more (let it die; in a daemon, treat
 * it as fatal).
 */
public final class NetnsSwitchBackError extends Error {

    private final int errno;

    /** Called from the C code on the poisoned thread itself, so keep the signature in step. */
    public NetnsSwitchBackError(String netns, int errno, String errnoText, Throwable earlierFailure) {
        super("switching thread \"" + Thread.currentThread().getName()
                + "\" back to its own network namespace after entering " + netns + " failed: " + errnoText
                + "; the thread is stuck in " + netns + " and must not be used again", earlierFailure);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
