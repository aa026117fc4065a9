package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

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
 */
@Command(name = "clgrad", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = BuildVersion.class,
        description = "Neural-network training on OpenCL devices, with a pure-Java fallback.",
        subcommands = {DevicesCommand.class, KernelsCommand.class, TrainCommand.class, PredictCommand.class,
                ExplainCommand.class,
                ExportCommand.class,
                BenchCommand.class, DropoutMaskCommand.class, ProfileCommand.class, SelftestCommand.class,
                TuneCommand.class, StudyCommand.class,
                EvaluateCommand.class, CompletionCommand.class})
public final class Main implements Runnable {
    /**
     * The logger above clgrad's own (the library's and the commands'), held so that the level set
     * here stays: the library is quiet unless the application enables it ({@link dev.clgrad.Diagnostics}).
     */
    private static final Logger CLGRAD = Logger.getLogger("dev.clgrad");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests: no System.exit). */
    public static int run(String... args) {
        configureLogging();
        CommandLine cli = new CommandLine(new Main());
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
        new CommandLine(this).usage(System.err);
    }
}
