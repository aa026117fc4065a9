package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code java -jar clgrad.jar <command>}. Every command takes {@code --device SPEC} and
 * {@code --json}; results go to stdout, progress and logs to stderr. Exit codes: 0 success,
 * 1 an internal failure, 2 bad arguments or bad input (one line on stderr). Every command and
 * subcommand inherits {@code --help} (usage on stdout, exit 0) and {@code --version}
 * ({@link BuildVersion}) from this one ({@code scope = INHERIT}), so a new command has them too.
 * A new command goes in {@link #COMMANDS}.
 */
@Command(name = "clgrad", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = BuildVersion.class,
        description = "Neural-network training on OpenCL devices, with a pure-Java fallback.")
public final class Main implements Runnable {
    /** The commands, in the order {@code --help} lists them. */
    private static final List<Class<?>> COMMANDS = List.of(DevicesCommand.class, KernelsCommand.class,
            TrainCommand.class, PredictCommand.class, ExplainCommand.class, ExportCommand.class, BenchCommand.class,
            DropoutMaskCommand.class, ProfileCommand.class, SelftestCommand.class, TuneCommand.class,
            StudyCommand.class, EvaluateCommand.class, CompletionCommand.class);

    /**
     * The logger above clgrad's own (the library's and the commands'), held so that the level set
     * here stays: the library is quiet unless the application enables it ({@link dev.clgrad.Diagnostics}).
     */
    private static final Logger CLGRAD = Logger.getLogger("dev.clgrad");

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests: no System.exit). */
    public static int run(String... args) {
        configureLogging();
        CommandLine cli = commandLine(args.length > 0 ? args[0] : null);
        cli.setExecutionExceptionHandler((thrown, cmd, parsed) -> {
            Exception e = thrown instanceof java.io.UncheckedIOException u ? u.getCause() : thrown;
            if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
                    || e instanceof dev.clgrad.train.NonFiniteLossException) {
                cmd.getErr().println("clgrad: " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("clgrad: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("clgrad: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }

    /** The whole command tree: every command and its subcommands. */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command tree for a command line whose first argument is {@code first}: when that names a
     * command, only that command is added (picocli reads every command's annotations when it is
     * added, a noticeable part of the start-up for all of them); otherwise, and for
     * {@code completion}, which prints the whole tree, every command is.
     */
    static CommandLine commandLine(String first) {
        CommandLine cli = new CommandLine(new Main());
        Class<?> named = first == null ? null : COMMANDS.stream()
                .filter(c -> c != CompletionCommand.class && c.getAnnotation(Command.class).name().equals(first))
                .findFirst().orElse(null);
        for (Class<?> c : named != null ? List.of(named) : COMMANDS) {
            cli.addSubcommand(c);
        }
        return cli;
    }

    /**
     * One line per log record on stderr, {@code clgrad: message} or {@code clgrad: warning: message},
     * for clgrad's records at INFO and above (the backend {@code auto} chose, warnings; not DEBUG).
     */
    private static void configureLogging() {
        CLGRAD.setLevel(Level.INFO);
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String level = r.getLevel().intValue() >= Level.WARNING.intValue() ? "warning: " : "";
                return "clgrad: " + level + formatMessage(r) + System.lineSeparator();
            }
        });
        root.addHandler(handler);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
