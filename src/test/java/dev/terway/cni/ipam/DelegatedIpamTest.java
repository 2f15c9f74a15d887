package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniRequest;
import dev.terway.cni.spec.InvocationValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DelegatedIpamTest {

    @TempDir
    Path dir;

    static final String CONF = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\","
            + "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.5.0.0/24\"}}";

    CniRequest request(String cniPath) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", "ADD");
        env.put("CNI_CONTAINERID", "c1");
        env.put("CNI_NETNS", "/run/netns/p");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", cniPath);
        env.put("TERWAY_DRY_RUN", "0");
        return InvocationValidator.validate(new CniInvocation(env, CONF));
    }

    Path plugin(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void runsThePluginFromCniPathWithTheVerbAndTheSameConfig() throws Exception {
        Path hostLocal = plugin("host-local");
        List<Map<String, String>> envs = new ArrayList<>();
        List<String> stdins = new ArrayList<>();
        DelegatedIpam ipam = new DelegatedIpam((binary, env, stdin, timeout) -> {
            assertEquals(hostLocal, binary);
            envs.add(env);
            stdins.add(stdin);
            return new DelegatedIpam.Outcome(0, "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.5.0.7/24\","
                    + "\"gateway\":\"10.5.0.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}", "");
        });
        var result = ipam.add(request("/nonexistent:" + dir), "host-local");
        assertEquals("10.5.0.7/24", result.ips().get(0).address());
        assertEquals("ADD", envs.get(0).get("CNI_COMMAND"));
        assertEquals("c1", envs.get(0).get("CNI_CONTAINERID"));
        assertTrue(!envs.get(0).containsKey("TERWAY_DRY_RUN"));
        assertEquals(CONF, stdins.get(0));
        ipam.del(request(dir.toString()), "host-local");
        assertEquals("DEL", envs.get(1).get("CNI_COMMAND"));
    }

    @Test
    void pluginErrorsKeepTheirCode() throws Exception {
        plugin("host-local");
        DelegatedIpam ipam = new DelegatedIpam((b, e, s, t) -> new DelegatedIpam.Outcome(1,
                "{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no free address\",\"details\":\"range full\"}", ""));
        CniException e = assertThrows(CniException.class, () -> ipam.add(request(dir.toString()), "host-local"));
        assertEquals(11, e.code());
        assertEquals("IPAM plugin host-local ADD: no free address", e.getMessage());
        assertEquals("range full", e.details());
        DelegatedIpam garbage = new DelegatedIpam((b, env, s, t) -> new DelegatedIpam.Outcome(2, "panic", "trace"));
        assertEquals(999, assertThrows(CniException.class, () -> garbage.add(request(dir.toString()), "host-local")).code());
    }

    @Test
    void missingPluginOrPathIsNamed() throws Exception {
        CniException e = assertThrows(CniException.class, () -> DelegatedIpam.find("host-local", dir.toString()));
        assertEquals(7, e.code());
        assertTrue(e.getMessage().contains("host-local"));
        assertEquals(4, assertThrows(CniException.class, () -> DelegatedIpam.find("host-local", "")).code());
    }

    @Test
    void realProcessesAreRunWithStdinAndEnvironment() throws Exception {
        Path echo = dir.resolve("echo-ipam");
        Files.writeString(echo, "#!/bin/sh\nread -r line\nprintf '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"%s/24\"}]}' "
                + "\"$CNI_CONTAINERID\" >/dev/null\nprintf '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.9.9.9/24\"}]}'\n");
        Files.setPosixFilePermissions(echo, PosixFilePermissions.fromString("rwxr-xr-x"));
        var result = DelegatedIpam.processes().add(request(dir.toString()), "echo-ipam");
        assertEquals("10.9.9.9/24", result.ips().get(0).address());
    }
}
