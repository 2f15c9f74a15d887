package dev.terway.status;

import dev.terway.netstate.Link;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The node as {@code terway status} saw it, read-only: the setup record, every link (`ip -j -d link show`) and
 * the bridge ports' STP states (`bridge -j link show`).
 *
 * @param bridge      the bridge to judge: the setup record's, else the one the operator named
 * @param setup       the setup record's facts; empty when there is none (or it could not be read)
 * @param setupProblem why the setup record could not be read
 * @param links       every link of the namespace; empty when {@code linkProblem} says why
 * @param portStates  bridge port name → its state ({@code forwarding}, {@code disabled}, …)
 * @param linkProblem why the links could not be read
 */
public record NodeObservation(String bridge, Optional<Setup> setup, Optional<String> setupProblem, List<Link> links,
                              Map<String, String> portStates, Optional<String> linkProblem) {

    /** What `terway setup` recorded: the NIC it bridged into {@code bridge}, since the record was written. */
    public record Setup(String iface, String bridge, Optional<Instant> since) {
    }

    public NodeObservation {
        Objects.requireNonNull(bridge, "bridge");
        Objects.requireNonNull(setup, "setup");
        Objects.requireNonNull(setupProblem, "setupProblem");
        Objects.requireNonNull(linkProblem, "linkProblem");
        links = List.copyOf(links);
        portStates = Map.copyOf(portStates);
    }

    public Optional<Link> link(String name) {
        return links.stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The links enslaved to the bridge, in the kernel's order. */
    public List<Link> ports() {
        return links.stream().filter(l -> l.master().filter(bridge::equals).isPresent()).toList();
    }
}
