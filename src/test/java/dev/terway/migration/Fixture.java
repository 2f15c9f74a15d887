package dev.terway.migration;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.NetState;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
        }
        return new CommandResult(argv, 0, out, "", Duration.ofMillis(1));
    }

    public CommandRunner runner() {
        return this::answer;
    }
}
