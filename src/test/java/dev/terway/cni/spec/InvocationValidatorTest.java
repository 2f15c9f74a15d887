package dev.terway.cni.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InvocationValidatorTest {

    static final String CONF = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\"}";

    static CniInvocation inv(String command, String stdin, String... kv) {
        Map<String, String> env = new HashMap<>();
        if (command != null) {
            env.put("CNI_COMMAND", command);
        }
        env.put("CNI_CONTAINERID", "c0ffee");
        env.put("CNI_NETNS", "/var/run/netns/pod");
        env.put("CNI_IFNAME", "eth0");
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                env.remove(kv[i]);
            } else {
                env.put(kv[i], kv[i + 1]);
            }
        }
        return new CniInvocation(env, stdin);
    }

    static int code(CniInvocation inv) {
        return assertThrows(CniException.class, () -> InvocationValidator.validate(inv)).code();
    }

    @Test
    void acceptsAWellFormedAdd() throws Exception {
        CniRequest r = InvocationValidator.validate(inv("ADD", CONF, "CNI_ARGS", "IgnoreUnknown=1"));
        assertEquals(Verb.ADD, r.verb());
        assertEquals("1.0.0", r.cniVersion());
        assertEquals("lan", r.networkName());
        assertEquals("c0ffee", r.containerId());
        assertEquals("IgnoreUnknown=1", r.cniArgs());
    }

    @Test
    void missingOrUnknownCommandIsInvalidEnvironment() {
        assertEquals(4, code(inv(null, CONF)));
        assertEquals(4, code(inv("", CONF)));
        assertEquals(4, code(inv("add", CONF)));
        CniException e = assertThrows(CniException.class, () -> InvocationValidator.validate(inv("FROB", CONF)));
        assertEquals("unknown CNI_COMMAND \"FROB\"", e.getMessage());
    }

    @Test
    void requiredVariablesDependOnTheVerb() {
        CniException e = assertThrows(CniException.class, () -> InvocationValidator.validate(
                inv("ADD", CONF, "CNI_NETNS", null, "CNI_IFNAME", "")));
        assertEquals(4, e.code());
        assertEquals("required environment variables CNI_NETNS, CNI_IFNAME missing for ADD", e.getMessage());
        assertEquals(4, code(inv("CHECK", CONF, "CNI_NETNS", null)));
        assertEquals(4, code(inv("DEL", CONF, "CNI_CONTAINERID", null)));
        assertEquals(4, code(inv("DEL", CONF, "CNI_IFNAME", null)));
    }

    @Test
    void delNeedsNoNetnsAndGcStatusNeedNoAttachment() throws Exception {
        InvocationValidator.validate(inv("DEL", CONF, "CNI_NETNS", null));
        String v11 = "{\"cniVersion\":\"1.1.0\",\"name\":\"lan\",\"type\":\"cni-terway\"}";
        InvocationValidator.validate(inv("GC", v11, "CNI_NETNS", null, "CNI_CONTAINERID", null, "CNI_IFNAME", null));
        InvocationValidator.validate(inv("STATUS", v11, "CNI_NETNS", null, "CNI_CONTAINERID", null,
                "CNI_IFNAME", null));
    }

    @Test
    void configMustBeAJsonObject() {
        assertEquals(6, code(inv("ADD", "{\"cniVersion\":")));
        assertEquals(6, code(inv("ADD", "[]")));
        assertEquals(6, code(inv("ADD", "")));
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"" + "a".repeat(300_000) + "\"}")));
    }

    @Test
    void versionMustBeSupportedAndFitTheVerb() {
        assertEquals(1, code(inv("ADD", "{\"name\":\"lan\"}")));
        assertEquals(1, code(inv("ADD", "{\"cniVersion\":\"0.2.0\",\"name\":\"lan\"}")));
        assertEquals(1, code(inv("ADD", "{\"cniVersion\":\"2.0.0\",\"name\":\"lan\"}")));
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":1,\"name\":\"lan\"}")));
        assertEquals(1, code(inv("CHECK", "{\"cniVersion\":\"0.3.1\",\"name\":\"lan\"}")));
        assertEquals(1, code(inv("GC", CONF)));
        assertEquals(1, code(inv("STATUS", CONF)));
    }

    @Test
    void networkNameIsRequiredAndValid() {
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":\"1.0.0\"}")));
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"\"}")));
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"-lan\"}")));
        assertEquals(7, code(inv("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":[\"lan\"]}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-abc", "_abc", ".abc", "ab c", "ab/c", "ab:c", "äbc", "ab\nc"})
    void invalidContainerIdsAreRefused(String id) {
        assertEquals(4, code(inv("ADD", CONF, "CNI_CONTAINERID", id)));
    }

    @Test
    void validContainerIds() {
        assertTrue(InvocationValidator.isValidName("a"));
        assertTrue(InvocationValidator.isValidName("3f6940ab5ab43bc522569d15b23f8c1b"));
        assertTrue(InvocationValidator.isValidName("pod_1.x-y"));
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "..", "eth/0", "eth:0", "eth 0", "eth\t0", "eth\u00a00", "abcdefghijklmnop",
        "ééééééééé"})
    void invalidInterfaceNames(String name) {
        assertEquals(4, code(inv("ADD", CONF, "CNI_IFNAME", name)));
    }

    @Test
    void versionAnswerUsesTheAskedVersionWhenSupported() {
        assertEquals("{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\","
                + "\"1.1.0\"]}\n", InvocationValidator.version(inv("VERSION", "{\"cniVersion\":\"0.4.0\"}")).stdout());
        assertTrue(InvocationValidator.version(inv("VERSION", "")).stdout().startsWith("{\"cniVersion\":\"1.1.0\""));
        assertTrue(InvocationValidator.version(inv("VERSION", "{\"cniVersion\":\"9.9.9\"}")).stdout()
                .startsWith("{\"cniVersion\":\"1.1.0\""));
    }

    @Test
    void errorVersionFollowsTheConfigWhenItCan() {
        assertEquals("0.3.1", InvocationValidator.errorVersion(inv("ADD", "{\"cniVersion\":\"0.3.1\"}")));
        assertEquals("1.1.0", InvocationValidator.errorVersion(inv("ADD", "{\"cniVersion\":\"0.1.0\"}")));
        assertEquals("1.1.0", InvocationValidator.errorVersion(inv("ADD", "garbage")));
    }
}
