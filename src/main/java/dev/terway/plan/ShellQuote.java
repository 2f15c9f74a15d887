package dev.terway.plan;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * POSIX shell quoting for printing plans. Plans are never executed through a shell; the quoting only
 * makes a printed plan copy-pasteable into one with exactly the same argv.
 */
public final class ShellQuote {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuote() {
    }

    public static String quote(String word) {
        if (!word.isEmpty() && SAFE.matcher(word).matches()) {
            return word;
        }
        // Inside single quotes nothing is special except the quote itself, which is closed,
        // escaped and reopened.
        return "'" + word.replace("'", "'\\''") + "'";
    }

    public static String join(List<String> argv) {
        return argv.stream().map(ShellQuote::quote).collect(Collectors.joining(" "));
    }
}
