import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

public class ReadmeExample {
    public static void main(String[] args) throws IOException {
        Random rng = new Random(1);                               // 1,000 rows of 20 features,
        float[][] x = new float[1000][20];                        // a target the model can learn
        float[][] y = new float[1000][1];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < 20; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            y[i][0] = x[i][0] - 2 * x[i][1];
        }
        try (Backend backend = Backends.select("auto");           // an OpenCL GPU, else the faster CPU path
             Sequential model = new Sequential(backend, 42)) {      // 42 seeds the weights, dropout and shuffle
            model.add(new Dense(10, "relu")).add(new Dropout(0.5)).add(new Dense(1));
            model.compile("adam", "mse");
            History history = model.fit(x, y, Fit.epochs(10).batchSize(32));
            System.out.println("loss by epoch: " + history.loss());
            System.out.print(model.summary());
            float[][] predictions = model.predict(new float[][] {x[0], x[1]});
            System.out.printf("predicted %.3f %.3f, expected %.3f %.3f%n",
                    predictions[0][0], predictions[1][0], y[0][0], y[1][0]);
            model.save(Path.of(args.length > 0 ? args[0] : "model"));   // model.json + model.safetensors
            System.out.print(model.explain(32));                     // the training step, launch by launch
        }
    }
}
