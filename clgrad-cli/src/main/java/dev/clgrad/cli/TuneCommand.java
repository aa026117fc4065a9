package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clgrad tune gemm}: searches kernel parameters for a device and stores the best. */
@Command(name = "tune", description = "Search kernel parameters for a device; the best are used from then on.",
        subcommands = {TuneGemmCommand.class})
final class TuneCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
