package dev.terway.netstate;

/** Address family as `ip -j` names it; {@link #flag()} is the `ip` option that selects it. */
public enum Family {
    INET("inet", "-4"),
    INET6("inet6", "-6");

    private final String jsonName;
    private final String flag;

    Family(String jsonName, String flag) {
        this.jsonName = jsonName;
        this.flag = flag;
    }

    public String jsonName() {
        return jsonName;
    }

    public String flag() {
        return flag;
    }

    public static Family fromJson(String name) {
        for (Family f : values()) {
            if (f.jsonName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown address family " + name);
    }
}
