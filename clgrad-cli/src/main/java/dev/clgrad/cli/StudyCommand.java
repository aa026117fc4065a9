package dev.clgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clgrad study dropout}: experiments that reproduce a paper's figure from clgrad's own runs. */
@Command(name = "study", description = "Reproduce a paper's experiment: train several models, plot and tabulate them.",
        subcommands = {StudyDropoutCommand.class})
final class StudyCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
