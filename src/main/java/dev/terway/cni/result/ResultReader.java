package dev.terway.cni.result;

import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.ConfigFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads a result of any supported version (a {@code prevResult}, or what a delegated IPAM plugin printed)
 * into the version-independent model. Fields a version does not define are simply absent; the 0.x
 * {@code "version"} of addresses is implied by the address itself.
 */
public final class ResultReader {

    private ResultReader() {
    }

    public static CniResult read(Map<String, Object> json, String path) throws CniException {
        List<ResultInterface> interfaces = new ArrayList<>();
        List<Map<String, Object>> items = ConfigFields.objects(json, "interfaces", path);
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> m = items.get(i);
            String at = ConfigFields.join(path, "interfaces[" + i + "]");
            interfaces.add(new ResultInterface(ConfigFields.requiredString(m, "name", at),
                    ConfigFields.string(m, "mac", at), integer(m, "mtu", at, 0, 65535),
                    ConfigFields.string(m, "sandbox", at), ConfigFields.string(m, "socketPath", at),
                    ConfigFields.string(m, "pciID", at)));
        }
        List<ResultIp> ips = new ArrayList<>();
        items = ConfigFields.objects(json, "ips", path);
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> m = items.get(i);
            String at = ConfigFields.join(path, "ips[" + i + "]");
            String address = ConfigFields.requiredString(m, "address", at);
            if (address.indexOf('/') < 0) {
                throw ConfigFields.invalidValue(ConfigFields.join(at, "address"), address,
                        "must be an address with prefix length (CIDR)");
            }
            OptionalInt index = integer(m, "interface", at, 0, Integer.MAX_VALUE);
            if (index.isPresent() && index.getAsInt() >= interfaces.size()) {
                throw ConfigFields.invalidValue(ConfigFields.join(at, "interface"), Integer.toString(index.getAsInt()),
                        "there are only " + interfaces.size() + " interfaces");
            }
            ips.add(new ResultIp(address, ConfigFields.string(m, "gateway", at), index));
        }
        List<ResultRoute> routes = new ArrayList<>();
        items = ConfigFields.objects(json, "routes", path);
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> m = items.get(i);
            String at = ConfigFields.join(path, "routes[" + i + "]");
            routes.add(new ResultRoute(ConfigFields.requiredString(m, "dst", at), ConfigFields.string(m, "gw", at),
                    integer(m, "mtu", at, 0, Integer.MAX_VALUE), integer(m, "advmss", at, 0, Integer.MAX_VALUE),
                    integer(m, "priority", at, 0, Integer.MAX_VALUE), integer(m, "table", at, 0, Integer.MAX_VALUE),
                    integer(m, "scope", at, 0, 255)));
        }
        Dns dns = readDns(ConfigFields.object(json, "dns", path), ConfigFields.join(path, "dns"));
        return new CniResult(interfaces, ips, routes, dns);
    }

    /** A DNS object at {@code path} (e.g. "dns" or "prevResult.dns"); absent means empty. */
    public static Dns readDns(Optional<Map<String, Object>> json, String path) throws CniException {
        if (json.isEmpty()) {
            return Dns.empty();
        }
        Map<String, Object> m = json.get();
        return new Dns(ConfigFields.strings(m, "nameservers", path),
                ConfigFields.string(m, "domain", path).filter(s -> !s.isEmpty()),
                ConfigFields.strings(m, "search", path), ConfigFields.strings(m, "options", path));
    }

    private static OptionalInt integer(Map<String, Object> m, String name, String path, long min, long max)
            throws CniException {
        Optional<Long> v = ConfigFields.integer(m, name, path, min, max);
        return v.isPresent() ? OptionalInt.of(v.get().intValue()) : OptionalInt.empty();
    }
}
