package dev.terway.cni.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.json.MiniJson;
import dev.terway.cni.spec.CniException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ADD result in every supported version against golden files in src/test/resources/cni/. */
class ResultVersionsTest {

    static final CniResult SAMPLE = new CniResult(
            List.of(ResultInterface.host("tw1a2b3c4d5e6f7", "aa:bb:cc:00:00:01", 1450),
                    ResultInterface.sandbox("eth0", "aa:bb:cc:00:00:02", 1450, "/var/run/netns/pod1")),
            List.of(new ResultIp("10.20.30.101/24", Optional.of("10.20.30.1"), OptionalInt.of(1))),
            List.of(ResultRoute.of("0.0.0.0/0", Optional.of("10.20.30.1")),
                    new ResultRoute("10.96.0.0/12", Optional.of("10.20.30.5"), OptionalInt.of(1400),
                            OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(100), OptionalInt.empty())),
            new Dns(List.of("10.20.30.1", "10.0.0.53"), Optional.of("lan"), List.of("lan", "example.com"),
                    List.of("ndots:2")));

    static String golden(String name) throws IOException {
        try (InputStream in = ResultVersionsTest.class.getResourceAsStream("/cni/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void resultMatchesTheGoldenFileOfItsVersion(String version) throws Exception {
        String written = ResultWriter.write(SAMPLE, version);
        assertTrue(written.endsWith("}\n"));
        assertEquals(MiniJson.parse(golden("result-" + version + ".json")), MiniJson.parse(written));
    }

    @Test
    void memberOrderIsStable() {
        assertEquals("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}\n",
                ResultWriter.write(new CniResult(List.of(), List.of(new ResultIp("10.0.0.2/24", Optional.empty(),
                        OptionalInt.empty())), List.of(), Dns.empty()), "1.0.0"));
    }

    @Test
    void emptyPartsAreLeftOut() {
        assertEquals("{\"cniVersion\":\"0.4.0\"}\n", ResultWriter.write(CniResult.empty(), "0.4.0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void goldenFilesReadBackToTheSampleLessWhatTheVersionLacks(String version) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) MiniJson.parse(golden("result-" + version + ".json"));
        CniResult read = ResultReader.read(json, "prevResult");
        assertEquals(ResultWriter.write(SAMPLE, version), ResultWriter.write(read, version));
        if (version.equals("1.1.0")) {
            assertEquals(SAMPLE, read);
        }
    }

    @Test
    void readerNamesTheBadField() {
        CniException e = assertThrows(CniException.class, () -> ResultReader.read(
                MiniJson.parseObject("{\"ips\":[{\"address\":\"10.0.0.2/24\"},{\"address\":7}]}"), "prevResult"));
        assertEquals(7, e.code());
        assertEquals("invalid network config: field \"prevResult.ips[1].address\" must be a string, got number",
                e.getMessage());
        e = assertThrows(CniException.class, () -> ResultReader.read(
                MiniJson.parseObject("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"interface\":3}]}"), "prevResult"));
        assertTrue(e.getMessage().contains("prevResult.ips[0].interface"), e.getMessage());
        e = assertThrows(CniException.class, () -> ResultReader.read(
                MiniJson.parseObject("{\"ips\":[{\"address\":\"10.0.0.2\"}]}"), "prevResult"));
        assertTrue(e.getMessage().contains("CIDR"), e.getMessage());
    }

    @Test
    void chainingAppendsAndShiftsInterfaceIndexes() throws Exception {
        CniResult previous = ResultReader.read(MiniJson.parseObject(
                "{\"interfaces\":[{\"name\":\"lo\",\"sandbox\":\"/n\"}],\"ips\":[{\"interface\":0,"
                        + "\"address\":\"127.0.0.1/8\"}],\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}"), "prevResult");
        CniResult merged = SAMPLE.after(previous);
        assertEquals(3, merged.interfaces().size());
        assertEquals("lo", merged.interfaces().get(0).name());
        assertEquals(OptionalInt.of(0), merged.ips().get(0).interfaceIndex());
        assertEquals(OptionalInt.of(2), merged.ips().get(1).interfaceIndex());
        assertEquals(List.of("10.20.30.1", "10.0.0.53", "1.1.1.1"), merged.dns().nameservers());
        assertFalse(merged.routes().isEmpty());
    }

    @Test
    void configDnsComesFirstAndWinsTheDomain() {
        Dns config = new Dns(List.of("10.0.0.53"), Optional.of("corp"), List.of("corp"), List.of("ndots:2"));
        Dns dhcp = new Dns(List.of("10.20.30.1", "10.0.0.53"), Optional.of("lan"), List.of("lan"), List.of());
        Dns merged = config.over(dhcp);
        assertEquals(List.of("10.0.0.53", "10.20.30.1"), merged.nameservers());
        assertEquals(Optional.of("corp"), merged.domain());
        assertEquals(List.of("corp", "lan"), merged.search());
        assertEquals(Optional.of("lan"), Dns.empty().over(dhcp).domain());
    }
}
