package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clgrad bench gemm|conv|dropout|adam|train}: validated micro-benchmarks of single ops; training throughput. */
@Command(name = "bench", description = "Benchmark one op: validate against a float64 host reference, then time it.",
        subcommands = {BenchGemmCommand.class, BenchConvCommand.class, BenchDropoutCommand.class,
                BenchAdamCommand.class, BenchTrainCommand.class})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
