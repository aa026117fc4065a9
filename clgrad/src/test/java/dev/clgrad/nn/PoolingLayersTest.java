package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.tensor.Shape;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pooling layers as Keras documents them, on every backend: MaxPooling2D and AveragePooling2D
 * over the 3x3 image 1..9 with 2x2 windows, "valid" and "same" (padding never the maximum, never
 * counted in an average); their default strides (the pool size); global average pooling; output
 * shapes; and the errors for pool sizes of 0, inputs that are not (H, W, C), and pools larger than
 * a "valid" input, each naming the values.
 */
class PoolingLayersTest {
    private static final float[] ONE_TO_NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    /** The layer's inference output for one sample of shape {@code sample}. */
    private static float[] predict(Backend backend, Layer layer, Shape sample, float[] x) {
        int live = backend.liveBuffers();
        try (Sequential model = new Sequential(backend, 1)) {
            model.add(layer).build(sample);
            return model.predict(new float[][] {x})[0];
        } finally {
            assertEquals(live, backend.liveBuffers(), "leaked buffers on " + TestBackends.label(backend));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void kerasExamples(Backend backend) {
        Shape image = Shape.of(3, 3, 1);
        assertArrayEquals(new float[] {5, 6, 8, 9}, predict(backend, new MaxPooling2D(2, 1, "valid"), image, ONE_TO_NINE));
        assertArrayEquals(new float[] {5, 6, 6, 8, 9, 9, 8, 9, 9},
                predict(backend, new MaxPooling2D(2, 1, "same"), image, ONE_TO_NINE));
        assertArrayEquals(new float[] {3, 4, 6, 7}, predict(backend, new AveragePooling2D(2, 1, "valid"), image,
                ONE_TO_NINE));
        assertArrayEquals(new float[] {3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9},
                predict(backend, new AveragePooling2D(2, 1, "same"), image, ONE_TO_NINE),
                "an even window pads one more row and column at the bottom and right; the padding is not counted");
        assertArrayEquals(new float[] {5}, predict(backend, new MaxPooling2D(), image, ONE_TO_NINE),
                "strides default to the pool size");
        assertArrayEquals(new float[] {5, 6, 8, 9}, predict(backend, new MaxPooling2D(2, 2, "same"), image,
                ONE_TO_NINE));
        assertArrayEquals(new float[] {5, 105}, predict(backend, new GlobalAveragePooling2D(), Shape.of(3, 3, 2),
                interleave(ONE_TO_NINE, 100)), "each channel's mean");
        float nan = Float.NaN;
        float[] withNan = {1, nan, 3, 4, 5, 6, 7, 8, 9};
        float[] pooled = predict(backend, new MaxPooling2D(2, 1, "valid"), image, withNan);
        assertTrue(Float.isNaN(pooled[0]) && Float.isNaN(pooled[1]) && pooled[2] == 8 && pooled[3] == 9,
                "a window holding a NaN gives NaN: " + Arrays.toString(pooled));
    }

    /** Two channels: x and x + offset, pixel by pixel. */
    private static float[] interleave(float[] x, float offset) {
        float[] out = new float[2 * x.length];
        for (int i = 0; i < x.length; i++) {
            out[2 * i] = x[i];
            out[2 * i + 1] = x[i] + offset;
        }
        return out;
    }

    @Test
    void outputShapesFollowKeras() {
        assertEquals(Shape.of(14, 14, 8), new MaxPooling2D().build(Shape.of(28, 28, 8), 0));
        assertEquals(Shape.of(13, 13, 8), new MaxPooling2D(3, 2, "valid").build(Shape.of(28, 28, 8), 0));
        assertEquals(Shape.of(14, 14, 8), new AveragePooling2D(3, 2, "same").build(Shape.of(28, 28, 8), 0));
        assertEquals(Shape.of(17, 11, 3), new MaxPooling2D(new int[] {2, 3}, new int[] {2, 3}, "same")
                .build(Shape.of(33, 33, 3), 0));
        assertEquals(Shape.of(1, 1, 5), new AveragePooling2D(4, 4, "same").build(Shape.of(1, 1, 5), 0),
                "a pool larger than the image with \"same\" padding averages the image");
        assertEquals(Shape.of(17), new GlobalAveragePooling2D().build(Shape.of(5, 28, 17), 0));
    }

    @Test
    void badSettingsAndInputsNameTheValues() {
        String zero = assertThrows(IllegalArgumentException.class, () -> new MaxPooling2D(0)).getMessage();
        assertEquals("MaxPooling2D: poolSize must be two integers >= 1, got [0, 0]", zero);
        assertEquals("AveragePooling2D: strides must be two integers >= 1, got [2, 0]",
                assertThrows(IllegalArgumentException.class,
                        () -> new AveragePooling2D(new int[] {2, 2}, new int[] {2, 0}, "valid")).getMessage());
        assertEquals("MaxPooling2D: padding must be \"valid\" or \"same\", got \"full\"",
                assertThrows(IllegalArgumentException.class, () -> new MaxPooling2D(2, 2, "full")).getMessage());
        for (Supplier<Layer> layer : List.<Supplier<Layer>>of(MaxPooling2D::new, AveragePooling2D::new,
                GlobalAveragePooling2D::new, () -> new SpatialDropout2D(0.5))) {
            Layer l = layer.get();
            String rank = assertThrows(IllegalArgumentException.class, () -> l.build(Shape.of(20), 0)).getMessage();
            assertTrue(rank.startsWith(l.type() + ": expected per-sample inputs of shape (H, W, C)")
                    && rank.contains("got (20,)"), rank);
        }
        try (Sequential model = new Sequential(TestBackends.java())) {
            model.add(new MaxPooling2D(3));
            String large = assertThrows(IllegalArgumentException.class, () -> model.build(Shape.of(2, 5, 1)))
                    .getMessage();
            assertEquals("MaxPooling2D max_pooling2d_1: poolSize 3x3 is larger than the input 2x5 (per-sample input "
                    + "(2, 5, 1)) with padding \"valid\"; use padding \"same\" or a smaller pool", large);
        }
    }
}
