package dev.clgrad.spark;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.tensor.Shape;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import scala.Tuple2;
import scala.reflect.ClassTag$;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel training of a clgrad model on Apache Spark: one replica per barrier task, each on
 * its executor's device, exchanging through Spark's own {@code BarrierTaskContext.allGather}.
 * <pre>{@code
 * SparkHistory h = SparkTrainer.fit(ModelConfig.read(Path.of("samples/fashion-mnist-mlp.json")), rows,
 *         SparkFitOptions.epochs(5).batchSize(128).device("java").checkpoints("hdfs:///runs/mlp", 100));
 * try (Sequential model = h.model(Backends.select("java"))) { … }
 * }</pre>
 * How one fit runs:
 * <ol>
 *   <li>On the driver: the model is built from the config (its seed gives the initial weights) and
 *       saved; the rows are numbered ({@code zipWithIndex}) and sent, once, to the task that trains
 *       them ({@link BatchPlan}; {@code repartitionAndSortWithinPartitions}), so that with shuffling
 *       off the global batches are those one device would take in order.</li>
 *   <li>One barrier stage ({@code RDD.barrier().mapPartitions}) of R tasks runs every epoch
 *       ({@link ReplicaTask}); it is followed by a shuffle to one partition, which makes it a
 *       shuffle-map stage, the kind Spark retries as a whole when one of its tasks fails (a barrier
 *       result stage is aborted instead). Every task of the retried attempt resumes from the newest
 *       checkpoint.</li>
 *   <li>Task 0's {@link SparkHistory}, with the trained model, comes back to the driver.</li>
 * </ol>
 * The cluster must offer R task slots at once (a barrier stage starts all its tasks together or
 * none). Spark retries a failed barrier stage {@code spark.stage.maxConsecutiveAttempts} times (4).
 */
public final class SparkTrainer {
    private SparkTrainer() {
    }

    /**
     * Trains on the rows of {@code data}: the features column an array of numbers (I per row, the
     * model's input layout), the label column a number (a class index) or an array of numbers (T),
     * named by {@link SparkFitOptions#columns}.
     */
    public static SparkHistory fit(ModelConfig config, Dataset<Row> data, SparkFitOptions options) {
        String f = options.featuresColumn();
        String l = options.labelColumn();
        List<String> columns = Arrays.asList(data.columns());
        if (!columns.contains(f) || !columns.contains(l)) {
            throw new IllegalArgumentException("the training data has columns " + columns + "; expected a features column '"
                    + f + "' and a label column '" + l + "' (SparkFitOptions.columns)");
        }
        checkType(data.schema().apply(f), true);
        checkType(data.schema().apply(l), false);
        JavaRDD<LabeledSample> rows = data.select(f, l).javaRDD()
                .map(r -> new LabeledSample(floats(r, 0), floats(r, 1)));
        return fit(config, rows, options);
    }

    /** Trains on the samples of {@code data}; the tasks are its partitions unless {@link SparkFitOptions#tasks} says otherwise. */
    public static SparkHistory fit(ModelConfig config, JavaRDD<LabeledSample> data, SparkFitOptions options) {
        int epochs = options.epochs() > 0 ? options.epochs() : config.epochs();
        int batch = options.batchSize() > 0 ? options.batchSize() : config.batchSize();
        long seed = options.seed() != null ? options.seed() : config.seed();
        SparkFitOptions resolved = options.withEpochs(epochs).batchSize(batch).withSeed(seed);
        int tasks = options.tasks() > 0 ? options.tasks() : data.getNumPartitions();
        LabeledSample first = data.first();
        int features = first.features().length;
        int targets = first.target().length;
        Shape shape = options.inputShape() != null ? Shape.of(options.inputShape())
                : config.inputShape() != null ? config.inputShape() : Shape.of(features);
        if (shape.size() != features) {
            throw new IllegalArgumentException("the samples have " + features + " features; the input shape " + shape
                    + " needs " + shape.size());
        }
        Map<String, byte[]> initial;
        int alignment;
        try (Backend java = Backends.select("java"); Sequential model = Sequential.fromConfig(config, java)) {
            model.build(shape);
            alignment = model.rowAlignment();
            Path dir = Files.createTempDirectory("clgrad-spark-init-");
            try {
                model.save(dir);
                initial = LocalDirs.read(dir);
            } finally {
                LocalDirs.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("clgrad-spark: could not save the initial model: " + e.getMessage(), e);
        }
        long rows = data.count();
        BatchPlan plan = new BatchPlan(rows, batch, tasks, alignment);
        Map<String, String> hadoop = new HashMap<>();
        Configuration conf = data.context().hadoopConfiguration();
        conf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        ReplicaTask body = new ReplicaTask(initial, plan, resolved, seed, features, targets, hadoop);

        JavaPairRDD<Long, LabeledSample> numbered = data.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
        RDD<LabeledSample> placed = numbered.repartitionAndSortWithinPartitions(new TaskPartitioner(plan)).values().rdd();
        RDD<byte[]> trained = placed.barrier().mapPartitions(body, false, ClassTag$.MODULE$.apply(byte[].class));
        data.context().setJobDescription("clgrad-spark: " + config.name() + " on " + tasks + " barrier tasks, "
                + resolved);
        List<byte[]> out;
        try {
            out = trained.toJavaRDD().repartition(1).collect();
        } finally {
            data.context().setJobDescription(null);
        }
        if (out.size() != 1) {
            throw new IllegalStateException("clgrad-spark: expected one result from task 0, got " + out.size());
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(out.get(0)))) {
            return (SparkHistory) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("clgrad-spark: could not read task 0's result: " + e.getMessage(), e);
        }
    }

    private static void checkType(StructField field, boolean features) {
        DataType t = field.dataType();
        boolean ok = t instanceof NumericType
                || t instanceof ArrayType a && a.elementType() instanceof NumericType;
        if (!ok || features && !(t instanceof ArrayType)) {
            throw new IllegalArgumentException("column '" + field.name() + "' is " + t.simpleString() + "; expected "
                    + (features ? "an array of numbers" : "a number or an array of numbers"));
        }
    }

    private static float[] floats(Row r, int i) {
        if (r.isNullAt(i)) {
            throw new IllegalArgumentException("a row has null in column " + r.schema().fields()[i].name() + ": " + r);
        }
        Object v = r.get(i);
        if (v instanceof Number n) {
            return new float[]{n.floatValue()};
        }
        List<Object> list = r.getList(i);
        float[] out = new float[list.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) list.get(k)).floatValue();
        }
        return out;
    }
}
