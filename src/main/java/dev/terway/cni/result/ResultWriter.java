package dev.terway.cni.result;

import dev.terway.cni.json.JsonText;
import dev.terway.cni.spec.CniVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Writes a result in the version the configuration asked for. Each version gets exactly the fields it
 * defines: 0.3.x and 0.4.0 carry {@code "version"} on every address; 1.0.0 dropped it; 1.1.0 added the
 * interface {@code mtu}, {@code socketPath}, {@code pciID} and the route attributes. Empty lists and an
 * empty DNS are left out, as the reference plugins do.
 */
public final class ResultWriter {

    private ResultWriter() {
    }

    public static String write(CniResult result, String cniVersion) {
        return JsonText.write(toJson(result, cniVersion)) + "\n";
    }

    public static Map<String, Object> toJson(CniResult result, String cniVersion) {
        if (!CniVersion.isSupported(cniVersion)) {
            throw new IllegalArgumentException("cannot write a result for unsupported cniVersion " + cniVersion);
        }
        boolean v11 = CniVersion.atLeast(cniVersion, CniVersion.V1_1_0);
        boolean pre10 = !CniVersion.atLeast(cniVersion, CniVersion.V1_0_0);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", cniVersion);
        if (!result.interfaces().isEmpty()) {
            List<Object> interfaces = new ArrayList<>();
            for (ResultInterface i : result.interfaces()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", i.name());
                put(m, "mac", i.mac());
                if (v11) {
                    put(m, "mtu", i.mtu());
                }
                put(m, "sandbox", i.sandbox());
                if (v11) {
                    put(m, "socketPath", i.socketPath());
                    put(m, "pciID", i.pciId());
                }
                interfaces.add(m);
            }
            out.put("interfaces", interfaces);
        }
        if (!result.ips().isEmpty()) {
            List<Object> ips = new ArrayList<>();
            for (ResultIp ip : result.ips()) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (pre10) {
                    m.put("version", ip.family());
                }
                put(m, "interface", ip.interfaceIndex());
                m.put("address", ip.address());
                put(m, "gateway", ip.gateway());
                ips.add(m);
            }
            out.put("ips", ips);
        }
        if (!result.routes().isEmpty()) {
            List<Object> routes = new ArrayList<>();
            for (ResultRoute r : result.routes()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("dst", r.dst());
                put(m, "gw", r.gw());
                if (v11) {
                    put(m, "mtu", r.mtu());
                    put(m, "advmss", r.advmss());
                    put(m, "priority", r.priority());
                    put(m, "table", r.table());
                    put(m, "scope", r.scope());
                }
                routes.add(m);
            }
            out.put("routes", routes);
        }
        if (!result.dns().isEmpty()) {
            out.put("dns", dns(result.dns()));
        }
        return out;
    }

    static Map<String, Object> dns(Dns dns) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!dns.nameservers().isEmpty()) {
            m.put("nameservers", dns.nameservers());
        }
        put(m, "domain", dns.domain());
        if (!dns.search().isEmpty()) {
            m.put("search", dns.search());
        }
        if (!dns.options().isEmpty()) {
            m.put("options", dns.options());
        }
        return m;
    }

    private static void put(Map<String, Object> m, String key, Optional<String> value) {
        value.ifPresent(v -> m.put(key, v));
    }

    private static void put(Map<String, Object> m, String key, OptionalInt value) {
        if (value.isPresent()) {
            m.put(key, value.getAsInt());
        }
    }
}
