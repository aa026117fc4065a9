package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clgrad tune gemm}, {@code clgrad tune conv}: search kernel parameters (and the convolution algorithm) for a device and store the best. */
@Command(name = "tune", description = "Search kernel parameters for a device; the best are used from then on.",
        subcommands = {TuneGemmCommand.class, TuneConvCommand.class})
final class TuneCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
