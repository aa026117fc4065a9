package dev.clgrad.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --help} on every command and subcommand (the list comes from picocli's command tree, so a
 * new command cannot be left out), {@code --version}, the completion script, and bad arguments.
 */
class CliHelpTest {

    /** Every command path below {@code clgrad}: {@code [train]}, {@code [bench, gemm]}, …. */
    static List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            walk(e.getValue(), p, out);
        }
    }

    @Test
    void everyCommandHasHelpOnStdoutAndEveryOptionADescription() {
        List<List<String>> all = commands();
        assertTrue(all.size() >= 20, "commands found: " + all);
        assertTrue(all.contains(List.of("evaluate")) && all.contains(List.of("bench", "gemm")), all.toString());
        for (List<String> cmd : all) {
            List<String> args = new ArrayList<>(cmd);
            args.add("--help");
            CliRun r = CliRun.of(args.toArray(new String[0]));
            assertEquals(0, r.code(), cmd + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: clgrad " + String.join(" ", cmd)), cmd + ": " + r.out());
            assertTrue(r.out().contains("-h, --help"), cmd + ": " + r.out());
            assertEquals("", r.err().lines().filter(l -> !l.startsWith("WARNING")).reduce("", String::concat), cmd.toString());
        }
        CliRun root = CliRun.of("--help");
        assertEquals(0, root.code());
        assertTrue(root.out().contains("evaluate") && root.out().contains("completion"), root.out());
    }

    @Test
    void aNamedCommandIsTheOnlyOneBuiltAndEveryOtherFirstArgumentGetsTheWholeTree() {
        int all = Main.commandLine().getSubcommands().size();
        assertTrue(all >= 14, "commands: " + all);
        assertEquals(List.of("profile"), List.copyOf(Main.commandLine("profile").getSubcommands().keySet()));
        assertEquals(List.of("gemm", "conv", "dropout", "adam", "train"),
                List.copyOf(Main.commandLine("bench").getSubcommands().get("bench").getSubcommands().keySet()));
        for (String first : new String[] {"completion", "--help", "trian", "-V"}) {
            assertEquals(all, Main.commandLine(first).getSubcommands().size(), first);
        }
        CliRun typo = CliRun.of("trian");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("'trian'"), typo.err());
    }

    @Test
    void everyOptionIsDescribedAndShowsItsDefault() {
        CommandLine cli = Main.commandLine();
        List<String> problems = new ArrayList<>();
        List<CommandSpec> specs = new ArrayList<>();
        collect(cli, specs);
        for (CommandSpec spec : specs) {
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                String name = spec.qualifiedName() + " " + (a instanceof OptionSpec o ? o.longestName() : a.paramLabel());
                String text = String.join(" ", a.renderedDescription());
                if (text.isBlank()) {
                    problems.add(name + ": no description");
                    continue;
                }
                if (a.required() || a.type() == boolean.class || a.type() == Boolean.class) {
                    continue;
                }
                String shown = a.defaultValue() != null ? a.defaultValue()
                        : a.initialValue() != null ? String.valueOf(a.initialValue()) : null;
                if (shown != null && !text.contains(shown)) {
                    problems.add(name + ": default " + shown + " not in '" + text + "'");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    private static void collect(CommandLine cl, List<CommandSpec> out) {
        out.add(cl.getCommandSpec());
        cl.getSubcommands().values().forEach(c -> collect(c, out));
    }

    @Test
    void versionNamesThePomVersionAndTheCommit() throws Exception {
        Matcher m = Pattern.compile("<artifactId>clgrad-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find());
        String commit = BuildVersion.read().getProperty("commit", "");
        for (String[] args : new String[][] {{"--version"}, {"train", "--version"}, {"bench", "gemm", "-V"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.code(), r.err());
            String first = r.out().lines().findFirst().orElse("");
            assertTrue(first.startsWith("clgrad " + m.group(1) + " ("), first);
            assertTrue(first.contains("built 20"), first);
            if (!commit.isEmpty()) {
                assertTrue(commit.matches("[0-9a-f]{7,}(-dirty)?|.*-g[0-9a-f]{7,}(-dirty)?"), commit);
                assertTrue(first.contains("commit " + commit), first);
            }
            assertTrue(r.out().lines().skip(1).findFirst().orElse("").startsWith("Java "), r.out());
        }
    }

    @Test
    void versionWithoutGitOrBuildFileStillSaysSomething() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("version", "1.2.3");
        p.setProperty("commit", "");
        p.setProperty("built", "2026-01-01T00:00:00Z");
        assertEquals("clgrad 1.2.3 (built 2026-01-01T00:00:00Z)", BuildVersion.describe(p));
        assertTrue(BuildVersion.describe(new java.util.Properties()).startsWith("clgrad (version unknown"));
    }

    @Test
    void completionScriptCoversEveryCommand() {
        CliRun r = CliRun.of("completion");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out());
        for (String c : List.of("evaluate", "predict", "train", "bench", "--weights", "--mc")) {
            assertTrue(r.out().contains(c), c);
        }
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        for (String[] args : new String[][] {{"devices", "--bogus"}, {"train"}, {"evaluate", "m.json"},
                {"bench", "gemm", "--m", "x"}, {"nosuchcommand"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals("", r.out(), String.join(" ", args));
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(r.err().contains("Usage"), r.err());
        }
    }
}
