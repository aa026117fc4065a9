package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code clgrad study dropout [--quick] [--epochs E] [--out DIR] [--data DIR] [--seed S]
 * [--device SPEC] [--json]}: the dropout paper's Figure 4 on Fashion-MNIST ({@link DropoutStudy}):
 * no dropout, dropout, and dropout with max-norm and the paper's schedules, on the 60,000 training
 * rows for 30 epochs ({@code --quick}: 10,000 rows for 5 epochs). Writes the three configs,
 * {@code figure.png}, {@code study.json} and {@code study.md} into the study folder (default
 * {@code dropout-study}); prints the table (with {@code --json}, the study.json object).
 */
@Command(name = "dropout", description = "Test and train error with and without dropout (Srivastava et al. 2014, "
        + "Figure 4) on Fashion-MNIST; writes figure.png, study.json and study.md.")
final class StudyDropoutCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "10,000 training rows and 5 epochs (minutes on 2 cores).")
    boolean quick;

    @Option(names = "--epochs", paramLabel = "E", description = "Epochs per method (default 30, quick 5).")
    Integer epochs;

    @Option(names = "--out", paramLabel = "DIR", description = "The study folder (default dropout-study).")
    Path out = Path.of("dropout-study");

    @Option(names = "--data", paramLabel = "DIR", description = "The Fashion-MNIST IDX files (default "
            + "/usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).")
    Path data = Path.of("/usr/share/datasets/fashion-mnist");

    @Option(names = "--seed", paramLabel = "S", description = "Seed of weights, dropout and shuffle (default 42).")
    long seed = 42;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: auto, or -Dclgrad.device).")
    String device;

    @Option(names = "--json", description = "Print study.json on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int e = epochs != null ? epochs : quick ? 5 : 30;
        if (e < 1) {
            throw new IllegalArgumentException("study dropout: --epochs must be >= 1, got " + e);
        }
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("study dropout: --data " + data + " is not a folder; install Debian's "
                    + "dataset-fashion-mnist or give the folder of the Fashion-MNIST IDX files");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("study dropout: --out " + out + " is a file; expected a folder");
        }
        Files.createDirectories(out);
        new OutputPaths("study dropout").file("--out", out.resolve("figure.png"));
        DropoutStudy study = new DropoutStudy(data.toAbsolutePath(), quick ? DropoutStudy.Size.quick(e)
                : DropoutStudy.Size.full(e), seed);
        List<DropoutStudy.Result> results = study.run(out, device);
        ObjectNode root = study.json(results, quick);
        DropoutStudy.plot(results, out.resolve("figure.png"));
        DropoutStudy.writeText(out.resolve("study.json"), new String(DropoutStudy.bytes(root)));
        String table = study.markdown(results);
        DropoutStudy.writeText(out.resolve("study.md"), table);
        if (json) {
            System.out.println(root);
        } else {
            System.out.print(table);
            System.out.println("wrote " + out.resolve("figure.png") + ", study.json, study.md and the configs");
        }
        return 0;
    }
}
