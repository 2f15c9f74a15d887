package dev.terway.cni.handler;

import dev.terway.cni.config.NetConf;
import dev.terway.cni.pod.NodeView;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniReply;

/**
 * STATUS: ready for ADD when the bridge exists. (That the daemon is up is shown by this running in it;
 * the thin client reports "plugin not available" itself when it cannot reach the daemon.)
 */
final class StatusVerb {

    private final VerbContext ctx;

    StatusVerb(VerbContext ctx) {
        this.ctx = ctx;
    }

    CniReply run(NetConf conf) throws CniException {
        NodeView node = ctx.observer().observe(conf.bridge());
        if (!node.bridgeExists()) {
            throw new CniException(CniErrorCode.PLUGIN_NOT_AVAILABLE, "plugin not available: bridge "
                    + conf.bridge() + " does not exist on this node; run `terway setup`");
        }
        return CniReply.empty();
    }
}
