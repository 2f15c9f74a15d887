package dev.terway.cni.spec;

/**
 * Runs one CNI invocation to its reply. The daemon's handler and the in-process fallback of
 * `cni-terway` are both one of these, over the same verb implementations.
 */
public interface CniExecutor {

    CniReply execute(CniInvocation invocation);
}
