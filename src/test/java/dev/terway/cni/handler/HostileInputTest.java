package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.attachment.AttachmentRecords;
import dev.terway.cni.config.CniArgs;
import dev.terway.cni.config.NetConfParser;
import dev.terway.cni.ipam.DelegatedIpam;
import dev.terway.cni.json.MiniJson;
import dev.terway.cni.pod.NetnsProbe;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniInvocation;
import dev.terway.cni.spec.CniReply;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.net.InterfaceName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated hostile input through the whole CNI service (validation, config parsing, CNI_ARGS, the verbs)
 * on a fake node: every reply is a CNI reply with a documented code (never the "internal error" of an
 * escaped exception), nothing hangs, and when the input is refused no command at all has run on the
 * node — validation comes before any plan. Seeded, so a failure reproduces.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class HostileInputTest {

    private static final long SEED = 0x7e57_cafeL;
    /** What a refusal of bad input may be: the spec's input error codes. */
    private static final Set<Integer> INPUT_ERRORS = Set.of(CniErrorCode.INCOMPATIBLE_VERSION,
            CniErrorCode.UNSUPPORTED_FIELD, CniErrorCode.UNKNOWN_CONTAINER, CniErrorCode.INVALID_ENVIRONMENT,
            CniErrorCode.DECODING_FAILURE, CniErrorCode.INVALID_NETWORK_CONFIG);

    @TempDir
    Path dir;
    Path netns;
    final FakeNode node = new FakeNode();
    final CniServiceTest.FakeLeases leases = new CniServiceTest.FakeLeases();
    final List<String> log = new ArrayList<>();
    CniService service;

    @BeforeEach
    void setUp() throws Exception {
        netns = Files.createFile(dir.resolve("pod-netns"));
        service = new CniService(node, leases, new DelegatedIpam((b, e, s, t) -> {
            throw new AssertionError("no IPAM plugin may run for hostile input");
        }), Clock.systemUTC(), e -> log.add(e.message()), () -> { }, new AttachmentRecords(dir.resolve("run/attachments")),
                path -> path.equals(netns) ? Optional.empty() : NetnsProbe.SYSTEM.problem(path), Optional.empty());
    }

    private CniReply run(Map<String, String> env, String stdin) {
        node.commands.clear();
        leases.acquired.clear();
        return service.execute(new CniInvocation(env, stdin));
    }

    private Map<String, String> env(String command) {
        return new HashMap<>(FakeNode.env(command, netns.toString()));
    }

    /** The reply is a refusal with an input error code and nothing ran on the node. */
    private void assertRefusedUntouched(CniReply reply, String what) {
        assertNotEquals(0, reply.exitCode(), what + ": accepted");
        int code = code(reply);
        assertTrue(INPUT_ERRORS.contains(code), what + ": code " + code + " " + reply.stdout());
        assertTrue(node.commands.isEmpty(), what + ": commands ran before validation: " + node.commands);
        assertTrue(leases.acquired.isEmpty(), what + ": a lease was asked for");
    }

    private static int code(CniReply reply) {
        try {
            Object code = MiniJson.parseObject(reply.stdout()).get("code");
            return Integer.parseInt(code.toString());
        } catch (Exception e) {
            throw new AssertionError("reply is not a CNI error: " + reply.stdout(), e);
        }
    }

    @Test
    void thousandsOfGeneratedConfigsGetAResultOrADocumentedError() {
        Random random = new Random(SEED);
        int refused = 0;
        int accepted = 0;
        for (int i = 0; i < 3000; i++) {
            String stdin = hostileConfig(random, i);
            CniReply reply = run(env("ADD"), stdin);
            if (reply.exitCode() == 0) {
                accepted++;
                assertTrue(node.commandLines().stream().anyMatch(c -> c.startsWith("ip -batch - <<< link add name ")
                        && c.contains(" peer name " + CniServiceTest.VETH + " ")), node.commandLines().toString());
                run(env("DEL"), stdin);
                continue;
            }
            refused++;
            int code = code(reply);
            assertNotEquals(CniErrorCode.INTERNAL, code, "escaped exception for input #" + i + ": " + reply.stdout());
            if (INPUT_ERRORS.contains(code)) {
                assertTrue(node.commands.isEmpty(), "input #" + i + " refused after commands ran: " + node.commands);
            }
        }
        assertTrue(refused > 2000, "refused " + refused);
        assertTrue(accepted > 0, "mutations should leave some valid configs; accepted " + accepted);
    }

    @Test
    void tenMegabyteConfigIsRefusedByItsSizeBeforeParsing() {
        String huge = "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"x\":\""
                + "a".repeat(10 << 20) + "\"}";
        CniReply reply = run(env("ADD"), huge);
        assertRefusedUntouched(reply, "10 MB config");
        assertTrue(reply.stdout().contains("more than the limit of " + InvocationValidator.MAX_CONFIG_CHARS),
                reply.stdout());
        String deep = "[".repeat(5_000_000) + "]".repeat(5_000_000);
        assertRefusedUntouched(run(env("ADD"), deep), "10 MB of nesting");
    }

    @Test
    void deepNestingJustUnderTheSizeLimitIsADecodingErrorNotAStackOverflow() {
        int n = InvocationValidator.MAX_CONFIG_CHARS / 2 - 10;
        assertRefusedUntouched(run(env("ADD"), "{\"a\":" + "[".repeat(n) + "]".repeat(n) + "}"), "deep arrays");
        assertRefusedUntouched(run(env("ADD"), "{\"a\":".repeat(20_000) + "1" + "}".repeat(20_000)), "deep objects");
    }

    @Test
    void hugeNumbersInTypedFieldsAreInvalidConfigNamingTheField() {
        for (String number : List.of("1e999999999", "-1e999999999", "99999999999999999999999999", "1.5", "-1",
                "0", "2147483648", "9223372036854775808", "1e-999999999")) {
            String conf = CniServiceTest.CONF.replace("\"type\"", "\"mtu\":" + number + ",\"type\"");
            CniReply reply = run(env("ADD"), conf);
            assertRefusedUntouched(reply, "mtu " + number);
            assertTrue(reply.stdout().contains("mtu"), reply.stdout());
        }
    }

    @Test
    void invalidUtf8OnStdinIsADecodingErrorOrAConfigError() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 500; i++) {
            byte[] bytes = CniServiceTest.CONF.getBytes(StandardCharsets.UTF_8);
            for (int k = 0; k < 1 + random.nextInt(4); k++) {
                bytes[random.nextInt(bytes.length)] = (byte) (0x80 + random.nextInt(0x80)); // lone continuation / lead bytes
            }
            // cni-terway reads stdin as UTF-8; malformed sequences become U+FFFD there.
            String stdin = new String(bytes, StandardCharsets.UTF_8);
            CniReply reply = run(env("ADD"), stdin);
            if (reply.exitCode() != 0) {
                assertNotEquals(CniErrorCode.INTERNAL, code(reply), reply.stdout());
            } else {
                run(env("DEL"), stdin);
            }
        }
    }

    @Test
    void generatedCniArgsOnlyEverRaiseTheInvalidEnvironmentError() {
        Random random = new Random(SEED + 2);
        String alphabet = "=;=;KEYIP_K8S_POD_NAME10.0.0.1/24\u0000\n\r\t $`'\"\\|&<>()*?~../é\uFFFD\uD800";
        for (int i = 0; i < 5000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(i % 100 == 0 ? 100_000 : 60);
            for (int k = 0; k < length; k++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                CniArgs.parse(text.toString());
            } catch (CniException e) {
                assertEquals(CniErrorCode.INVALID_ENVIRONMENT, e.code(), e.getMessage());
                if (i < 300) {
                    Map<String, String> env = env("ADD");
                    env.put("CNI_ARGS", text.toString());
                    assertRefusedUntouched(run(env, CniServiceTest.CONF), "CNI_ARGS " + text);
                }
            }
        }
    }

    @Test
    void hostileContainerIdsAndInterfaceNamesAreRefusedBeforeAnyCommand() {
        List<String> hostile = List.of("a;rm -rf /", "$(reboot)", "`id`", "a|b", "a&b", "../../etc/passwd", "..", ".",
                "a/b", "a\nb", "a\rb", "a\u0000b", "-rf", "--help", " a", "a b", "a\tb", "é", "a:b", "a>b", "a'b",
                "a\"b", "\u202e", "a\u2028b");
        for (String bad : hostile) {
            Map<String, String> env = env("ADD");
            env.put("CNI_CONTAINERID", bad);
            assertRefusedUntouched(run(env, CniServiceTest.CONF), "container id " + bad);
            env = env("ADD");
            env.put("CNI_IFNAME", bad);
            CniReply reply = run(env, CniServiceTest.CONF);
            // A few of these are legal Linux interface names ("-rf", "$(reboot)"): they go to ip as one argv
            // element each, never through a shell, so they can only name an interface.
            if (reply.exitCode() == 0) {
                assertTrue(node.commands.stream().anyMatch(c -> namesAsOneWord(c, bad)), "ifname " + bad);
                assertFalse(node.commands.stream().anyMatch(c -> c.contains("sh") || c.contains("-c")),
                        "a shell ran: " + node.commands);
                run(env("DEL").entrySet().stream().collect(HashMap::new, (m, e) -> m.put(e.getKey(),
                        e.getKey().equals("CNI_IFNAME") ? bad : e.getValue()), HashMap::putAll), CniServiceTest.CONF);
            } else {
                assertRefusedUntouched(reply, "ifname " + bad);
            }
        }
        for (String longName : List.of("a".repeat(16), "é".repeat(8), "x".repeat(100_000))) {
            Map<String, String> env = env("ADD");
            env.put("CNI_IFNAME", longName);
            assertRefusedUntouched(run(env, CniServiceTest.CONF), "ifname of " + longName.length());
        }
    }

    /**
     * Interface names the kernel accepts but a shell or `ip -batch` would read differently: the ADD dry run,
     * pasted into bash, runs exactly the commands the ADD itself runs, each name one argument. Pasted with an
     * empty PATH and `ip`/`nsenter` as functions that only print their arguments, so a quoting mistake can
     * run nothing (it would show as "command not found").
     */
    @Test
    void hostileButValidInterfaceNamesStayLiteralInTheDryRunAsPasted() throws Exception {
        List<String> names = List.of("e;x", "$(reboot)", "`id`", "a'b", "a\"b", "a#b", "a\\b", "-rf", "a|b",
                "a&b", "a>b", "$HOME", "é", "日本", "\u202e", "*", "~", "!x");
        Path emptyPath = Files.createDirectories(dir.resolve("empty-path"));
        for (String name : names) {
            assertEquals(null, InterfaceName.problem(name), name + " is a valid name");
            Map<String, String> env = env("ADD");
            env.put("CNI_IFNAME", name);
            env.put("TERWAY_DRY_RUN", "1");
            CniReply dry = run(env, CniServiceTest.CONF);
            assertEquals(0, dry.exitCode(), name + ": " + dry.stdout());
            List<List<String>> pasted = pasteIntoBash(dry.stdout(), emptyPath, name);

            env.remove("TERWAY_DRY_RUN");
            CniReply real = run(env, CniServiceTest.CONF);
            assertEquals(0, real.exitCode(), name + ": " + real.stdout());
            List<List<String>> ran = new ArrayList<>(node.commands);
            assertTrue(pasted.size() >= 1, name + ": " + dry.stdout());
            for (List<String> command : pasted) {
                assertTrue(ran.contains(command), name + ": the dry run shows " + command + ", the ADD ran " + ran);
            }
            assertTrue(pasted.stream().anyMatch(c -> namesAsOneWord(c, name)), name + " is one argument: " + pasted);
            Map<String, String> del = env("DEL");
            del.put("CNI_IFNAME", name);
            assertEquals(0, run(del, CniServiceTest.CONF).exitCode());
        }
    }

    /** The argv of every `ip`/`nsenter` the script runs (a fed one with its input as a last "<<<" part). */
    private static List<List<String>> pasteIntoBash(String script, Path emptyPath, String what) throws Exception {
        String prelude = """
                emit() { for a in "$@"; do printf '%s\\0' "$a"; done
                  case " $* " in *" -batch "*) printf '<<<\\0'; while IFS= read -r l; do printf '%s\\n' "$l"; done
                    printf '\\0';; esac
                  printf '\\1\\n'; }
                ip() { emit ip "$@"; }
                nsenter() { emit nsenter "$@"; }
                """;
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", "--noprofile", "--norc", "-s");
        pb.environment().put("PATH", emptyPath.toString());
        Process p = pb.start();
        p.getOutputStream().write((prelude + script).getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("", err, what + ": pasting the dry run ran something else:\n" + script);
        assertEquals(0, p.exitValue(), what);
        List<List<String>> commands = new ArrayList<>();
        for (String record : out.split("\u0001\n")) {
            if (!record.isEmpty()) {
                List<String> argv = new ArrayList<>(List.of(record.split("\u0000")));
                if (argv.size() > 1 && argv.get(argv.size() - 2).equals("<<<")) {
                    // as FakeNode records a fed command: its input's lines joined with "; "
                    argv.set(argv.size() - 1, String.join("; ", argv.get(argv.size() - 1).strip().split("\n")));
                }
                commands.add(argv);
            }
        }
        return commands;
    }

    /**
     * {@code name} is one argument of the command, or one word of a line fed to it (`ip -batch` splits its
     * lines at blanks, and a name with one is never fed: PodPlans runs those as argv).
     */
    private static boolean namesAsOneWord(List<String> command, String name) {
        int fed = command.indexOf("<<<");
        List<String> argv = fed < 0 ? command : command.subList(0, fed);
        if (argv.contains(name)) {
            return true;
        }
        return fed >= 0 && java.util.Arrays.stream(command.get(fed + 1).split("; "))
                .anyMatch(line -> List.of(line.split(" ")).contains(name));
    }

    @Test
    void netnsPathsThatAreNotNetworkNamespacesAreRefusedBeforeAnyCommand() throws Exception {
        Path regular = Files.writeString(dir.resolve("not-a-netns"), "x");
        Path directory = Files.createDirectory(dir.resolve("a-dir"));
        Path link = Files.createSymbolicLink(dir.resolve("link-to-file"), regular);
        List<String> paths = List.of(regular.toString(), directory.toString(), link.toString(), "/dev/null",
                "relative/netns", netns.getParent() + "/../" + netns.getParent().getFileName() + "/pod-netns",
                netns.getParent() + "/./pod-netns", netns + "\u0000", netns + "\n", "/proc/self/ns/mnt");
        for (String path : paths) {
            for (String verb : List.of("ADD", "CHECK")) {
                Map<String, String> env = env(verb);
                env.put("CNI_NETNS", path);
                String conf = verb.equals("CHECK") ? CniServiceTest.CONF.replace("}}",
                        "},\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}}") : CniServiceTest.CONF;
                CniReply reply = run(env, conf);
                assertRefusedUntouched(reply, verb + " netns " + path.replace("\u0000", "\\0"));
            }
        }
        Map<String, String> env = env("ADD");
        env.put("CNI_NETNS", regular.toString());
        assertTrue(run(env, CniServiceTest.CONF).stdout().contains("not a network namespace"));
    }

    @Test
    void theProbeKnowsProcNamespaceLinks() {
        assertEquals(Optional.empty(), NetnsProbe.SYSTEM.problem(Path.of("/proc/self/ns/net")));
        assertTrue(NetnsProbe.SYSTEM.problem(Path.of("/proc/self/ns/mnt")).orElseThrow().contains("mnt namespace"));
        assertTrue(NetnsProbe.SYSTEM.problem(Path.of("/proc/self/ns/../ns/net")).isPresent());
    }

    /** Configs from every family of trouble, chosen by index so each family gets its share. */
    private static String hostileConfig(Random random, int i) {
        String base = CniServiceTest.CONF;
        return switch (i % 8) {
            case 0 -> randomText(random, random.nextInt(200));
            case 1 -> { // byte flips
                char[] c = base.toCharArray();
                for (int k = 0; k < 1 + random.nextInt(3); k++) {
                    c[random.nextInt(c.length)] = (char) random.nextInt(128);
                }
                yield new String(c);
            }
            case 2 -> base.substring(0, random.nextInt(base.length())); // truncations
            case 3 -> { // a typed field set to a value of the wrong kind or size
                String[] fields = {"mtu", "bridge", "hairpinMode", "serviceCIDR", "ipam", "dns", "dhcpSocket",
                        "runtimeConfig", "prevResult", "cniVersion", "name", "type", "ipv6", "ipv4"};
                String[] values = {"1e400", "-0", "18446744073709551616", "\"\"", "null", "[]", "{}", "true",
                        "\"" + "x".repeat(5000) + "\"", "\"../../x\"", "\"a;b\"", "\"\\u0000\"", "[[[[[[]]]]]]",
                        "\"999.1.1.1/33\"", "{\"type\":\"../../bin/sh\"}", "{\"nameservers\":[1,2]}",
                        "[\"fd00::/108\",\"fd00:1::/108\"]", "{\"mode\":\"dhcpv6\",\"timeout\":\"99999999999s\"}",
                        "{\"mode\":\"off\",\"timeout\":\"-1s\"}", "false"};
                String field = fields[random.nextInt(fields.length)];
                String value = values[random.nextInt(values.length)];
                yield base.replace("{\"cniVersion\"", "{\"" + field + "\":" + value + ",\"cniVersion\"")
                        .replace("\"" + field + "\":" + value + ",\"" + field + "\"", "\"" + field + "\"");
            }
            case 4 -> "[".repeat(random.nextInt(100_000)); // unterminated nesting
            case 5 -> base.replace("}}", "}," + "\"n\":" + "9".repeat(1 + random.nextInt(20_000)) + "}");
            case 6 -> base.replace("1.0.0", randomText(random, random.nextInt(10)));
            default -> { // duplicated members and trailing garbage
                yield random.nextBoolean() ? base.replace("}}", "},\"name\":\"x\"}") : base + randomText(random, 3);
            }
        };
    }

    private static final String SYNTAX = "{}[]\":,0123456789.eE-+ \\tnufalsr";

    private static String randomText(Random random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int k = 0; k < length; k++) {
            int kind = random.nextInt(10);
            s.append(kind < 6 ? SYNTAX.charAt(random.nextInt(SYNTAX.length()))
                    : kind < 9 ? (char) random.nextInt(0x80) : (char) random.nextInt(0x10000));
        }
        return s.toString();
    }
}
