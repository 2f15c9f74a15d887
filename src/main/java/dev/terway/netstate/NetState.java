package dev.terway.netstate;

import java.util.List;
import java.util.Optional;

/** A snapshot of one network namespace: its links, addresses and main-table routes. */
public record NetState(List<Link> links, List<IpAddress> addresses, List<Route> routes) {

    public NetState {
        links = List.copyOf(links);
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    public Optional<Link> link(String name) {
        return links.stream().filter(l -> l.name().equals(name)).findFirst();
    }

    public List<IpAddress> addressesOf(String dev) {
        return addresses.stream().filter(a -> a.dev().equals(dev)).toList();
    }

    public List<Route> routesVia(String dev) {
        return routes.stream().filter(r -> r.dev().filter(dev::equals).isPresent()).toList();
    }

    public List<Link> portsOf(String bridge) {
        return links.stream().filter(l -> l.master().filter(bridge::equals).isPresent()).toList();
    }

    public List<Route> defaultRoutes() {
        return routes.stream().filter(Route::isDefault).toList();
    }
}
