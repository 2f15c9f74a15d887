package dev.terway.cni.handler;

import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node as `ip -j` shows it, enough for the verbs: a bridge with an address, a default route, host veths
 * created and deleted by the commands run, and pod interfaces with addresses and routes. Records every
 * command; a command starting with {@link #failOn} fails.
 */
final class FakeNode implements CommandRunner {

    final List<List<String>> commands = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> vethMaster = new ConcurrentHashMap<>();
    final Set<String> podInterfaces = ConcurrentHashMap.newKeySet();
    final Map<String, List<String>> podAddresses = new ConcurrentHashMap<>();
    final List<String> podRoutes = Collections.synchronizedList(new ArrayList<>());
    volatile boolean bridgeExists = true;
    volatile String bridgeAddress = "10.20.30.5/24";
    volatile String defaultGateway = "10.20.30.1";
    volatile String failOn = null;
    /** The bridge's global IPv6 address; null: none. */
    volatile String bridgeAddress6 = null;
    /** Whether the bridge has routes learnt from router advertisements. */
    volatile boolean bridgeRaRoutes = true;
    /**
     * The pod's SLAAC: null, no router advertisement ever; else the address the kernel makes, which appears at
     * look {@link #slaacAtLook} of {@code ip -6 -j -batch -} (counting from 1), tentative in that look and ready
     * from the next, with the default route via {@link #router6} and the RA's on-link prefix route.
     */
    volatile String slaacAddress = null;
    volatile int slaacAtLook = 2;
    volatile String router6 = "fe80::1";
    /** The SLAAC address fails duplicate detection instead of becoming usable. */
    volatile boolean slaacDadFails = false;
    /** With no SLAAC address: the RA still arrives at {@link #slaacAtLook} with this on-link prefix (M flag LAN). */
    volatile String onlinkPrefix6 = null;
    /** The pod interface's accept_ra and autoconf, as the last {@code sysctl -w} in the pod set them. */
    volatile String acceptRa = "1";
    volatile String autoconf = "1";
    final java.util.concurrent.atomic.AtomicInteger looks6 = new java.util.concurrent.atomic.AtomicInteger();
    final Map<String, List<String>> podAddresses6 = new ConcurrentHashMap<>();
    /** Addresses (no prefix) whose duplicate detection fails once terway adds them: another LAN host has them. */
    final Set<String> duplicates6 = ConcurrentHashMap.newKeySet();
    final List<String> podRoutes6 = Collections.synchronizedList(new ArrayList<>());

    /**
     * A fed command is `ip -batch -` on the node or `nsenter --net=NS ip -4 -batch -` in a pod: recorded as
     * one command (its input after {@code <<<}, lines joined with "; "), run like `ip -batch` runs it:
     * line by line as `ip LINE` or `nsenter --net=NS ip -4 LINE`, stopping at the first that fails.
     */
    @Override
    public CommandResult run(List<String> argv, String input) {
        String command = String.join(" ", argv);
        List<String> prefix;
        if (command.equals("ip -batch -")) {
            prefix = List.of("ip");
        } else if (command.matches("nsenter --net=\\S+ ip -[46] -batch -")) {
            prefix = argv.subList(0, 4);
        } else if (command.matches("nsenter --net=\\S+ ip -6 -j -batch -")) {
            commands.add(List.copyOf(argv));
            return look6(argv, input);
        } else {
            throw new AssertionError("unexpected fed command: " + argv);
        }
        List<String> recorded = new ArrayList<>(argv);
        recorded.add("<<<");
        recorded.add(String.join("; ", input.strip().split("\n")));
        commands.add(List.copyOf(recorded));
        int n = 0;
        for (String line : input.strip().split("\n")) {
            n++;
            List<String> one = new ArrayList<>(prefix);
            one.addAll(List.of(line.split(" ")));
            CommandResult r = execute(one);
            if (!r.succeeded()) {
                return result(argv, 1, "", r.stderr() + "\nCommand failed -:" + n);
            }
        }
        return ok(argv, "");
    }

    @Override
    public CommandResult run(List<String> argv) {
        commands.add(List.copyOf(argv));
        return execute(argv);
    }

    private CommandResult execute(List<String> argv) {
        String line = String.join(" ", argv);
        if (failOn != null && line.startsWith(failOn)) {
            return result(argv, 2, "", "RTNETLINK answers: Operation not permitted");
        }
        if (line.startsWith("ip -j -d addr show dev ") && bridgeAddress6 != null && bridgeExists
                && argv.get(argv.size() - 1).equals("mybr0")) {
            String[] a = bridgeAddress.split("/");
            String[] b = bridgeAddress6.split("/");
            return ok(argv, "[{\"ifindex\":3,\"ifname\":\"mybr0\",\"flags\":[\"UP\"],\"mtu\":1450,"
                    + "\"address\":\"02:00:00:00:00:01\",\"linkinfo\":{\"info_kind\":\"bridge\"},\"addr_info\":"
                    + "[{\"family\":\"inet\",\"local\":\"" + a[0] + "\",\"prefixlen\":" + a[1]
                    + ",\"scope\":\"global\"},{\"family\":\"inet6\",\"local\":\"" + b[0] + "\",\"prefixlen\":" + b[1]
                    + ",\"scope\":\"global\"},{\"family\":\"inet6\",\"local\":\"fe80::5\",\"prefixlen\":64,"
                    + "\"scope\":\"link\"}]}]");
        }
        if (line.startsWith("ip -j -d addr show dev ")) {
            String dev = argv.get(argv.size() - 1);
            if (!bridgeExists || !dev.equals("mybr0")) {
                return result(argv, 1, "", "Device \"" + dev + "\" does not exist.");
            }
            String[] a = bridgeAddress.split("/");
            return ok(argv, "[{\"ifindex\":3,\"ifname\":\"mybr0\",\"flags\":[\"UP\"],\"mtu\":1450,"
                    + "\"address\":\"02:00:00:00:00:01\",\"linkinfo\":{\"info_kind\":\"bridge\"},\"addr_info\":"
                    + "[{\"family\":\"inet\",\"local\":\"" + a[0] + "\",\"prefixlen\":" + a[1]
                    + ",\"scope\":\"global\"}]}]");
        }
        if (line.equals("ip -j -6 route show dev mybr0")) {
            String permanent = "{\"dst\":\"fd00:1::/64\",\"dev\":\"mybr0\",\"protocol\":\"kernel\",\"metric\":256,"
                    + "\"flags\":[]},{\"dst\":\"fe80::/64\",\"dev\":\"mybr0\",\"protocol\":\"kernel\",\"metric\":256,"
                    + "\"flags\":[]}";
            return ok(argv, "[" + permanent + (bridgeRaRoutes ? ",{\"dst\":\"default\",\"gateway\":\"fe80::1\","
                    + "\"dev\":\"mybr0\",\"protocol\":\"ra\",\"metric\":1024,\"flags\":[],\"expires\":299}" : "") + "]");
        }
        if (line.equals("ip -j -4 route show default")) {
            return ok(argv, defaultGateway == null ? "[]"
                    : "[{\"dst\":\"default\",\"gateway\":\"" + defaultGateway + "\",\"dev\":\"mybr0\"}]");
        }
        if (line.startsWith("ip -j link show dev ") || line.startsWith("ip -j -d link show dev ")) {
            String dev = argv.get(argv.size() - 1);
            String master = vethMaster.get(dev);
            if (master == null) {
                return result(argv, 1, "", "Device \"" + dev + "\" does not exist.");
            }
            return ok(argv, linkJson(dev, master));
        }
        if (line.equals("ip -j -d link show type veth")) {
            List<String> all = new ArrayList<>();
            vethMaster.forEach((dev, master) -> all.add(linkJson(dev, master).replaceAll("^\\[|\\]$", "")));
            return ok(argv, "[" + String.join(",", all) + "]");
        }
        if (argv.get(0).equals("ip") && argv.get(1).equals("link") && argv.get(2).equals("add")) {
            // `link add name POD … netns NS up type veth peer name HOST …`: the pod end first, in its netns
            int peer = argv.indexOf("peer");
            if (!argv.subList(0, peer).contains("netns")) {
                throw new AssertionError("the pod end comes first, created in the pod's netns: " + argv);
            }
            String veth = argv.get(peer + 2);
            if (vethMaster.containsKey(veth)) {
                return result(argv, 2, "", "RTNETLINK answers: File exists");
            }
            vethMaster.put(veth, "");
            podInterfaces.add(argv.get(4));
            return ok(argv, "");
        }
        if (line.startsWith("ip link set dev ")) {
            if (argv.contains("master")) {
                vethMaster.computeIfPresent(argv.get(4), (k, v) -> argv.get(argv.indexOf("master") + 1));
            }
            return ok(argv, "");
        }
        if (line.startsWith("ip link del ")) {
            if (vethMaster.remove(argv.get(3)) == null) {
                return result(argv, 1, "", "Cannot find device \"" + argv.get(3) + "\"");
            }
            podInterfaces.clear();
            podAddresses.clear();
            podRoutes.clear();
            podAddresses6.clear();
            podRoutes6.clear();
            return ok(argv, "");
        }
        if (argv.get(0).equals("nsenter")) {
            List<String> ip = argv.subList(3, argv.size());
            String cmd = String.join(" ", ip);
            if (cmd.startsWith("-6 addr add ")) {
                podAddresses6.computeIfAbsent(ip.get(5), k -> new ArrayList<>()).add(ip.get(3));
            } else if (cmd.startsWith("-6 addr del ")) {
                if (!podAddresses6.getOrDefault(ip.get(5), new ArrayList<>()).remove(ip.get(3))) {
                    return result(argv, 2, "", "RTNETLINK answers: Cannot assign requested address");
                }
            } else if (cmd.startsWith("-6 route replace ")) {
                podRoutes6.add(cmd.substring("-6 route replace ".length()));
            } else if (argv.get(2).equals("sysctl") && argv.contains("-n")) {
                // addr_gen_mode, use_tempaddr, router_solicitation_delay, retrans_time_ms, accept_ra, autoconf
                return ok(argv, "0\n0\n0\n100\n" + acceptRa + "\n" + autoconf + "\n");
            } else if (argv.get(2).equals("sysctl") && argv.contains("-w")) {
                for (String kv : argv) {
                    if (kv.contains("/accept_ra=")) {
                        acceptRa = kv.substring(kv.indexOf('=') + 1);
                    } else if (kv.contains("/autoconf=")) {
                        autoconf = kv.substring(kv.indexOf('=') + 1);
                    }
                }
            } else if (cmd.startsWith("-4 addr add ")) {
                podAddresses.computeIfAbsent(ip.get(5), k -> new ArrayList<>()).add(ip.get(3));
            } else if (cmd.startsWith("-4 route replace ")) {
                podRoutes.add(cmd.substring("-4 route replace ".length()));
            } else if (cmd.startsWith("-j addr show dev ")) {
                String dev = ip.get(4);
                if (!podInterfaces.contains(dev)) {
                    return result(argv, 1, "", "Device \"" + dev + "\" does not exist.");
                }
                StringBuilder addrs = new StringBuilder();
                for (String cidr : podAddresses.getOrDefault(dev, List.of())) {
                    String[] a = cidr.split("/");
                    addrs.append(addrs.length() == 0 ? "" : ",").append("{\"family\":\"inet\",\"local\":\"")
                            .append(a[0]).append("\",\"prefixlen\":").append(a[1]).append(",\"scope\":\"global\"}");
                }
                List<String> v6 = new ArrayList<>(podAddresses6.getOrDefault(dev, List.of()));
                if (slaacAddress != null && looks6.get() >= slaacAtLook) {
                    v6.add(slaacAddress);
                }
                for (String cidr : v6) {
                    String[] a = cidr.split("/");
                    addrs.append(addrs.length() == 0 ? "" : ",").append("{\"family\":\"inet6\",\"local\":\"")
                            .append(a[0]).append("\",\"prefixlen\":").append(a[1]).append(",\"scope\":\"global\"}");
                }
                return ok(argv, "[{\"ifindex\":2,\"ifname\":\"" + dev + "\",\"flags\":[\"UP\"],\"mtu\":1450,"
                        + "\"address\":\"" + podMac + "\",\"addr_info\":[" + addrs + "]}]");
            } else if (cmd.equals("-j -4 route show")) {
                List<String> routes = new ArrayList<>();
                for (String r : podRoutes) {
                    String[] w = r.split(" ");
                    String gw = r.contains(" via ") ? ",\"gateway\":\"" + w[2] + "\"" : "";
                    routes.add("{\"dst\":\"" + w[0] + "\"" + gw + ",\"dev\":\"eth0\"}");
                }
                return ok(argv, "[" + String.join(",", routes) + "]");
            }
            return ok(argv, "");
        }
        return ok(argv, "");
    }

    volatile String podMac = "";

    /** One look at the pod's IPv6 ({@code addr show dev IF} and {@code route show} as two JSON arrays). */
    private CommandResult look6(List<String> argv, String input) {
        String dev = input.lines().findFirst().orElseThrow().split(" ")[3];
        if (!podInterfaces.contains(dev)) {
            return result(argv, 1, "", "Device \"" + dev + "\" does not exist.\nCommand failed -:1");
        }
        int look = looks6.incrementAndGet();
        List<String> addrs = new ArrayList<>();
        List<String> routes = new ArrayList<>();
        boolean ra = look >= slaacAtLook && (slaacAddress != null || onlinkPrefix6 != null);
        if (ra && slaacAddress != null) {
            String[] a = slaacAddress.split("/");
            addrs.add("{\"family\":\"inet6\",\"local\":\"" + a[0] + "\",\"prefixlen\":" + a[1]
                    + ",\"scope\":\"global\",\"dynamic\":true,\"mngtmpaddr\":false"
                    + (look == slaacAtLook ? ",\"tentative\":true"
                            : slaacDadFails ? ",\"tentative\":true,\"dadfailed\":true" : "")
                    + ",\"valid_life_time\":2591999,\"preferred_life_time\":604799}");
        }
        for (String cidr : podAddresses6.getOrDefault(dev, List.of())) {
            String[] a = cidr.split("/");
            addrs.add("{\"family\":\"inet6\",\"local\":\"" + a[0] + "\",\"prefixlen\":" + a[1]
                    + ",\"scope\":\"global\",\"dynamic\":true"
                    + (duplicates6.contains(a[0]) ? ",\"tentative\":true,\"dadfailed\":true" : "")
                    + ",\"valid_life_time\":3600,\"preferred_life_time\":1800}");
        }
        addrs.add("{\"family\":\"inet6\",\"local\":\"fe80::c3:60ff:fe12:ea6a\",\"prefixlen\":64,\"scope\":\"link\"}");
        if (ra) {
            String prefix = onlinkPrefix6 != null ? onlinkPrefix6 : slaacAddress.replaceAll("::.*/64$", "::/64");
            routes.add("{\"dst\":\"" + prefix + "\",\"dev\":\"" + dev + "\",\"protocol\":\"kernel\",\"metric\":256,"
                    + "\"flags\":[],\"expires\":599}");
            routes.add("{\"dst\":\"default\",\"gateway\":\"" + router6 + "\",\"dev\":\"" + dev
                    + "\",\"protocol\":\"ra\",\"metric\":1024,\"flags\":[]}");
        }
        for (String r : podRoutes6) {
            String[] w = r.split(" ");
            String gw = r.contains(" via ") ? ",\"gateway\":\"" + w[2] + "\"" : "";
            routes.add("{\"dst\":\"" + w[0] + "\"" + gw + ",\"dev\":\"" + dev + "\",\"metric\":1024,\"flags\":[]}");
        }
        return ok(argv, "[{\"ifindex\":2,\"ifname\":\"" + dev + "\",\"flags\":[\"UP\"],\"mtu\":1450,\"addr_info\":["
                + String.join(",", addrs) + "]}]\n[" + String.join(",", routes) + "]\n");
    }

    private static String linkJson(String dev, String master) {
        return "[{\"ifindex\":9,\"ifname\":\"" + dev + "\",\"flags\":[\"UP\"],\"mtu\":1450,\"address\":\"fe:00:00:00:00:09\""
                + (master.isEmpty() ? "" : ",\"master\":\"" + master + "\"")
                + ",\"linkinfo\":{\"info_kind\":\"veth\"}}]";
    }

    List<String> commandLines() {
        List<String> out = new ArrayList<>();
        synchronized (commands) {
            for (List<String> c : commands) {
                out.add(String.join(" ", c));
            }
        }
        return out;
    }

    private static CommandResult ok(List<String> argv, String stdout) {
        return result(argv, 0, stdout, "");
    }

    private static CommandResult result(List<String> argv, int exit, String stdout, String stderr) {
        return new CommandResult(argv, exit, stdout, stderr, Duration.ofMillis(1));
    }

    static Map<String, String> env(String command, String netns) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }
}
