package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Derives the programs terway runs from its source and holds {@link Program} to them: a program added to the
 * code without being registered fails here, in the unit tests, before any image is built.
 *
 * <p>An argv is recognised where the code builds one: a string literal first in {@code List.of(…)},
 * {@code Arrays.asList(…)} or {@code new ArrayList<>(List.of(…))} that is a step's or a run's argument
 * ({@code Step.of/undoable/fed}, {@code new Step}, {@code run}, {@code command}, {@code new ProcessBuilder}),
 * or is assigned to a variable named argv or undo; and, in any method or constructor call, a string literal
 * followed by an option literal ({@code "-…"}), which also covers the varargs helpers ({@code query("ip", "-j", …)},
 * {@code inPod(pod, "ip", "-4", …)}). After {@code nsenter} and its options, the literal program it runs
 * counts too. {@code Program.X} references count as uses of X.
 */
class ProgramsInSourceTest {

    private static final Path SOURCES = Path.of("src/main/java");

    /**
     * Literals the scan takes for programs that terway does not run. Each must still be found, so the list
     * shrinks with the code.
     */
    private static final Map<String, String> NOT_RUN = Map.of(
            "setup", "RunCommand: the arguments of terway's own `terway setup`, parsed by picocli in-process",
            "cp", "InstallAction.shell(): the shell equivalent printed by `terway install --dry-run`; done in Java",
            "mv", "InstallAction.shell(), as cp",
            "rm", "InstallAction.shell(), as cp");

    /** Where the code starts processes: only the runner, and DelegatedIpam for the IPAM plugin. */
    private static final Map<String, Set<String>> PROCESS_STARTS = Map.of(
            "ProcessExecutor", Set.of("ExecCommandRunner.java"),
            "new ExecCommandRunner(", Set.of("ExecCommandRunner.java"),
            // The IPAM plugin the network configuration names, from CNI_PATH on the node, as the CNI spec
            // prescribes: not a program of the image.
            "new ProcessBuilder", Set.of("DelegatedIpam.java"),
            "getRuntime().exec", Set.of());

    private static final Set<String> STEP_OR_RUN = Set.of("Step.of", "Step.undoable", "Step.fed", "new Step", "run",
            "command", "new ProcessBuilder");
    private static final Pattern ARGV_VARIABLE = Pattern.compile("\\b(argv|undo)\\s*=\\s*(new\\s+ArrayList<>\\s*\\()?$");
    private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern PROGRAM_CONSTANT = Pattern.compile("\\bProgram\\.([A-Z_]+)\\b");
    private static final Set<String> NSENTER_VALUE_OPTIONS =
            Set.of("-t", "--target", "-S", "--setuid", "-G", "--setgid", "-W", "--wdns");

    record Source(Path file, String code) {
        int line(int offset) {
            return (int) code.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
        }

        String where(int offset) {
            return file.getFileName() + ":" + line(offset);
        }
    }

    /** One call: the name before its parenthesis, its top-level arguments, the call it is an argument of. */
    static final class Call {
        final String name;
        final int nameStart;
        final Call parent;
        final List<Integer> argStarts = new ArrayList<>();
        final List<String> args = new ArrayList<>();

        Call(String name, int nameStart, Call parent) {
            this.name = name;
            this.nameStart = nameStart;
            this.parent = parent;
        }

        /** The method or class name alone: "run" for runner.run, "ArrayList" for new ArrayList. */
        String lastName() {
            String bare = name.startsWith("new ") ? name.substring(4) : name;
            return bare.substring(bare.lastIndexOf('.') + 1);
        }
    }

    private static List<Source> sources;
    /** Program literal → where it is used. */
    private static final Map<String, Set<String>> found = new TreeMap<>();

    @BeforeAll
    static void scan() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).sorted().map(f -> {
                try {
                    return new Source(f, withoutComments(Files.readString(f)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
        for (Source s : sources) {
            for (Call call : calls(s.code())) {
                collect(s, call);
            }
        }
    }

    @Test
    void everyProgramTheCodeRunsIsRegistered() {
        Map<String, Set<String>> unregistered = new TreeMap<>(found);
        unregistered.keySet().removeIf(p -> Program.named(p).isPresent() || NOT_RUN.containsKey(p));
        assertEquals(Map.of(), unregistered, "programs in argv literals that " + Program.class.getName()
                + " does not list (register each with its Debian package, and install that in the Containerfile's"
                + " final stage)");
        Set<String> stale = new TreeSet<>(NOT_RUN.keySet());
        stale.removeAll(found.keySet());
        assertEquals(Set.of(), stale, "NOT_RUN entries the code no longer has");
    }

    @Test
    void everyRegisteredProgramIsRunByTheCode() {
        Set<String> used = new TreeSet<>(found.keySet());
        for (Source s : sources) {
            if (!s.file().endsWith(Path.of("dev/terway/plan/Program.java"))) {
                Matcher m = PROGRAM_CONSTANT.matcher(s.code());
                while (m.find()) {
                    Arrays.stream(Program.values()).filter(p -> p.name().equals(m.group(1)))
                            .forEach(p -> used.add(p.command()));
                }
            }
        }
        List<String> unused = Arrays.stream(Program.values()).map(Program::command).filter(c -> !used.contains(c))
                .toList();
        assertEquals(List.of(), unused, "registered programs the scan finds no argv of: remove them, or teach"
                + " this scan the pattern that runs them");
    }

    @Test
    void theScanFindsTheArgvOfEachPattern() {
        // Guards the scan itself: if these stop matching, it has gone blind rather than the code clean.
        assertTrue(found.get("ip").stream().anyMatch(w -> w.startsWith("NetStateReader.java")), found.toString());
        assertTrue(found.get("ip").stream().anyMatch(w -> w.startsWith("RouteMover.java")), found.toString());
        assertTrue(found.get("ip").stream().anyMatch(w -> w.startsWith("PodPlans.java")), "nsenter … ip " + found);
        assertTrue(found.get("bridge").stream().anyMatch(w -> w.startsWith("Reattachment.java")), found.toString());
        assertTrue(found.containsKey("sysctl") && found.containsKey("ping") && found.containsKey("nsenter"),
                found.toString());
    }

    @Test
    void onlyTheCommandRunnerStartsProcesses() {
        for (Map.Entry<String, Set<String>> start : PROCESS_STARTS.entrySet()) {
            Set<String> files = sources.stream().filter(s -> s.code().contains(start.getKey()))
                    .map(s -> s.file().getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(start.getValue()), files, start.getKey() + ": terway's code starts programs"
                    + " through ExecCommandRunner.registeredOnly, which holds them to " + Program.class.getName());
        }
    }

    @Test
    void theScannerReadsArgvTheWayTheCodeWritesThem() {
        String code = withoutComments("""
                class X {
                    enum Family { INET("inet", "-4") }
                    // List.of("commented", "-x")
                    void f() {
                        plan.add(Step.undoable("why, " + a(b, c), List.of("one", dev), List.of("two", "x")));
                        List<String> argv = new ArrayList<>(List.of("three", family.flag()));
                        List<String> words = List.of("via", gateway);
                        q(pod, "four", "-j", "show");
                        List<String> in = List.of("nsenter", "--net=" + ns, "-t", "1", "five", "-x");
                        List<String> late = List.of("nsenter", "--net=" + ns);
                        char c = '"';
                        r.run(List.of("six"), "input");
                        String s = "List.of(\\"seven\\", \\"-x\\")";
                    }
                }
                """);
        Map<String, Set<String>> before = new TreeMap<>(found);
        found.clear();
        try {
            Source s = new Source(Path.of("X.java"), code);
            for (Call call : calls(code)) {
                collect(s, call);
            }
            assertEquals(Set.of("one", "two", "three", "four", "nsenter", "five", "six"), found.keySet());
        } finally {
            found.clear();
            found.putAll(before);
        }
    }

    private static void collect(Source s, Call call) {
        List<String> args = call.args;
        if (args.isEmpty()) {
            return;
        }
        boolean list = call.name.equals("List.of") || call.name.equals("Arrays.asList");
        if (list) {
            String first = literal(args.get(0));
            if (first != null && !first.startsWith("-")
                    && (inArgvContext(s, call) || args.size() > 1 && isOption(args.get(1)))) {
                record(s, call, 0);
            }
            return;
        }
        if (call.lastName().isEmpty()
                || !Character.isLowerCase(call.lastName().charAt(0)) && !call.name.startsWith("new ")) {
            return; // an enum constant, such as Family's INET("inet", "-4"); or a cast, a condition
        }
        for (int i = 0; i < args.size(); i++) {
            String value = literal(args.get(i));
            if (value != null) {
                if (!value.startsWith("-") && i + 1 < args.size() && isOption(args.get(i + 1))) {
                    record(s, call, i);
                }
                return;
            }
        }
    }

    /** Records the program at argument {@code i} and, for nsenter, the literal program it runs. */
    private static void record(Source s, Call call, int i) {
        String program = literal(call.args.get(i));
        found.computeIfAbsent(program, p -> new TreeSet<>()).add(s.where(call.argStarts.get(i)));
        if (!program.equals("nsenter")) {
            return;
        }
        int j = i + 1;
        while (j < call.args.size() && isOption(call.args.get(j))) {
            String option = literal(call.args.get(j));
            j++;
            if ("--".equals(option)) {
                break;
            }
            if (option != null && NSENTER_VALUE_OPTIONS.contains(option)) {
                j++;
            }
        }
        if (j < call.args.size() && literal(call.args.get(j)) != null) {
            record(s, call, j);
        }
    }

    private static boolean inArgvContext(Source s, Call list) {
        Call outer = list;
        Call parent = list.parent;
        while (parent != null && parent.lastName().equals("ArrayList")) {
            outer = parent;
            parent = parent.parent;
        }
        if (parent != null && (STEP_OR_RUN.contains(parent.name) || STEP_OR_RUN.contains(parent.lastName()))) {
            return true;
        }
        return ARGV_VARIABLE.matcher(s.code().substring(Math.max(0, outer.nameStart - 80), outer.nameStart)).find();
    }

    /** The value of an argument that is exactly one string literal, else null. */
    private static String literal(String arg) {
        Matcher m = LITERAL.matcher(arg);
        return m.matches() ? m.group(1) : null;
    }

    /** An argument that starts with an option literal: "-x", or "--net=" + path. */
    private static boolean isOption(String arg) {
        return arg.startsWith("\"-");
    }

    /** Every call in {@code code} (comments removed), with its top-level arguments. */
    static List<Call> calls(String code) {
        List<Call> calls = new ArrayList<>();
        Deque<Object> open = new ArrayDeque<>(); // a Call for '(', a Character for '{' and '['
        int i = 0;
        while (i < code.length()) {
            char c = code.charAt(i);
            if (c == '"' || c == '\'') {
                i = skipLiteral(code, i);
                continue;
            }
            if (c == '(') {
                int nameEnd = i;
                while (nameEnd > 0 && Character.isWhitespace(code.charAt(nameEnd - 1))) {
                    nameEnd--;
                }
                if (nameEnd > 0 && code.charAt(nameEnd - 1) == '>') {
                    int depth = 0;
                    do {
                        char g = code.charAt(--nameEnd);
                        depth += g == '>' ? 1 : g == '<' ? -1 : 0;
                    } while (depth > 0 && nameEnd > 0);
                }
                int nameStart = nameEnd;
                while (nameStart > 0 && (Character.isJavaIdentifierPart(code.charAt(nameStart - 1))
                        || code.charAt(nameStart - 1) == '.')) {
                    nameStart--;
                }
                String name = code.substring(nameStart, nameEnd);
                if (code.substring(Math.max(0, nameStart - 4), nameStart).equals("new ")) {
                    name = "new " + name;
                    nameStart -= 4;
                }
                Call call = new Call(name, nameStart, innermostCall(open));
                call.argStarts.add(i + 1);
                open.push(call);
            } else if (c == '{' || c == '[') {
                open.push(c);
            } else if (c == ',' && open.peek() instanceof Call call) {
                call.args.add(code.substring(call.argStarts.get(call.argStarts.size() - 1), i).strip());
                call.argStarts.add(i + 1);
            } else if (c == ')' || c == '}' || c == ']') {
                Object closed = open.poll();
                if (c == ')' && closed instanceof Call call) {
                    String last = code.substring(call.argStarts.get(call.argStarts.size() - 1), i).strip();
                    if (!last.isEmpty() || !call.args.isEmpty()) {
                        call.args.add(last);
                    }
                    // Point each start at its argument's first character, for line numbers.
                    for (int a = 0; a < call.args.size(); a++) {
                        int start = call.argStarts.get(a);
                        while (start < code.length() && Character.isWhitespace(code.charAt(start))) {
                            start++;
                        }
                        call.argStarts.set(a, start);
                    }
                    calls.add(call);
                }
            }
            i++;
        }
        return calls;
    }

    private static Call innermostCall(Deque<Object> open) {
        for (Object o : open) {
            if (o instanceof Call call) {
                return call;
            }
            return null; // inside a block or an array: not an argument of the call around it
        }
        return null;
    }

    /** The index just past the string, text block or char literal starting at {@code i}. */
    private static int skipLiteral(String code, int i) {
        if (code.startsWith("\"\"\"", i)) {
            int end = code.indexOf("\"\"\"", i + 3);
            return end < 0 ? code.length() : end + 3;
        }
        char quote = code.charAt(i);
        int j = i + 1;
        while (j < code.length() && code.charAt(j) != quote) {
            j += code.charAt(j) == '\\' ? 2 : 1;
        }
        return j + 1;
    }

    /** {@code code} with every comment blanked out (newlines kept, for line numbers); literals untouched. */
    static String withoutComments(String code) {
        StringBuilder out = new StringBuilder(code.length());
        int i = 0;
        while (i < code.length()) {
            char c = code.charAt(i);
            if (c == '"' || c == '\'') {
                int end = skipLiteral(code, i);
                out.append(code, i, Math.min(end, code.length()));
                i = end;
            } else if (code.startsWith("//", i)) {
                while (i < code.length() && code.charAt(i) != '\n') {
                    out.append(' ');
                    i++;
                }
            } else if (code.startsWith("/*", i)) {
                int end = code.indexOf("*/", i + 2);
                end = end < 0 ? code.length() : end + 2;
                for (; i < end; i++) {
                    out.append(code.charAt(i) == '\n' ? '\n' : ' ');
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
