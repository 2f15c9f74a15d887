package dev.terway.migration;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Ipv6Settings;
import dev.terway.netstate.Ipv6SettingsReader;
import dev.terway.netstate.NetState;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One captured case under src/test/resources/migration/ (see capture-fixtures.sh there): the `ip -j`
 * output of a real namespace in a known state.
 */
public record Fixture(String name) {

    public static Fixture of(String name) {
        return new Fixture(name);
    }

    String file(String file) {
        String path = "/migration/" + name + "/" + file;
        try (InputStream in = Fixture.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    NetState state() {
        List<dev.terway.netstate.Route> routes = new ArrayList<>(IpJson.routes(file("route4.json"), Family.INET));
        routes.addAll(IpJson.routes(file("route6.json"), Family.INET6));
        return new NetState(IpJson.links(file("link.json")), IpJson.addresses(file("addr.json")), routes);
    }

    /** The IPv6 settings terway reads for {@code devices} (those that exist) through the real reader. */
    Ipv6Settings ipv6(String... devices) {
        NetState state = state();
        return new Ipv6SettingsReader(runner()).read(
                Stream.of(devices).filter(d -> state.link(d).isPresent()).toList());
    }

    Optional<BridgeOptions> bridgeOptions(String bridge) {
        return BridgeOptions.parse(file("link.json"), bridge);
    }

    List<Neighbour> neighbours() {
        return Neighbour.parse(file("neigh.json"));
    }

    /** The expected plan text of this case, if it has one. */
    public String golden(String file) {
        return file(file);
    }

    /**
     * Answers the state reads of terway (`ip -j …`, `ping`) from this fixture and reports success for every
     * other command, as a host that accepts every change would. Tests wrap it in a Mockito mock to verify
     * what was run.
     */
    public CommandResult answer(List<String> argv) {
        String out = "";
        if (argv.equals(List.of("ip", "-j", "-d", "link", "show")) || (argv.size() == 7
                && argv.subList(0, 5).equals(List.of("ip", "-j", "-d", "link", "show")))) {
            out = file("link.json");
        } else if (argv.equals(List.of("ip", "-j", "addr", "show"))) {
            out = file("addr.json");
        } else if (argv.equals(List.of("ip", "-j", "-4", "route", "show", "table", "main"))) {
            out = file("route4.json");
        } else if (argv.equals(List.of("ip", "-j", "-6", "route", "show", "table", "main"))) {
            out = file("route6.json");
        } else if (argv.equals(List.of("ip", "-j", "neigh", "show"))) {
            out = file("neigh.json");
        } else if (argv.size() > 2 && argv.subList(0, 2).equals(List.of("sysctl", "-n"))) {
            return sysctl(argv);
        }
        return new CommandResult(argv, 0, out, "", Duration.ofMillis(1));
    }

    /** `sysctl -n KEY…` answered from sysctl.txt (as `sysctl` printed it: dots, "key = value"), as sysctl would. */
    private CommandResult sysctl(List<String> argv) {
        Map<String, String> values = new HashMap<>();
        file("sysctl.txt").lines().map(l -> l.split(" = ", 2)).filter(kv -> kv.length == 2)
                .forEach(kv -> values.put(kv[0].strip(), kv[1].strip()));
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        for (String key : argv.subList(2, argv.size())) {
            String value = values.get(key.replace('/', '.'));
            if (value == null) {
                err.append("sysctl: cannot stat /proc/sys/").append(key).append(": No such file or directory\n");
            } else {
                out.append(value).append('\n');
            }
        }
        return new CommandResult(argv, err.isEmpty() ? 0 : 255, out.toString(), err.toString(), Duration.ofMillis(1));
    }

    /** Whether terway runs {@code argv} to read state (`ip -j …`, `sysctl -n …`) rather than to change it. */
    static boolean isRead(List<String> argv) {
        return argv.size() > 1 && (argv.get(1).equals("-j") || argv.subList(0, 2).equals(List.of("sysctl", "-n")));
    }

    public CommandRunner runner() {
        return this::answer;
    }
}
