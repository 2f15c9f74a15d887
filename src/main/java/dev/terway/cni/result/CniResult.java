package dev.terway.cni.result;

import java.util.ArrayList;
import java.util.List;

/**
 * The result of ADD, independent of the version it is written in (the 1.1.0 model, the richest). It is
 * converted to the configuration's version only when written, by {@link ResultWriter}.
 */
public record CniResult(List<ResultInterface> interfaces, List<ResultIp> ips, List<ResultRoute> routes, Dns dns) {

    public CniResult {
        interfaces = List.copyOf(interfaces);
        ips = List.copyOf(ips);
        routes = List.copyOf(routes);
    }

    public static CniResult empty() {
        return new CniResult(List.of(), List.of(), List.of(), Dns.empty());
    }

    /**
     * This plugin's result appended to a previous plugin's (chaining): interfaces are appended and this
     * result's interface indexes shifted past the previous ones; routes and addresses are added; DNS
     * entries of this result come first.
     */
    public CniResult after(CniResult previous) {
        int shift = previous.interfaces.size();
        List<ResultInterface> allInterfaces = new ArrayList<>(previous.interfaces);
        allInterfaces.addAll(interfaces);
        List<ResultIp> allIps = new ArrayList<>(previous.ips);
        for (ResultIp ip : ips) {
            allIps.add(ip.interfaceIndex().isPresent() ? ip.withInterface(ip.interfaceIndex().getAsInt() + shift) : ip);
        }
        List<ResultRoute> allRoutes = new ArrayList<>(previous.routes);
        allRoutes.addAll(routes);
        return new CniResult(allInterfaces, allIps, allRoutes, dns.over(previous.dns));
    }
}
