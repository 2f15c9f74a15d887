package dev.terway.cni.spec;

import dev.terway.cni.json.JsonNumber;
import dev.terway.cni.json.MiniJson;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed access to members of a parsed configuration object. A member of the wrong type is an "invalid
 * network config" error that names the member by its path (e.g. {@code ipam.routes[2].dst}); a member
 * that is absent or JSON null is simply absent, as it is for the Go reference plugins.
 */
public final class ConfigFields {

    private ConfigFields() {
    }

    public static Optional<String> string(Map<String, Object> obj, String name, String path) throws CniException {
        Object v = obj.get(name);
        if (absent(v)) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw wrongType(join(path, name), "a string", v);
        }
        return Optional.of(s);
    }

    public static String requiredString(Map<String, Object> obj, String name, String path) throws CniException {
        Optional<String> s = string(obj, name, path);
        if (s.isEmpty() || s.get().isEmpty()) {
            throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                    "invalid network config: field \"" + join(path, name) + "\" is required");
        }
        return s.get();
    }

    public static Optional<Boolean> bool(Map<String, Object> obj, String name, String path) throws CniException {
        Object v = obj.get(name);
        if (absent(v)) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw wrongType(join(path, name), "a boolean", v);
        }
        return Optional.of(b);
    }

    /** An integer member within [min, max]. */
    public static Optional<Long> integer(Map<String, Object> obj, String name, String path, long min, long max)
            throws CniException {
        Object v = obj.get(name);
        if (absent(v)) {
            return Optional.empty();
        }
        if (!(v instanceof JsonNumber n) || !n.isIntegral()) {
            throw wrongType(join(path, name), "an integer", v);
        }
        long value;
        try {
            value = n.longValueExact();
        } catch (NumberFormatException e) {
            throw outOfRange(join(path, name), n.text(), min, max);
        }
        if (value < min || value > max) {
            throw outOfRange(join(path, name), n.text(), min, max);
        }
        return Optional.of(value);
    }

    @SuppressWarnings("unchecked")
    public static Optional<Map<String, Object>> object(Map<String, Object> obj, String name, String path)
            throws CniException {
        Object v = obj.get(name);
        if (absent(v)) {
            return Optional.empty();
        }
        if (!(v instanceof Map)) {
            throw wrongType(join(path, name), "an object", v);
        }
        return Optional.of((Map<String, Object>) v);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(Map<String, Object> obj, String name, String path) throws CniException {
        Object v = obj.get(name);
        if (absent(v)) {
            return List.of();
        }
        if (!(v instanceof List)) {
            throw wrongType(join(path, name), "an array", v);
        }
        return (List<Object>) v;
    }

    public static List<String> strings(Map<String, Object> obj, String name, String path) throws CniException {
        List<Object> items = array(obj, name, path);
        List<String> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (!(item instanceof String s)) {
                throw wrongType(join(path, name) + "[" + i + "]", "a string", item);
            }
            out.add(s);
        }
        return Collections.unmodifiableList(out);
    }

    /** The objects of an array member, each checked to be an object. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> objects(Map<String, Object> obj, String name, String path)
            throws CniException {
        List<Object> items = array(obj, name, path);
        List<Map<String, Object>> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (!(item instanceof Map)) {
                throw wrongType(join(path, name) + "[" + i + "]", "an object", item);
            }
            out.add((Map<String, Object>) item);
        }
        return Collections.unmodifiableList(out);
    }

    public static String join(String path, String name) {
        return path == null || path.isEmpty() ? name : path + "." + name;
    }

    public static CniException wrongType(String field, String expected, Object got) {
        return new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "invalid network config: field \"" + field + "\" must be " + expected + ", got "
                        + MiniJson.typeName(got));
    }

    public static CniException invalidValue(String field, String value, String why) {
        return new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "invalid network config: field \"" + field + "\" has invalid value \"" + value + "\": " + why);
    }

    private static CniException outOfRange(String field, String text, long min, long max) {
        return new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "invalid network config: field \"" + field + "\" is " + text + ", outside " + min + ".." + max);
    }

    private static boolean absent(Object v) {
        return v == null || v == MiniJson.NULL;
    }
}
