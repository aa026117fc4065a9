package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.IdxReader;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Fashion-MNIST MLP, shortened: one epoch on the first 10,000 training images, on every
 * backend. Outside CI it is skipped where Debian's dataset-fashion-mnist is not installed; under
 * CI=true (which installs it) a missing data set fails.
 */
class FashionMnistTest {
    private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    @BackendTest
    void oneEpochOnTenThousandImagesBeats75Percent(Backend backend) throws IOException {
        boolean present = Files.isDirectory(DIR);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI=true but Fashion-MNIST is not installed at " + DIR + " (apt-get install dataset-fashion-mnist)");
        }
        assumeTrue(present, "Fashion-MNIST not installed at " + DIR);
        Dataset train = Dataset.of(IdxReader.read(DIR.resolve("train-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(DIR.resolve("train-labels-idx1-ubyte.gz"), 1f)).slice(0, 10_000);
        Dataset test = Dataset.of(IdxReader.read(DIR.resolve("t10k-images-idx3-ubyte.gz"), 1f / 255),
                IdxReader.read(DIR.resolve("t10k-labels-idx1-ubyte.gz"), 1f));
        int live = backend.liveBuffers();
        try (Sequential model = new Sequential(backend, 42)) {
            model.add(new Flatten()).add(new Dense(512, "relu")).add(new Dropout(0.5)).add(new Dense(512, "relu"))
                    .add(new Dropout(0.5))
                    .add(new Dense(10));
            model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            History h = model.fit(train, Fit.epochs(1).batchSize(64).withQuiet(true));
            Map<String, Double> result = model.evaluate(test);
            assertTrue(result.get("accuracy") > 0.75, "test accuracy " + result);
            assertTrue(h.get("accuracy").get(0) > 0.6, "train accuracy " + h.all());
        }
        assertEquals(live, backend.liveBuffers());
    }
}
