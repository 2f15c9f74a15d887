package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.terway.plan.Program;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The image carries every program terway runs: the final stage of the Containerfile installs their packages. */
class ImageProgramsTest {

    private static final Path CONTAINERFILE = Path.of("Containerfile");

    /**
     * Packages in every Debian base image, debian:bookworm-slim included, so the Containerfile need not install
     * them: Essential: yes in Debian (dpkg refuses to remove them). Only what a registered program needs.
     */
    private static final Set<String> IN_EVERY_DEBIAN_BASE = Set.of("util-linux");

    @Test
    void theFinalStageInstallsThePackageOfEveryRegisteredProgram() throws IOException {
        Set<String> installed = finalStagePackages(Files.readString(CONTAINERFILE));
        assertFalse(installed.isEmpty(), "the final stage installs packages with apt-get install");
        TreeMap<String, String> missing = new TreeMap<>();
        for (Program p : Program.values()) {
            if (!installed.contains(p.debianPackage()) && !IN_EVERY_DEBIAN_BASE.contains(p.debianPackage())) {
                missing.merge(p.debianPackage(), p.command(), (a, b) -> a + ", " + b);
            }
        }
        assertEquals(new TreeMap<>(), missing, "Debian packages (→ the programs terway runs from them) that the"
                + " final stage of " + CONTAINERFILE + " must add to its apt-get install; it installs " + installed);
    }

    @Test
    void onlyTheLastStageCountsAndContinuationLinesAreJoined() {
        String containerfile = """
                FROM debian:bookworm AS build
                RUN apt-get install -y procps
                # a comment with apt-get install iputils-ping
                FROM debian:bookworm-slim
                RUN apt-get update \\
                 && apt-get install -y --no-install-recommends iproute2 \\
                    iputils-ping=3:20221126-1 && rm -rf /var/lib/apt/lists/*
                RUN apt-get -q install tzdata; apt-get purge curl
                """;
        assertEquals(Set.of("iproute2", "iputils-ping", "tzdata"), finalStagePackages(containerfile));
    }

    /** The packages the `apt-get install` commands of the last stage (after the last FROM) name. */
    static Set<String> finalStagePackages(String containerfile) {
        List<String> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : containerfile.lines().toList()) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            boolean continued = line.stripTrailing().endsWith("\\");
            String text = continued ? line.stripTrailing().substring(0, line.stripTrailing().length() - 1) : line;
            current.append(text).append(' ');
            if (!continued) {
                instructions.add(current.toString().strip());
                current.setLength(0);
            }
        }
        instructions.add(current.toString().strip());
        int lastFrom = -1;
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).regionMatches(true, 0, "FROM ", 0, 5)) {
                lastFrom = i;
            }
        }
        Set<String> packages = new TreeSet<>();
        for (String instruction : instructions.subList(lastFrom + 1, instructions.size())) {
            if (!instruction.regionMatches(true, 0, "RUN ", 0, 4)) {
                continue;
            }
            for (String command : instruction.substring(4).split("&&|\\|\\||;|\\|")) {
                List<String> words = Arrays.stream(command.strip().split("\\s+")).toList();
                int aptGet = words.indexOf("apt-get");
                if (aptGet < 0) {
                    continue;
                }
                List<String> args = words.subList(aptGet + 1, words.size()).stream()
                        .filter(w -> !w.startsWith("-")).toList();
                if (!args.isEmpty() && args.get(0).equals("install")) {
                    args.subList(1, args.size()).forEach(w -> packages.add(w.replaceAll("[=:].*", "")));
                }
            }
        }
        return packages;
    }
}
