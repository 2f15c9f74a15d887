package dev.terway.cni.spec;

import dev.terway.cni.json.JsonSyntaxException;
import dev.terway.cni.json.JsonText;
import dev.terway.cni.json.MiniJson;
import dev.terway.net.InterfaceName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checks of the CNI specification that come before any verb-specific work, shared by the thin
 * client (so bad input fails fast, even with the daemon down) and the daemon's handler (so a request
 * from any client is held to the same rules). Needs java.base only.
 */
public final class InvocationValidator {

    /** Larger configurations are refused: real ones, prevResult included, are a few KiB. */
    public static final int MAX_CONFIG_CHARS = 256 * 1024;
    /** Network configurations are plain JSON; nothing legitimate nests this deep. */
    public static final int MAX_CONFIG_DEPTH = 32;

    private InvocationValidator() {
    }

    /** The verb of CNI_COMMAND; missing or unknown is an "invalid environment variables" error. */
    public static Verb verb(CniInvocation inv) throws CniException {
        String command = inv.env(CniInvocation.CNI_COMMAND);
        if (command.isEmpty()) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "required environment variable CNI_COMMAND is missing",
                    "CNI_COMMAND must be one of ADD, DEL, CHECK, VERSION, GC, STATUS");
        }
        Verb verb = Verb.parse(command);
        if (verb == null) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "unknown CNI_COMMAND \"" + command + "\"",
                    "CNI_COMMAND must be one of ADD, DEL, CHECK, VERSION, GC, STATUS");
        }
        return verb;
    }

    /** Validates everything shared by ADD, DEL, CHECK, GC and STATUS. */
    public static CniRequest validate(CniInvocation inv) throws CniException {
        Verb verb = verb(inv);
        if (verb == Verb.VERSION) {
            throw new IllegalArgumentException("VERSION is answered by version(), it has no request");
        }
        List<String> missing = new ArrayList<>();
        if (verb.needsContainerId() && inv.env(CniInvocation.CNI_CONTAINERID).isEmpty()) {
            missing.add(CniInvocation.CNI_CONTAINERID);
        }
        if (verb.needsNetns() && inv.env(CniInvocation.CNI_NETNS).isEmpty()) {
            missing.add(CniInvocation.CNI_NETNS);
        }
        if (verb.needsIfname() && inv.env(CniInvocation.CNI_IFNAME).isEmpty()) {
            missing.add(CniInvocation.CNI_IFNAME);
        }
        if (!missing.isEmpty()) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "required environment variables " + String.join(", ", missing) + " missing for " + verb);
        }
        Map<String, Object> config = parseConfig(inv.stdin());
        String cniVersion = cniVersion(config);
        if (!CniVersion.atLeast(cniVersion, verb.since())) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION,
                    "incompatible CNI versions: " + verb + " needs cniVersion " + verb.since()
                            + " or later, the configuration has " + cniVersion);
        }
        String name = ConfigFields.requiredString(config, "name", "");
        if (!isValidName(name)) {
            throw ConfigFields.invalidValue("name", name,
                    "must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
        }
        String containerId = inv.env(CniInvocation.CNI_CONTAINERID);
        if (!containerId.isEmpty() && !isValidName(containerId)) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "invalid CNI_CONTAINERID \"" + containerId + "\"",
                    "a container id must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
        }
        String netns = inv.env(CniInvocation.CNI_NETNS);
        if (hasControlCharacter(netns)) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                    "invalid CNI_NETNS: a path must not contain control characters (NUL, newline, …)");
        }
        String ifname = inv.env(CniInvocation.CNI_IFNAME);
        if (verb.needsIfname() || !ifname.isEmpty()) {
            String problem = InterfaceName.problem(ifname);
            if (problem != null) {
                throw new CniException(CniErrorCode.INVALID_ENVIRONMENT,
                        "invalid CNI_IFNAME " + InterfaceName.quoted(ifname) + ": " + problem);
            }
        }
        return new CniRequest(verb, cniVersion, name, config, containerId, inv.env(CniInvocation.CNI_NETNS),
                ifname, inv.env(CniInvocation.CNI_ARGS), inv.env(CniInvocation.CNI_PATH), inv.dryRun(), inv);
    }

    /** The network configuration on stdin, which must be a JSON object. */
    public static Map<String, Object> parseConfig(String stdin) throws CniException {
        if (stdin.length() > MAX_CONFIG_CHARS) {
            throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                    "network configuration on stdin is " + stdin.length() + " characters, more than the limit of "
                            + MAX_CONFIG_CHARS);
        }
        Object parsed;
        try {
            parsed = MiniJson.parse(stdin, MAX_CONFIG_DEPTH, MAX_CONFIG_CHARS);
        } catch (JsonSyntaxException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE,
                    "failed to decode the network configuration on stdin: " + e.getMessage());
        }
        if (!(parsed instanceof Map)) {
            throw new CniException(CniErrorCode.DECODING_FAILURE,
                    "failed to decode the network configuration on stdin: expected a JSON object, got "
                            + MiniJson.typeName(parsed));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) parsed;
        return config;
    }

    private static String cniVersion(Map<String, Object> config) throws CniException {
        String version = ConfigFields.string(config, "cniVersion", "").orElse("");
        if (version.isEmpty()) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION,
                    "incompatible CNI versions: the configuration has no cniVersion (that means 0.1.0)",
                    "supported versions: " + String.join(", ", CniVersion.SUPPORTED));
        }
        if (!CniVersion.isSupported(version)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION,
                    "incompatible CNI versions: cniVersion \"" + version + "\" is not supported",
                    "supported versions: " + String.join(", ", CniVersion.SUPPORTED));
        }
        return version;
    }

    /**
     * The answer to VERSION, in the version the caller asked for on stdin when it is one terway speaks
     * (stdin is optional for VERSION and is otherwise ignored).
     */
    public static CniReply version(CniInvocation inv) {
        String asked = CniVersion.LATEST;
        try {
            Object v = MiniJson.parse(inv.stdin(), MAX_CONFIG_DEPTH, MAX_CONFIG_CHARS);
            if (v instanceof Map<?, ?> m && m.get("cniVersion") instanceof String s && CniVersion.isSupported(s)) {
                asked = s;
            }
        } catch (JsonSyntaxException e) {
            // VERSION takes no parameters; an unreadable stdin does not change the answer.
        }
        StringBuilder out = new StringBuilder(128);
        out.append("{\"cniVersion\":").append(JsonText.quote(asked)).append(",\"supportedVersions\":[");
        for (int i = 0; i < CniVersion.SUPPORTED.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(JsonText.quote(CniVersion.SUPPORTED.get(i)));
        }
        out.append("]}\n");
        return CniReply.success(out.toString());
    }

    /**
     * The cniVersion to put in an error result: the configuration's when it is one terway speaks, else
     * the latest (the specification leaves that case open; the runtime reads the code either way).
     */
    public static String errorVersion(CniInvocation inv) {
        try {
            Object v = MiniJson.parse(inv.stdin(), MAX_CONFIG_DEPTH, MAX_CONFIG_CHARS);
            if (v instanceof Map<?, ?> m && m.get("cniVersion") instanceof String s && CniVersion.isSupported(s)) {
                return s;
            }
        } catch (JsonSyntaxException e) {
            // fall through to the latest version
        }
        return CniVersion.LATEST;
    }

    /** Container ids and network names: a letter or digit, then letters, digits, '_', '.', '-'. */
    public static boolean isValidName(String s) {
        if (s.isEmpty() || !isAlnum(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean hasControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
