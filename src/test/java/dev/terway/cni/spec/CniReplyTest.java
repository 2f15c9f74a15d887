package dev.terway.cni.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CniReplyTest {

    @Test
    void errorResultHasTheSpecifiedShape() {
        CniReply r = CniReply.error("0.4.0", 11, "try \"again\"", "daemon down\nat /run/x");
        assertEquals(1, r.exitCode());
        assertEquals("{\"cniVersion\":\"0.4.0\",\"code\":11,\"msg\":\"try \\\"again\\\"\","
                + "\"details\":\"daemon down\\nat /run/x\"}\n", r.stdout());
    }

    @Test
    void detailsAreLeftOutWhenEmpty() {
        assertEquals("{\"cniVersion\":\"1.1.0\",\"code\":7,\"msg\":\"bad\"}\n",
                new CniException(7, "bad").toReply("1.1.0").stdout());
    }

    @Test
    void everyErrorClassKeepsItsCode() {
        int[] codes = {CniErrorCode.INCOMPATIBLE_VERSION, CniErrorCode.UNSUPPORTED_FIELD,
            CniErrorCode.UNKNOWN_CONTAINER, CniErrorCode.INVALID_ENVIRONMENT, CniErrorCode.IO_FAILURE,
            CniErrorCode.DECODING_FAILURE, CniErrorCode.INVALID_NETWORK_CONFIG, CniErrorCode.TRY_AGAIN_LATER,
            CniErrorCode.PLUGIN_NOT_AVAILABLE, CniErrorCode.PLUGIN_NOT_AVAILABLE_LIMITED};
        int[] expected = {1, 2, 3, 4, 5, 6, 7, 11, 50, 51};
        for (int i = 0; i < codes.length; i++) {
            assertEquals(codes[i], expected[i]);
            assertEquals("{\"cniVersion\":\"1.0.0\",\"code\":" + expected[i] + ",\"msg\":\"m\",\"details\":\"d\"}\n",
                    CniReply.error("1.0.0", codes[i], "m", "d").stdout());
        }
    }
}
