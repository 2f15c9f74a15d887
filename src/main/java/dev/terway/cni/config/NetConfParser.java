package dev.terway.cni.config;

import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.Dns;
import dev.terway.cni.result.ResultReader;
import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.ConfigFields;
import dev.terway.cni.spec.CniVersion;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.InterfaceName;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Reads a network configuration object into a {@link NetConf}. Unknown members are tolerated (runtimes
 * and operators add their own); a known member of the wrong type or with an impossible value is an
 * "invalid network config" error (7) naming the member.
 */
public final class NetConfParser {

    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

    private NetConfParser() {
    }

    public static NetConf parse(Map<String, Object> json) throws CniException {
        if (json.containsKey("plugins") && !json.containsKey("type")) {
            throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                    "invalid network config: got a network configuration list (\"plugins\"); a runtime passes"
                            + " each plugin its own entry, with cniVersion and name added");
        }
        String cniVersion = ConfigFields.requiredString(json, "cniVersion", "");
        if (!CniVersion.isSupported(cniVersion)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION,
                    "incompatible CNI versions: cniVersion \"" + cniVersion + "\" is not supported",
                    "supported versions: " + String.join(", ", CniVersion.SUPPORTED));
        }
        String name = ConfigFields.requiredString(json, "name", "");
        String type = ConfigFields.requiredString(json, "type", "");
        String bridge = ConfigFields.string(json, "bridge", "").orElse(NetConf.DEFAULT_BRIDGE);
        String bridgeProblem = InterfaceName.problem(bridge);
        if (bridgeProblem != null) {
            throw ConfigFields.invalidValue("bridge", bridge, "not an interface name: " + bridgeProblem);
        }
        String socket = ConfigFields.string(json, "dhcpSocket", "").orElse("/run/terway/dhcp.sock");
        if (!socket.startsWith("/")) {
            throw ConfigFields.invalidValue("dhcpSocket", socket, "must be an absolute path");
        }
        ServiceCidrs services = serviceCidrs(json);
        boolean hairpin = ConfigFields.bool(json, "hairpinMode", "").orElse(true);
        Optional<Long> mtu = ConfigFields.integer(json, "mtu", "", 68, 65535);
        Optional<NetConf.IpamConf> ipam = ipam(json);
        Dns dns = ResultReader.readDns(ConfigFields.object(json, "dns", ""), "dns");
        Optional<CniResult> prevResult = Optional.empty();
        Optional<Map<String, Object>> prev = ConfigFields.object(json, "prevResult", "");
        if (prev.isPresent()) {
            prevResult = Optional.of(ResultReader.read(prev.get(), "prevResult"));
        }
        NetConf.RuntimeConfig runtimeConfig = runtimeConfig(json);
        ConfigFields.object(json, "args", ""); // free-form, but must be an object when present
        Duration dhcpTimeout = ConfigFields.integer(json, "dhcpTimeoutSeconds", "", 1, 300)
                .map(Duration::ofSeconds).orElse(NetConf.DEFAULT_DHCP_TIMEOUT);
        List<NetConf.Attachment> attachments = attachments(json);
        Optional<String> onChange = ConfigFields.string(json, "onAddressChange", "");
        AddressChangePolicy onAddressChange = AddressChangePolicy.FOLLOW;
        if (onChange.isPresent()) {
            onAddressChange = AddressChangePolicy.parse(onChange.get()).orElseThrow(() -> ConfigFields.invalidValue(
                    "onAddressChange", onChange.get(), "must be \"follow\" (take the new address, report it) or"
                            + " \"remove\" (leave the pod without an address)"));
        }
        NetConf.Ipv6 ipv6 = ipv6(json);
        boolean ipv4 = ConfigFields.bool(json, "ipv4", "").orElse(true);
        if (!ipv4) {
            if (ipv6.mode() == NetConf.Ipv6Mode.OFF) {
                throw ConfigFields.invalidValue("ipv4", "false", "with ipv6.mode \"off\" the pod would get no"
                        + " address at all; an IPv6-only LAN needs ipv6.mode \"auto\", \"slaac\" or \"dhcpv6\"");
            }
            if (ipam.isPresent()) {
                throw ConfigFields.invalidValue("ipv4", "false", "ipam names a delegated IPAM plugin, which"
                        + " gives IPv4 addresses; leave out one or the other");
            }
            if (runtimeConfig.ip().isPresent()) {
                throw ConfigFields.invalidValue("ipv4", "false", "runtimeConfig.ips pins an IPv4 address");
            }
            if (services.v4().isPresent()) {
                throw ConfigFields.invalidValue("ipv4", "false", "serviceCIDR names the IPv4 network "
                        + services.v4().get() + ", which an IPv6-only pod cannot reach");
            }
        }
        return new NetConf(cniVersion, name, type, bridge, Path.of(socket), services.v4(), hairpin,
                mtu.isPresent() ? OptionalInt.of(mtu.get().intValue()) : OptionalInt.empty(), ipam, dns,
                prevResult, runtimeConfig, dhcpTimeout, attachments, onAddressChange, services.v6(), ipv4, ipv6);
    }

    /** The service networks of {@code serviceCIDR}, at most one per family. */
    private record ServiceCidrs(Optional<Ipv4Cidr> v4, Optional<Ipv6Cidr> v6) {
    }

    /**
     * {@code serviceCIDR}: one network of either family ("10.96.0.0/12", "fd00:96::/108"), or a list with at
     * most one of each (a dual-stack cluster's two service ranges); "" or [] is none.
     */
    private static ServiceCidrs serviceCidrs(Map<String, Object> json) throws CniException {
        Object value = json.get("serviceCIDR");
        List<String> texts = new ArrayList<>();
        if (value instanceof List<?>) {
            texts.addAll(ConfigFields.strings(json, "serviceCIDR", ""));
        } else if (value instanceof Map<?, ?> || value instanceof Boolean || value instanceof Number) {
            throw ConfigFields.wrongType("serviceCIDR", "a network (string) or a list of at most one per family",
                    value);
        } else {
            ConfigFields.string(json, "serviceCIDR", "").filter(t -> !t.isEmpty()).ifPresent(texts::add);
        }
        Optional<Ipv4Cidr> v4 = Optional.empty();
        Optional<Ipv6Cidr> v6 = Optional.empty();
        for (int i = 0; i < texts.size(); i++) {
            String field = value instanceof List<?> ? "serviceCIDR[" + i + "]" : "serviceCIDR";
            String text = texts.get(i);
            if (text.indexOf(':') >= 0) {
                Ipv6Cidr cidr = Ipv6Cidr.parseOrNull(text);
                if (cidr == null) {
                    throw ConfigFields.invalidValue(field, text, "must be an IPv6 network such as fd00:96::/108");
                }
                if (!cidr.networkCidr().equals(cidr)) {
                    throw ConfigFields.invalidValue(field, text, "has host bits set; the network is "
                            + cidr.networkCidr());
                }
                if (v6.isPresent()) {
                    throw ConfigFields.invalidValue(field, text, "a second IPv6 network; serviceCIDR takes at most"
                            + " one per family (already " + v6.get() + ")");
                }
                v6 = Optional.of(cidr);
                continue;
            }
            Ipv4Cidr cidr = Ipv4Cidr.parseOrNull(text);
            if (cidr == null) {
                throw ConfigFields.invalidValue(field, text, "must be an IPv4 network such as 10.96.0.0/12 or an"
                        + " IPv6 network such as fd00:96::/108");
            }
            if (!cidr.networkCidr().equals(cidr)) {
                throw ConfigFields.invalidValue(field, text, "has host bits set; the network is "
                        + cidr.networkCidr());
            }
            if (v4.isPresent()) {
                throw ConfigFields.invalidValue(field, text, "a second IPv4 network; serviceCIDR takes at most one"
                        + " per family (already " + v4.get() + ")");
            }
            v4 = Optional.of(cidr);
        }
        return new ServiceCidrs(v4, v6);
    }

    private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,5})(ms|s)");

    /** {@code "ipv6": {"mode": "auto"|"slaac"|"dhcpv6"|"off", "timeout": "3s"}}; every member optional. */
    private static NetConf.Ipv6 ipv6(Map<String, Object> json) throws CniException {
        Optional<Map<String, Object>> section = ConfigFields.object(json, "ipv6", "");
        if (section.isEmpty()) {
            return NetConf.Ipv6.DEFAULT;
        }
        NetConf.Ipv6Mode mode = NetConf.Ipv6.DEFAULT.mode();
        Optional<String> modeText = ConfigFields.string(section.get(), "mode", "ipv6");
        if (modeText.isPresent()) {
            mode = NetConf.Ipv6Mode.parse(modeText.get()).orElseThrow(() -> ConfigFields.invalidValue("ipv6.mode",
                    modeText.get(), "must be \"auto\" (SLAAC and DHCPv6, whatever arrives), \"slaac\", \"dhcpv6\""
                            + " or \"off\""));
        }
        Duration timeout = NetConf.Ipv6.DEFAULT_TIMEOUT;
        Optional<String> timeoutText = ConfigFields.string(section.get(), "timeout", "ipv6");
        if (timeoutText.isPresent()) {
            var m = DURATION.matcher(timeoutText.get());
            if (!m.matches()) {
                throw ConfigFields.invalidValue("ipv6.timeout", timeoutText.get(),
                        "must be a duration such as \"3s\" or \"500ms\"");
            }
            long n = Long.parseLong(m.group(1));
            timeout = m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
            if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofSeconds(300)) > 0) {
                throw ConfigFields.invalidValue("ipv6.timeout", timeoutText.get(), "must be between 100ms and 300s");
            }
        }
        return new NetConf.Ipv6(mode, timeout);
    }

    private static Optional<NetConf.IpamConf> ipam(Map<String, Object> json) throws CniException {
        Optional<Map<String, Object>> section = ConfigFields.object(json, "ipam", "");
        if (section.isEmpty() || section.get().isEmpty()) {
            return Optional.empty();
        }
        String type = ConfigFields.requiredString(section.get(), "type", "ipam");
        if (type.indexOf('/') >= 0 || type.equals(".") || type.equals("..")) {
            throw ConfigFields.invalidValue("ipam.type", type, "must be the file name of a plugin on CNI_PATH");
        }
        return Optional.of(new NetConf.IpamConf(type, section.get()));
    }

    private static NetConf.RuntimeConfig runtimeConfig(Map<String, Object> json) throws CniException {
        Optional<Map<String, Object>> rc = ConfigFields.object(json, "runtimeConfig", "");
        if (rc.isEmpty()) {
            return NetConf.RuntimeConfig.none();
        }
        List<String> ips = ConfigFields.strings(rc.get(), "ips", "runtimeConfig");
        Optional<CniArgs.RequestedAddress> ip = Optional.empty();
        for (int i = 0; i < ips.size(); i++) {
            String text = ips.get(i);
            String field = "runtimeConfig.ips[" + i + "]";
            if (text.indexOf(':') >= 0) {
                throw new CniException(CniErrorCode.UNSUPPORTED_FIELD, "unsupported field value: " + field + " \""
                        + text + "\" is IPv6; terway pins IPv4 addresses only (IPv6 comes from the LAN: \"ipv6\")");
            }
            Optional<CniArgs.RequestedAddress> parsed = CniArgs.RequestedAddress.parse(text, field);
            if (parsed.isEmpty()) {
                throw ConfigFields.invalidValue(field, text, "must be an IPv4 address, optionally with /prefix");
            }
            if (ip.isPresent()) {
                throw new CniException(CniErrorCode.UNSUPPORTED_FIELD,
                        "unsupported field value: runtimeConfig.ips has more than one IPv4 address; a pod"
                                + " interface gets one");
            }
            ip = parsed;
        }
        Optional<String> mac = ConfigFields.string(rc.get(), "mac", "runtimeConfig");
        if (mac.isPresent() && !MAC.matcher(mac.get()).matches()) {
            throw ConfigFields.invalidValue("runtimeConfig.mac", mac.get(), "must be a MAC such as 02:42:ac:11:00:02");
        }
        return new NetConf.RuntimeConfig(ip, mac.map(m -> m.toLowerCase(java.util.Locale.ROOT)));
    }

    private static List<NetConf.Attachment> attachments(Map<String, Object> json) throws CniException {
        // libcni sends the list under both names (a typo in an earlier spec draft); either is read.
        String key = json.containsKey("cni.dev/valid-attachments") ? "cni.dev/valid-attachments"
                : "cni.dev/attachments";
        List<NetConf.Attachment> out = new ArrayList<>();
        List<Map<String, Object>> items = ConfigFields.objects(json, key, "");
        for (int i = 0; i < items.size(); i++) {
            String at = key + "[" + i + "]";
            out.add(new NetConf.Attachment(ConfigFields.requiredString(items.get(i), "containerID", at),
                    ConfigFields.requiredString(items.get(i), "ifname", at)));
        }
        return out;
    }
}
