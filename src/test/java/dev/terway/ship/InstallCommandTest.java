package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.cli.TerwayCli;
import dev.terway.migration.SetupRecord;
import dev.terway.migration.StateDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `terway install` / `uninstall` through the real command line, on a temporary root. */
class InstallCommandTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private Run terway(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TerwayCli.create(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run install(Path runtime, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("install", "--runtime", runtime.toString(),
                "--cni-bin-dir", bin().toString(), "--cni-conf-dir", conf().toString()));
        args.addAll(List.of(more));
        return terway(args.toArray(String[]::new));
    }

    /** `terway uninstall` of the temporary root, with its own state directory. */
    private Run uninstall(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("uninstall", "--cni-bin-dir", bin().toString(),
                "--cni-conf-dir", conf().toString(), "--state-dir", state().toString()));
        args.addAll(List.of(more));
        return terway(args.toArray(String[]::new));
    }

    private Path state() {
        return tmp.resolve("state");
    }

    private Path bin() {
        return tmp.resolve("root/opt/cni/bin");
    }

    private Path conf() {
        return tmp.resolve("root/etc/cni/net.d");
    }

    private List<String> tree() throws IOException {
        Path root = tmp.resolve("root");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted()
                    .collect(Collectors.toList());
        }
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run run = install(a.root(), "--dry-run", "--service-cidr", "10.96.0.0/12");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("cp -a " + a.root()), run.out());
        assertTrue(run.out().contains("\"serviceCIDR\" : \"10.96.0.0/12\""), run.out());
        assertEquals(List.of(), tree());
    }

    @Test
    void serviceCidrPerFamilyAndTheIpv6ModeReachTheConflist() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run run = install(a.root(), "--dry-run", "--service-cidr", "10.96.0.0/12,fd00:96::/108", "--ipv6-mode",
                "dhcpv6");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().replaceAll("\\s+", "").contains("\"serviceCIDR\":[\"10.96.0.0/12\",\"fd00:96::/108\"]"),
                run.out());
        assertTrue(run.out().replaceAll("\\s+", "").contains("\"ipv6\":{\"mode\":\"dhcpv6\"}"), run.out());
        Run repeated = install(a.root(), "--dry-run", "--service-cidr", "fd00:96::/108", "--service-cidr", "");
        assertEquals(0, repeated.code(), repeated.err());
        assertTrue(repeated.out().contains("\"serviceCIDR\" : \"fd00:96::/108\""), repeated.out());
    }

    @Test
    void installUpgradeAndUninstall() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        RuntimeImage b = FakeRuntime.create(tmp.resolve("rt-b"), "0.2.0-bbbb");
        RuntimeImage c = FakeRuntime.create(tmp.resolve("rt-c"), "0.3.0-cccc");

        Run first = install(a.root(), "--bridge", "br-lan");
        assertEquals(0, first.code(), first.err());
        Path launcher = bin().resolve("cni-terway");
        assertTrue(Files.readString(launcher).contains("terway-runtime/0.1.0-aaaa/bin/cni-terway"));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(launcher)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(conf().resolve("10-terway.conflist"))));
        assertTrue(Files.readString(conf().resolve("10-terway.conflist")).contains("\"bridge\" : \"br-lan\""));
        Path jar = bin().resolve("terway-runtime/0.1.0-aaaa/app/terway.jar");
        assertEquals(Instant.parse("2024-01-02T03:04:05Z"), Files.getLastModifiedTime(jar).toInstant(),
                "the copy keeps modification times; the class-data archive checks them");
        assertTrue(Files.isExecutable(bin().resolve("terway-runtime/0.1.0-aaaa/bin/cni-terway")));

        Run again = install(a.root(), "--bridge", "br-lan");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().startsWith("nothing to do"), again.out());

        assertEquals(0, install(b.root(), "--bridge", "br-lan").code());
        assertTrue(Files.readString(launcher).contains("terway-runtime/0.2.0-bbbb/bin/cni-terway"));
        assertTrue(Files.isDirectory(bin().resolve("terway-runtime/0.1.0-aaaa")), "the replaced runtime is kept");

        assertEquals(0, install(c.root(), "--bridge", "br-lan").code());
        assertFalse(Files.exists(bin().resolve("terway-runtime/0.1.0-aaaa")), "runtimes older than that go");
        assertTrue(Files.isDirectory(bin().resolve("terway-runtime/0.2.0-bbbb")));
        assertTrue(Files.isDirectory(bin().resolve("terway-runtime/0.3.0-cccc")));

        Run dry = uninstall("--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("rm -rf " + bin().resolve("terway-runtime")), dry.out());
        assertTrue(Files.exists(launcher));

        Run un = uninstall();
        assertEquals(0, un.code(), un.err());
        assertEquals(List.of(), tree());
        assertTrue(Files.isDirectory(bin()), "the CNI directories themselves belong to the node");
    }

    @Test
    void keepsAForeignPluginAndConfigAndSaysWhy() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Files.createDirectories(bin());
        Files.writeString(bin().resolve("cni-terway"), "#!/bin/sh\necho someone else's\n");
        Run refused = install(a.root());
        assertEquals(TerwayCli.EXIT_FAILED, refused.code());
        assertTrue(refused.err().contains("was not written by `terway install`; pass --force"), refused.err());
        assertFalse(Files.exists(bin().resolve("terway-runtime")), "nothing copied before the refusal");

        Run un = uninstall();
        assertEquals(0, un.code());
        assertTrue(un.err().contains("kept " + bin().resolve("cni-terway")), un.err());
        assertTrue(Files.exists(bin().resolve("cni-terway")));
    }

    @Test
    void writesCniVersion100ByDefaultAndAnySupportedVersionOnRequest() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Path conflist = conf().resolve("10-terway.conflist");
        assertEquals(0, install(a.root()).code());
        assertTrue(Files.readString(conflist).contains("\"cniVersion\" : \"1.0.0\""), Files.readString(conflist));

        Run chosen = install(a.root(), "--cni-version", "0.4.0");
        assertEquals(0, chosen.code(), chosen.err());
        assertTrue(chosen.out().contains(conflist.toString()),
                "a changed version rewrites the conflist: " + chosen.out());
        assertTrue(Files.readString(conflist).contains("\"cniVersion\" : \"0.4.0\""), Files.readString(conflist));
        assertEquals(0, install(a.root(), "--cni-version", "1.1.0").code());
        assertTrue(Files.readString(conflist).contains("\"cniVersion\" : \"1.1.0\""), Files.readString(conflist));
    }

    @Test
    void anUnsupportedCniVersionIsAUsageErrorNamingTheSupportedOnes() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run old = install(a.root(), "--cni-version", "0.2.0");
        assertEquals(TerwayCli.EXIT_USAGE, old.code());
        assertTrue(old.err().contains("--cni-version must be one cni-terway supports (0.3.0, 0.3.1, 0.4.0, 1.0.0,"
                + " 1.1.0), got '0.2.0'"), old.err());
        assertEquals(TerwayCli.EXIT_USAGE, install(a.root(), "--cni-version", "1.0").code());
        assertEquals(List.of(), tree());
        Run help = terway("install", "--help");
        assertTrue(help.out().replaceAll("\\s+", " ")
                .contains("one of 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0 (default: 1.0.0"), help.out());
    }

    private Path portmapBinary(boolean executable) throws IOException {
        Files.createDirectories(bin());
        Path portmap = bin().resolve("portmap");
        Files.writeString(portmap, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(portmap, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        return portmap;
    }

    private String conflistText() throws IOException {
        return Files.readString(conf().resolve("10-terway.conflist"));
    }

    @Test
    void autoChainsPortmapWhenAnExecutablePortmapIsInTheBinDirAndAReinstallFollows() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run without = install(a.root());
        assertEquals(0, without.code(), without.err());
        assertFalse(conflistText().contains("portmap"), conflistText());
        assertTrue(without.err().contains("no executable " + bin().resolve("portmap")
                + ", so the conflist does not chain portmap and hostPort does not work"), without.err());

        Path portmap = portmapBinary(false);
        assertEquals(0, install(a.root()).code());
        assertFalse(conflistText().contains("portmap"), "a portmap that cannot be executed is not chained");

        Files.setPosixFilePermissions(portmap, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run with = install(a.root());
        assertEquals(0, with.code(), with.err());
        assertFalse(with.out().startsWith("nothing to do"), "only the conflist changed, and it is rewritten");
        assertTrue(with.out().contains("10-terway.conflist"), with.out());
        assertFalse(with.err().contains("portmap"), with.err());
        JsonNode plugins = new ObjectMapper().readTree(conflistText()).get("plugins");
        assertEquals(2, plugins.size(), conflistText());
        assertEquals("cni-terway", plugins.get(0).get("type").asText());
        assertEquals("portmap", plugins.get(1).get("type").asText());
        assertTrue(plugins.get(1).get("capabilities").get("portMappings").asBoolean());
        assertTrue(plugins.get(1).get("snat").asBoolean());
        assertTrue(install(a.root()).out().startsWith("nothing to do"));

        Run un = uninstall();
        assertEquals(0, un.code(), un.err());
        assertEquals(List.of("opt/cni/bin/portmap"), tree(), "the chained conflist is removed, portmap is not ours");
    }

    @Test
    void portmapOnAndOffDoNotLookAtTheBinDir() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run on = install(a.root(), "--portmap", "on");
        assertEquals(0, on.code(), on.err());
        assertTrue(conflistText().contains("\"type\" : \"portmap\""), conflistText());
        assertTrue(on.err().contains("warning: --portmap on, but there is no executable " + bin().resolve("portmap")),
                on.err());

        portmapBinary(true);
        Run off = install(a.root(), "--portmap", "off");
        assertEquals(0, off.code(), off.err());
        assertFalse(conflistText().contains("portmap"), conflistText());
        assertEquals("", off.err());

        Run bad = install(a.root(), "--portmap", "yes");
        assertEquals(TerwayCli.EXIT_USAGE, bad.code());
        assertTrue(bad.err().contains("expected auto, on or off, got 'yes'"), bad.err());
    }

    /** `terway install` without --runtime, as bin/terway of a source checkout at {@code checkout} runs it. */
    private Run installFromCheckout(Path checkout, String... more) {
        String before = System.getProperty(RuntimeImage.CHECKOUT_PROPERTY);
        System.setProperty(RuntimeImage.CHECKOUT_PROPERTY, checkout.toString());
        try {
            List<String> args = new java.util.ArrayList<>(List.of("install", "--cni-bin-dir", bin().toString(),
                    "--cni-conf-dir", conf().toString()));
            args.addAll(List.of(more));
            return terway(args.toArray(String[]::new));
        } finally {
            if (before == null) {
                System.clearProperty(RuntimeImage.CHECKOUT_PROPERTY);
            } else {
                System.setProperty(RuntimeImage.CHECKOUT_PROPERTY, before);
            }
        }
    }

    @Test
    void fromASourceCheckoutInstallUsesItsBuiltRuntimeOrSaysToBuildIt() throws Exception {
        Path checkout = tmp.resolve("checkout");
        Files.createDirectories(checkout);
        Run unbuilt = installFromCheckout(checkout);
        assertEquals(TerwayCli.EXIT_USAGE, unbuilt.code());
        assertTrue(unbuilt.err().contains("this terway runs from the source checkout " + checkout + ", which has no"
                + " built runtime (" + checkout.resolve("target/terway-runtime") + "): run `mvn package` there"),
                unbuilt.err());
        assertEquals(List.of(), tree());

        FakeRuntime.create(checkout.resolve("target/terway-runtime"), "0.1.0-aaaa");
        Run built = installFromCheckout(checkout);
        assertEquals(0, built.code(), built.err());
        assertTrue(Files.isDirectory(bin().resolve("terway-runtime/0.1.0-aaaa")), built.out());
    }

    @Test
    void withoutARuntimeOrACheckoutInstallAsksForRuntime() throws Exception {
        Run run = terway("install", "--cni-bin-dir", bin().toString(), "--cni-conf-dir", conf().toString());
        assertEquals(TerwayCli.EXIT_USAGE, run.code());
        assertTrue(run.err().contains("this terway does not run from a terway runtime; pass --runtime DIR (after"
                + " `mvn package`: target/terway-runtime)"), run.err());
    }

    @Test
    void uninstallIsRefusedWhileTheNodeIsBridgedDryRunToo() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        assertEquals(0, install(a.root()).code());
        List<String> installed = tree();
        new StateDirectory(state()).records().save(new SetupRecord("eth0", "mybr0", 1500, "52:54:00:12:34:56",
                List.of(), List.of()));

        String teardown = "Run `" + bin().resolve("terway-runtime/0.1.0-aaaa/bin/terway") + " teardown --state-dir "
                + state() + "` first";
        for (Run refused : List.of(uninstall(), uninstall("--dry-run"))) {
            assertEquals(TerwayCli.EXIT_FAILED, refused.code(), refused.out());
            assertTrue(refused.err().contains("cannot uninstall: the node is still bridged by terway (eth0 is bridged"
                    + " into mybr0 (record " + state().resolve("setup.json") + "))"), refused.err());
            assertTrue(refused.err().contains(teardown), refused.err());
            assertTrue(refused.err().contains("or pass --keep-bridge to uninstall anyway"), refused.err());
            assertEquals("", refused.out());
        }
        assertEquals(installed, tree(), "nothing removed");

        Run dryKept = uninstall("--keep-bridge", "--dry-run");
        assertEquals(0, dryKept.code(), dryKept.err());
        assertTrue(dryKept.out().contains("rm -rf " + bin().resolve("terway-runtime")), dryKept.out());
        assertEquals(installed, tree());

        Run kept = uninstall("--keep-bridge");
        assertEquals(0, kept.code(), kept.err());
        assertTrue(kept.err().contains("terway: the node stays bridged (eth0 is bridged into mybr0"), kept.err());
        assertEquals(List.of(), tree());
        assertTrue(Files.exists(state().resolve("setup.json")), "the record stays for a later teardown");
    }

    @Test
    void afterTeardownRemovedTheRecordUninstallGoesAhead() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        assertEquals(0, install(a.root()).code());
        new StateDirectory(state()).records().save(new SetupRecord("eth0", "mybr0", 1500, "52:54:00:12:34:56",
                List.of(), List.of()));
        assertEquals(TerwayCli.EXIT_FAILED, uninstall().code());
        new StateDirectory(state()).records().delete();
        Run un = uninstall();
        assertEquals(0, un.code(), un.err());
        assertEquals(List.of(), tree());
    }

    @Test
    void badInputIsAClearError() throws Exception {
        RuntimeImage a = FakeRuntime.create(tmp.resolve("rt-a"), "0.1.0-aaaa");
        Run cidr = install(a.root(), "--service-cidr", "10.96.0.0/33");
        assertEquals(TerwayCli.EXIT_FAILED, cidr.code());
        assertTrue(cidr.err().contains("serviceCIDR"), cidr.err());
        Run socket = install(a.root(), "--dhcp-socket", "run/terway.sock");
        assertEquals(TerwayCli.EXIT_USAGE, socket.code());
        assertTrue(socket.err().contains("--dhcp-socket must be an absolute path"), socket.err());
        Run missing = install(tmp.resolve("no-runtime-here"));
        assertEquals(TerwayCli.EXIT_FAILED, missing.code());
        assertTrue(missing.err().contains("runtime.properties"), missing.err());
        Files.delete(a.root().resolve("app/terway.jar"));
        Run broken = install(a.root());
        assertEquals(TerwayCli.EXIT_FAILED, broken.code());
        assertTrue(broken.err().contains("app/terway.jar is missing"), broken.err());
        assertEquals(List.of(), tree());
    }
}
