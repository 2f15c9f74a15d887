package dev.terway.netstate;

import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ShellQuote;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads {@link Ipv6Settings} with one {@code sysctl -n} for all keys (sysctl prints one value a line). */
public final class Ipv6SettingsReader {

    private final CommandRunner runner;

    public Ipv6SettingsReader(CommandRunner runner) {
        this.runner = runner;
    }

    /** The settings of {@value Ipv6Settings#DEFAULT} and of each of {@code devices}, which must exist. */
    public Ipv6Settings read(List<String> devices) {
        List<String> names = new ArrayList<>(List.of(Ipv6Settings.DEFAULT));
        devices.stream().filter(d -> !names.contains(d)).forEach(names::add);
        List<String> argv = new ArrayList<>(List.of("sysctl", "-n"));
        for (String device : names) {
            Ipv6Conf.NAMES.forEach(n -> argv.add(Ipv6Conf.key(device, n)));
        }
        CommandResult result = runner.run(argv);
        if (!result.succeeded()) {
            if (result.stderr().contains("/proc/sys/net/ipv6/conf/" + Ipv6Settings.DEFAULT + "/")) {
                return Ipv6Settings.NONE; // the kernel has no IPv6, so there is nothing to read or to move
            }
            throw new IllegalStateException("failed to read IPv6 settings: " + ShellQuote.join(argv) + " exited "
                    + result.exitCode() + ": " + result.stderr().strip());
        }
        List<String> values = result.stdout().lines().map(String::strip).toList();
        if (values.size() != argv.size() - 2) {
            throw new IllegalStateException("failed to read IPv6 settings: " + ShellQuote.join(argv) + " printed "
                    + values.size() + " values for " + (argv.size() - 2) + " keys");
        }
        Map<String, Ipv6Conf> settings = new LinkedHashMap<>();
        int i = 0;
        for (String device : names) {
            int[] v = new int[Ipv6Conf.NAMES.size()];
            for (int k = 0; k < v.length; k++, i++) {
                try {
                    v[k] = Integer.parseInt(values.get(i));
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("failed to read IPv6 settings: " + argv.get(i + 2) + " is \""
                            + values.get(i) + "\", not a number", e);
                }
            }
            settings.put(device, new Ipv6Conf(v[0], v[1], v[2], v[3]));
        }
        return new Ipv6Settings(settings);
    }
}
