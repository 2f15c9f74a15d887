package dev.terway.cni.result;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** The DNS part of a CNI result or network configuration. */
public record Dns(List<String> nameservers, Optional<String> domain, List<String> search, List<String> options) {

    public Dns {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
        options = List.copyOf(options);
    }

    public static Dns empty() {
        return new Dns(List.of(), Optional.empty(), List.of(), List.of());
    }

    public boolean isEmpty() {
        return nameservers.isEmpty() && domain.isEmpty() && search.isEmpty() && options.isEmpty();
    }

    /**
     * This configuration's DNS laid over what the network (DHCP) offered: the operator's entries come
     * first and win where only one value fits (domain); duplicates are dropped.
     */
    public Dns over(Dns offered) {
        return new Dns(union(nameservers, offered.nameservers), domain.or(offered::domain),
                union(search, offered.search), union(options, offered.options));
    }

    private static List<String> union(List<String> first, List<String> second) {
        LinkedHashSet<String> all = new LinkedHashSet<>(first);
        all.addAll(second);
        return new ArrayList<>(all);
    }
}
